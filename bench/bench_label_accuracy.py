"""Accuracy of the automatic ArtMesh labels on every fixture with a hand-verified ground truth
(tests/data/labels/<Model>.json): mesh accuracy, visible-area accuracy (default pose, 1024 px render fitted to the
character), and the confusions that cost the most visible pixels over all fixtures. Prints numbers, asserts nothing.

Run: SEETHROUGH_FIXTURES=/path/to/live2d python -m bench.bench_label_accuracy [--json]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from seethrough.annotation.auto_label import auto_label, from_live2d
from seethrough.annotation.ground_truth import evaluate, read_ground_truth
from seethrough.annotation.labels import LabelStore
from seethrough.annotation.loader import load_model
from seethrough.cli.live2d_label import EVAL_SIZE, eval_areas
from seethrough.core.paths import fixtures_dir
from seethrough.core.taxonomy import taxonomy

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels"


def main() -> None:
    rows, confusions = [], Counter()
    for path in sorted(LABELS.glob("*.json")):
        folder = fixtures_dir() / path.stem
        if not folder.is_dir():
            print(f"{path.stem}: fixture missing", file=sys.stderr)
            continue
        truth = read_ground_truth(path, taxonomy().tags("v3"))
        model = load_model(folder)
        store = LabelStore([m.id for m in model.artmeshes])
        auto_label(from_live2d(model), store, live=model)
        result = evaluate(store.tags(), truth, eval_areas(model), [m.id for m in model.artmeshes])
        rows.append({"model": path.stem, **result.to_json(worst=5)})
        for t, p, _n, a in result.confusions:
            confusions[(t, p)] += a
    if "--json" in sys.argv:
        print(json.dumps({"size": EVAL_SIZE, "models": rows,
                          "confusions": [{"truth": t, "predicted": p, "visible_area": a}
                                         for (t, p), a in confusions.most_common()]}, indent=1))
        return
    print(f"{'model':<10} {'meshes':>7} {'mesh acc':>9} {'area acc':>9}")
    for r in rows:
        print(f"{r['model']:<10} {r['meshes']:>7} {r['mesh_accuracy']:>9.1%} {r['visible_area_accuracy']:>9.1%}")
    print("\ncostliest confusions over all fixtures (truth → predicted, visible px at "
          f"{EVAL_SIZE} px):")
    for (t, p), a in confusions.most_common(15):
        print(f"  {t} → {p}: {a}")


if __name__ == "__main__":
    main()
