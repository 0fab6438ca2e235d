"""Live2D data engine: load + rasterise every ArtMesh fragment + visibility masks of Hiyori at 1024² (goal ≤ 3 s
on the CI machine), and the time to export one pose of a labelled model.

    python bench/bench_live2d.py [--model PATH] [--size 1024]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from core.paths import fixtures_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=fixtures_dir() / "Hiyori" / "Hiyori.model3.json")
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args()
    if not args.model.exists():
        sys.exit(f"model not found: {args.model} (set SEETHROUGH_FIXTURES)")
    from annotation.dataset import export_dataset
    from annotation.loader import load_model
    from annotation.render import ModelRaster, fit_frame
    from app.cli.live2d_commands import model_labels

    load_model(args.model)  # warm the Core library and the texture cache's imports
    t0 = time.perf_counter()
    model = load_model(args.model)
    t1 = time.perf_counter()
    raster = ModelRaster(model, fit_frame(model, args.size))
    raster.visibility_masks()
    t2 = time.perf_counter()
    print(f"{args.model.name}: load {t1 - t0:.3f} s, {len(model.artmeshes)} fragments + visibility masks at "
          f"{args.size}² {t2 - t1:.2f} s, total {t2 - t0:.2f} s")
    labels = model_labels(model, None, "v3")
    with tempfile.TemporaryDirectory() as tmp:
        t3 = time.perf_counter()
        export_dataset(model, labels, Path(tmp), [("neutral", {}), ("left", {"ParamAngleX": -21.0})], size=args.size)
        per_pose = (time.perf_counter() - t3) / 2
    print(f"dataset export: {per_pose:.2f} s per pose at {args.size}² ({len(set(labels.values()))} tags)")


if __name__ == "__main__":
    main()
