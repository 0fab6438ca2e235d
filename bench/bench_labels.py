"""Automatic labels against the hand-verified ground truth (tests/data/labels/<Model>.json), per fixture.

Modes:
- `names`: name rules and part-tree votes only (the labeller before the seed providers; no render);
- `auto`: the default labeller (names, geometry rules, the default seed provider's vote, propagation);
- `layout`: the `layout` provider's vote decides every visible mesh (what is known from names only feeds it as
  anchors); hidden meshes as in `auto`;
- `nameless`: the default labeller told to ignore every mesh and part name (`use_names=False`): geometry alone,
  as for a model whose ids and part names mean nothing.

Held-out fixtures (never looked at while writing the rules) are listed separately.

Run: SEETHROUGH_FIXTURES=/work/shared/fixtures/live2d python -m bench.bench_labels [Model ...] [--worst N]
"""

from __future__ import annotations

import sys
from pathlib import Path

from seethrough.annotation.auto_label import auto_label, from_live2d
from seethrough.annotation.ground_truth import evaluate, read_ground_truth
from seethrough.annotation.labels import LabelStore
from seethrough.annotation.loader import load_model
from seethrough.annotation.render import content_frame, mesh_areas
from seethrough.core.paths import fixtures_dir

#: never looked at while writing the rules: none any more (Mao and izumi were held out until used for development,
#: see docs/auto-labels.md)
HELD_OUT: tuple[str, ...] = ()
TRUTH = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels"


def layout_vote_labels(model, auto: dict[str, str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Visible meshes take the layout provider's vote (anchored on names); generic hair/eyes votes and hidden
    meshes keep the `auto` label (the v3 splits are not the provider's job)."""
    from seethrough.annotation.layout_seeds import layout_labels

    out = dict(auto)
    for mid, tag in layout_labels(model).items():
        out[mid] = auto.get(mid, tag) if tag in ("hair", "eyes") else tag
    return out


def run(name: str, worst: int) -> dict[str, tuple[float, float]] | None:
    gt_file = TRUTH / f"{name}.json"
    if not gt_file.is_file():
        print(f"{name}: no ground truth yet")
        return None
    model = load_model(fixtures_dir() / name)
    truth = read_ground_truth(gt_file)
    model.reset_parameters()
    model.update()
    areas = {m: v for m, (_, v) in mesh_areas(model, content_frame(model, 768, 0.02)).items()}
    ids = [m.id for m in model.artmeshes]
    results: dict[str, tuple[float, float]] = {}
    view = from_live2d(model)
    for mode in ("names", "auto", "layout", "nameless"):
        store = LabelStore(view.mesh_ids, autosave=False)
        if mode == "names":
            auto_label(view, store)
            tags = store.tags()
        elif mode == "nameless":
            auto_label(view, store, live=model, provider="layout", use_names=False)
            tags = store.tags()
        else:
            auto_label(view, store, live=model)
            tags = store.tags() if mode == "auto" else layout_vote_labels(model, store.tags())
        ev = evaluate(tags, truth, areas, ids)
        results[mode] = (ev.mesh_accuracy, ev.area_accuracy)
        if mode == "auto" and worst:
            for e in ev.errors[:worst]:
                print(f"    {name} {e.id}: {e.predicted} (truth {'/'.join(e.truth)}) {e.visible_area} px")
    print(f"{name:8s} " + "  ".join(f"{k} mesh {m:.1%} area {a:.1%}" for k, (m, a) in results.items()))
    return results


def main() -> None:
    argv = sys.argv[1:]
    worst = 0
    if "--worst" in argv:
        i = argv.index("--worst")
        worst = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    names = argv or sorted(p.stem for p in TRUTH.glob("*.json"))
    for group, members in (("developed on", [n for n in names if n not in HELD_OUT]),
                           ("held out", [n for n in names if n in HELD_OUT])):
        if members:
            print(f"-- {group}")
            for n in members:
                run(n, worst)


if __name__ == "__main__":
    main()
