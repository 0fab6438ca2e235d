"""Accuracy of the automatic ArtMesh labels on every fixture with a hand-verified ground truth
(tests/data/labels/<Model>.json), with names (the default labeller, `layout` provider) and with every mesh, part and
parameter name ignored (`use_names=False`): mesh accuracy, visible-area accuracy (default pose, 1024 px render fitted
to the character), the meshes left out as not the character (and how many of those the ground truth tags: wrongly
left out), the share of the visible area labelled with low confidence (< 0.5: what a quality gate sends to review)
and the accuracy of the rest. Prints numbers, asserts nothing.

Run: SEETHROUGH_FIXTURES=/path/to/live2d python -m bench.bench_label_accuracy [--json] [--base DIR]

`--base DIR` also measures the code of another checkout (DIR holds its `namespace/` links, e.g. an unpacked
`git archive <commit>`) in a subprocess and prints both side by side: before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from seethrough.annotation.auto_label import auto_label, from_live2d
from seethrough.annotation.ground_truth import evaluate, read_ground_truth
from seethrough.annotation.labels import LabelStore
from seethrough.annotation.loader import load_model
from seethrough.cli.live2d_label import EVAL_SIZE, eval_areas
from seethrough.core.paths import fixtures_dir
from seethrough.core.taxonomy import taxonomy

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels"
MODES = {"names": True, "nameless": False}
#: a label below this confidence is one the review queue (and a quality gate) should show a person
LOW = 0.5


def measure_model(path: Path) -> dict[str, Any] | None:
    folder = fixtures_dir() / path.stem
    if not folder.is_dir():
        print(f"{path.stem}: fixture missing", file=sys.stderr)
        return None
    truth = read_ground_truth(path, taxonomy().tags("v3"))
    model = load_model(folder)
    areas = eval_areas(model)
    ids = [m.id for m in model.artmeshes]
    row: dict[str, Any] = {"model": path.stem}
    for mode, use_names in MODES.items():
        model.reset_parameters()
        model.update()
        store = LabelStore(ids, autosave=False)
        report = auto_label(from_live2d(model), store, live=model, provider="layout", use_names=use_names)
        result = evaluate(store.tags(), truth, areas, ids)
        excluded = list(report.excluded)
        evaluated = set(truth.evaluated)
        low = [m for m in evaluated if (store.confidence(m) or 0.0) < LOW]
        sure = [m for m in evaluated if m not in low]
        wrong = {e.id for e in result.errors}
        visible = sum(areas.get(m, 0) for m in evaluated) or 1
        sure_area = sum(areas.get(m, 0) for m in sure)
        row[mode] = {
            **result.to_json(worst=5),
            "excluded": len(excluded),
            "excluded_rules": dict(Counter(r.split(":")[0] for r in getattr(report, "excluded_reasons", {}).values())),
            "excluded_but_tagged": sorted(m for m in excluded if m in evaluated),
            "low_confidence_area": round(sum(areas.get(m, 0) for m in low) / visible, 4),
            "confident_area_accuracy": round(
                sum(areas.get(m, 0) for m in sure if m not in wrong) / sure_area, 4) if sure_area else None,
        }
    return row


def measure() -> list[dict[str, Any]]:
    return [r for p in sorted(LABELS.glob("*.json")) if (r := measure_model(p)) is not None]


def measure_base(base: Path) -> list[dict[str, Any]]:
    """The same measurement on the code in `base` (its namespace links first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(base / "namespace")}
    out = subprocess.run([sys.executable, __file__, "--json", "--measure-only"], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)["models"]


def _cells(r: dict[str, Any]) -> str:
    n, x = r["names"], r["nameless"]
    return (f"{n['mesh_accuracy']:>7.1%} {n['visible_area_accuracy']:>7.1%} "
            f"{x['mesh_accuracy']:>7.1%} {x['visible_area_accuracy']:>7.1%}")


def print_table(rows: list[dict[str, Any]], base: list[dict[str, Any]] | None) -> None:
    before = {r["model"]: r for r in base or []}
    pair = f"{'names':>7} {'':>7} {'no names':>7} {'':>7}"
    cols = f"{'mesh':>7} {'area':>7} {'mesh':>7} {'area':>7}"
    print(f"{'':<9} " + (f"{'before':<32}  " if base else "") + f"{'now':<32}  {'left out':>8} "
          f"{'low-confidence area':>20} {'sure labels':>11}")
    print(f"{'':<9} " + (f"{pair}  " if base else "") + f"{pair}  {'(tagged)':>8} {'names / no names':>20} "
          f"{'no names':>11}")
    print(f"{'model':<9} " + (f"{cols}  " if base else "") + f"{cols}")
    for r in rows:
        b = before.get(r["model"])
        old = f"{_cells(b)}  " if b else (f"{'':<32}  " if base else "")
        n, x = r["names"], r["nameless"]
        print(f"{r['model']:<9} {old}{_cells(r)}  {n['excluded']:>4} ({len(n['excluded_but_tagged'])}) "
              f"{n['low_confidence_area']:>10.1%} / {x['low_confidence_area']:<6.1%} "
              f"{(x['confident_area_accuracy'] or 0):>11.1%}")
    print("\nleft out, by rule (names / nameless):")
    for r in rows:
        print(f"  {r['model']:<9} {r['names']['excluded_rules']} / {r['nameless']['excluded_rules']}")
    confusions: Counter = Counter()
    for r in rows:
        for c in r["names"]["confusions"]:
            confusions[(c["truth"], c["predicted"])] += c["visible_area"]
    print(f"\ncostliest confusions with names over all fixtures (truth → predicted, visible px at {EVAL_SIZE} px):")
    for (t, p), a in confusions.most_common(10):
        print(f"  {t} → {p}: {a}")


def main() -> None:
    rows = measure()
    if "--measure-only" in sys.argv:
        print(json.dumps({"size": EVAL_SIZE, "models": rows}))
        return
    base = None
    if "--base" in sys.argv:
        base = measure_base(Path(sys.argv[sys.argv.index("--base") + 1]))
    if "--json" in sys.argv:
        print(json.dumps({"size": EVAL_SIZE, "models": rows, "base": base}, indent=1))
        return
    print_table(rows, base)


if __name__ == "__main__":
    main()
