"""PSD export benchmark: 23 layers of 1280² (blob-shaped content with texture) → layered PSD + companions.

Prints seconds for the main PSD alone, and with the `_depth.psd` + `.psd.json` companions.
Run: python -m bench.bench_psd_export [--layers 23] [--size 1280] [--repeat 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from seethrough.core.document import Document, Layer
from seethrough.core.io.psd_export import export_psd
from seethrough.core.taxonomy import taxonomy


def make_document(n_layers: int, size: int, seed: int = 0) -> Document:
    rng = np.random.default_rng(seed)
    tags = list(taxonomy().v3)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    layers = []
    for i in range(n_layers):
        cx, cy = rng.uniform(0.2, 0.8, 2) * size
        rx, ry = rng.uniform(0.1, 0.45, 2) * size
        r = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        alpha = np.clip((1.0 - r) * 6.0, 0, 1)
        rgba = np.zeros((size, size, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 256, 3)
        rgba[..., :3] = np.clip(rgba[..., :3].astype(np.int16) + rng.integers(-8, 9, (size, size, 1)), 0, 255)
        rgba[..., 3] = np.rint(alpha * 255).astype(np.uint8)
        ys, xs = np.nonzero(rgba[..., 3])
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        depth = np.clip(r[y0:y1, x0:x1] * 0.1 + i / n_layers, 0, 1).astype(np.float32)
        layers.append(
            Layer(name=tags[i % len(tags)], rgba=rgba[y0:y1, x0:x1].copy(), offset=(int(x0), int(y0)),
                  tag=tags[i % len(tags)], depth=depth, depth_value=1.0 - i / n_layers)
        )
    return Document((size, size), layers)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=23)
    ap.add_argument("--size", type=int, default=1280)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    doc = make_document(args.layers, args.size)
    with tempfile.TemporaryDirectory() as tmp:
        for companions in (False, True):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                export_psd(doc, Path(tmp) / "bench.psd", companions=companions)
                times.append(time.perf_counter() - t0)
            size_mb = (Path(tmp) / "bench.psd").stat().st_size / 1e6
            label = "psd+depth.psd+json" if companions else "psd only"
            print(f"PSD export {args.layers}x{args.size}^2 ({label}): best {min(times):.2f} s, "
                  f"mean {np.mean(times):.2f} s, main file {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
