"""Live2D data engine: load + rasterise every ArtMesh fragment + visibility masks of Hiyori at 1024² (goal ≤ 3 s
on the CI machine), cold (textures decoded, mip chains built) and warm, and the time to export one pose of a
labelled model (render per tag + PNG encoding), plus the tag-layer PSNR against the render.

    python -m bench.bench_live2d [--model PATH] [--size 1024] [--poses 3]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    from seethrough.core.paths import fixtures_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=fixtures_dir() / "Hiyori" / "Hiyori.model3.json")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--poses", type=int, default=3, help="how many poses of the default sweep to export")
    args = parser.parse_args()
    if not args.model.exists():
        sys.exit(f"model not found: {args.model} (set SEETHROUGH_FIXTURES)")
    from seethrough.annotation.cubism_core import core_library
    from seethrough.annotation.dataset import export_dataset
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.poses import default_poses
    from seethrough.annotation.render import ModelRaster, fit_frame
    from seethrough.annotation.to_document import live2d_document
    from seethrough.cli.live2d_commands import model_labels
    from seethrough.core.compositing import composite
    from seethrough.core.metrics import psnr

    core_library()  # the shared library itself (imported once per process, not per model)
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        model = load_model(args.model)
        t1 = time.perf_counter()
        raster = ModelRaster(model, fit_frame(model, args.size))
        raster.visibility_masks()
        raster.areas()
        t2 = time.perf_counter()
        print(f"{args.model.name} [{label}]: load {t1 - t0:.3f} s, {len(model.artmeshes)} fragments + visibility "
              f"masks + areas at {args.size}² {t2 - t1:.2f} s, total {t2 - t0:.2f} s")
    labels = model_labels(model, None, "v3")
    poses = default_poses(model)[: args.poses]
    with tempfile.TemporaryDirectory() as tmp:
        t3 = time.perf_counter()
        export_dataset(model, labels, Path(tmp), poses, size=args.size)
        per_pose = (time.perf_counter() - t3) / len(poses)
    print(f"dataset export: {per_pose:.2f} s per pose at {args.size}² ({len(set(labels.values()))} tags, "
          f"{len(poses)} poses, content frame)")
    t4 = time.perf_counter()
    doc = live2d_document(model, labels, size=args.size)
    t5 = time.perf_counter()
    print(f"document: {len(doc.layers)} tag layers in {t5 - t4:.2f} s; zbuffer recomposite vs render "
          f"PSNR {psnr(composite(doc, mode='zbuffer'), doc.source):.2f} dB")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
