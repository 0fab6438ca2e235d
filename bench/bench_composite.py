"""Composite 23 layers on a 1024² canvas in each mode and print the time per composite (ms).

Two stacks: "parts" (boxes of a character's parts, 15–60 % of the canvas side, like a real decomposition) and
"full" (every layer covers the whole canvas: the worst case). Run: python -m bench.bench_composite
"""

from __future__ import annotations

import time

import numpy as np

from seethrough.core.compositing import MODES, composite
from seethrough.core.document import Document, Layer

SIZE = 1024
COUNT = 23


def make_doc(full: bool, seed: int = 0) -> Document:
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(COUNT):
        if full:
            w = h = SIZE
            x = y = 0
        else:
            w, h = (int(v) for v in rng.integers(int(SIZE * 0.15), int(SIZE * 0.6), 2))
            x, y = int(rng.integers(0, SIZE - w)), int(rng.integers(0, SIZE - h))
        rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        rgba[..., 3] = np.where(rgba[..., 3] > 100, 255, rgba[..., 3])  # mostly opaque, some soft pixels
        depth = rng.uniform(0, 1, (h, w)).astype(np.float32)
        layers.append(Layer(f"layer{i}", rgba, (x, y), depth=depth, depth_value=float(rng.uniform())))
    return Document((SIZE, SIZE), layers)


def timed(fn: object, repeat: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    for label, full in (("parts", False), ("full", True)):
        doc = make_doc(full)
        for mode in MODES:
            repeat = 2 if mode == "zbuffer" else 5
            ms = timed(lambda doc=doc, mode=mode: composite(doc, mode=mode), repeat)
            print(f"composite {COUNT}x{SIZE}^2 {label:5s} {mode:8s}: {ms:8.1f} ms (best of {repeat})")


if __name__ == "__main__":
    main()
