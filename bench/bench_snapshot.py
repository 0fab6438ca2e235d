"""Cost of `Document.snapshot()` and of one edit on a large document, against a deep copy of the pixels.

A snapshot shares the immutable layers and arrays, so it should not depend on the pixel count; an edit copies
nothing but the tuple of layers. Run: python -m bench.bench_snapshot
"""

from __future__ import annotations

import time

import numpy as np

from seethrough.core.commands import SetLayerProperty
from seethrough.core.document import Document, Layer


def make_doc(size: int, count: int) -> Document:
    rng = np.random.default_rng(0)
    depth = np.full((size, size), 0.5, np.float32)
    layers = [
        Layer(f"l{i}", rng.integers(0, 256, (size, size, 4), dtype=np.uint8), depth=depth) for i in range(count)
    ]
    return Document((size, size), layers, source=np.zeros((size, size, 4), np.uint8))


def per_call(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    for size, count in ((256, 23), (2048, 23)):
        doc = make_doc(size, count)
        megabytes = sum(layer.rgba.nbytes + layer.depth.nbytes for layer in doc.layers) / 2**20
        snap = per_call(doc.snapshot, 2000)
        uid = doc.layers[5].uid
        values = iter(np.linspace(0.1, 0.9, 10_000))
        edit = per_call(lambda: doc.history.push(SetLayerProperty(uid, "name", str(next(values)))), 500)  # noqa: B023
        deep = per_call(lambda: [(layer.rgba.copy(), layer.depth.copy()) for layer in doc.layers], 3)  # noqa: B023
        print(f"{count} layers of {size}² ({megabytes:.0f} MiB): snapshot {snap * 1e6:.1f} µs, "
              f"rename (command) {edit * 1e6:.1f} µs, deep copy of the pixels {deep * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
