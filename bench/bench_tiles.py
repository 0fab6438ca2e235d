"""Tiled layers: snapshot cost, undo memory of many strokes, and the dense conversion (`layer.rgba`) and its cache.

1. Snapshot: `doc.snapshot()` on 23 layers at 256² and 40 layers at 4096² (should not depend on the size).
2. Undo memory: 100 strokes (200 dabs of a 100 px brush each, paint and erase in turn, random curving paths) on a
   document of 40 layers at 4096², every stroke one undo step; the memory they add, measured with tracemalloc
   (numpy reports its buffers to it) and as the process's RSS, with the dense cache off so that only tiles count.
   The 40 layers start from the same 4096² pixels and depth (one pair of arrays, 128 MiB, so that the document fits
   a shared machine); what a stroke adds does not depend on that: its new tiles, while the history keeps the old
   ones. Target (issue 19): ≤ 200 MB. Without tiles, each step would keep a whole 64 MiB layer.
3. Dense conversion: building a painted 4096² layer's `rgba` (a miss: from every tile, or from the previous
   version's array when that is still cached) and reading it again (a hit); then the
   cache's hit rate when, after each stroke, the painted layer is read twice (the canvas, a check), and when every
   layer of the 40 is read after a stroke (a full composite; with the default limit, an eighth of the memory, they fit
   here; where they do not, the reads thrash: the canvas should read `pixels.region` rather than `rgba`).
Run: python -m bench.bench_tiles [--strokes 100]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc

import numpy as np

from seethrough.core.brush import StrokeParams, stroke_command
from seethrough.core.document import Document, Layer
from seethrough.core.tiles import DEFAULT_DENSE_CACHE_BYTES, dense_cache

SIZE = 4096
LAYERS = 40
MiB = 2**20


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_doc(size: int, count: int) -> Document:
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    depth = np.full((size, size), 0.5, np.float32)
    return Document((size, size), [Layer(f"l{i}", rgba, depth=depth) for i in range(count)], source=rgba)


def stroke(rng: np.random.Generator, layer: str, index: int) -> StrokeParams:
    """200 dabs 10 px apart along a random, gently curving path inside the canvas."""
    x, y = rng.uniform(800, SIZE - 800, 2)
    heading, turn = rng.uniform(0, 2 * np.pi), rng.uniform(-0.01, 0.01)
    points = []
    for _ in range(200):
        points.append((float(x), float(y), 1.0))
        heading += turn
        x, y = np.clip(x + 10 * np.cos(heading), 0, SIZE - 1), np.clip(y + 10 * np.sin(heading), 0, SIZE - 1)
    colour = "#" + "".join(f"{int(v):02x}" for v in rng.integers(0, 256, 3))
    return StrokeParams(layer, "erase" if index % 2 else "paint", size=100, hardness=0.7, spacing=0.1,
                        opacity=0.8, color=colour, points=tuple(points))


def snapshot_cost() -> None:
    for size, count in ((256, 23), (SIZE, LAYERS)):
        doc = make_doc(size, count)
        start = time.perf_counter()
        for _ in range(20000):
            doc.snapshot()
        print(f"snapshot of {count} layers at {size}²: {(time.perf_counter() - start) / 20000 * 1e6:.1f} µs")


def held_tiles(doc: Document) -> set[int]:
    """The memory addresses of every pixel tile the document and the layers kept by its undo steps hold."""
    layers = list(doc.layers)
    for command, _ in doc.history._done:  # the bench looks inside: what the undo steps keep
        layers.extend(getattr(command, "_before", ()))
    return {tile.__array_interface__["data"][0] for layer in layers for tile in layer.pixels.tiles.values()}


def undo_memory(doc: Document, strokes: int) -> None:
    rng = np.random.default_rng(19)
    base = held_tiles(doc)
    dense_cache.set_limit(0)
    gc.collect()
    tracemalloc.start()
    base_traced, base_rss = tracemalloc.get_traced_memory()[0], rss()
    start = time.perf_counter()
    for i in range(strokes):
        doc.history.push(stroke_command(doc, stroke(rng, f"l{i % LAYERS}", i)))
    elapsed = time.perf_counter() - start
    gc.collect()
    traced, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    added = traced - base_traced
    tiles = held_tiles(doc) - base
    print(f"{strokes} strokes on {LAYERS} layers at {SIZE}²: {elapsed / strokes * 1e3:.0f} ms per stroke (laying and "
          f"committing), {doc.history.count} undo steps")
    print(f"  memory added: {added / MiB:.1f} MiB traced (peak {(peak - base_traced) / MiB:.1f} MiB), "
          f"RSS {(rss() - base_rss) / MiB:.1f} MiB; {added / strokes / MiB:.2f} MiB per stroke "
          f"(≈ {added / strokes / (64 * 64 * 4):.0f} tiles of 16 KiB); a dense undo step would be "
          f"{SIZE * SIZE * 4 / MiB:.0f} MiB, {strokes * SIZE * SIZE * 4 / MiB / 1024:.1f} GiB for all")
    print(f"  tiles the document and its history hold beyond the starting pixels: {len(tiles)} "
          f"({len(tiles) * 64 * 64 * 4 / MiB:.1f} MiB)")


def dense_conversion(doc: Document, strokes: int) -> None:
    rng = np.random.default_rng(7)
    dense_cache.set_limit(DEFAULT_DENSE_CACHE_BYTES)
    dense_cache.clear()
    timings: dict[str, list[float]] = {"cold": [], "cold_cpu": [], "warm": [], "warm_cpu": [], "hit": []}
    for i in range(6):
        cold = i % 2 == 0  # every other stroke, the previous version's array is gone
        if cold:
            dense_cache.clear()
            gc.collect()
        doc.history.push(stroke_command(doc, stroke(rng, "l0", i)))
        layer = doc.layers[0]
        start, cpu = time.perf_counter(), time.process_time()
        layer.rgba  # noqa: B018
        timings["cold" if cold else "warm"].append(time.perf_counter() - start)
        timings["cold_cpu" if cold else "warm_cpu"].append(time.process_time() - cpu)
        start = time.perf_counter()
        layer.rgba  # noqa: B018
        timings["hit"].append(time.perf_counter() - start)

    def ms(key: str) -> str:
        return f"{min(timings[key]) * 1e3:.0f} / {np.median(timings[key]) * 1e3:.0f}"

    print(f"dense conversion of a painted {SIZE}² layer, best / median ms (CPU ms): assembling every tile "
          f"{ms('cold')} ({ms('cold_cpu')}), the previous version's array copied and the stroke's tiles patched in "
          f"{ms('warm')} ({ms('warm_cpu')}); a hit {np.median(timings['hit']) * 1e6:.1f} µs")
    dense_cache.reset_counters()
    for i in range(strokes):
        doc.history.push(stroke_command(doc, stroke(rng, f"l{i % LAYERS}", i)))
        painted = doc.layers[i % LAYERS]
        painted.rgba  # noqa: B018
        painted.rgba  # noqa: B018
    stats = dense_cache.stats()
    print(f"  reading the painted layer twice after each of {strokes} strokes: hit rate {stats['hit_rate']:.0%} "
          f"({stats['hits']} hits, {stats['misses']} misses), cache {stats['bytes'] / MiB:.0f} MiB in "
          f"{stats['entries']} arrays (limit {stats['limit_bytes'] / MiB:.0f} MiB), {stats['evictions']} evicted")
    for limit in (DEFAULT_DENSE_CACHE_BYTES, 1 << 30):
        dense_cache.set_limit(limit)
        dense_cache.reset_counters()
        start = time.perf_counter()
        for i in range(3):
            doc.history.push(stroke_command(doc, stroke(rng, f"l{i}", i)))
            for layer in doc.layers:
                layer.rgba  # noqa: B018
        stats = dense_cache.stats()
        print(f"  reading all {LAYERS} layers after each of 3 strokes (every layer painted before), cache limit "
              f"{limit / MiB:.0f} MiB: hit rate {stats['hit_rate']:.0%}, {(time.perf_counter() - start) / 3:.1f} s "
              f"per stroke")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=100)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    snapshot_cost()
    doc = make_doc(SIZE, LAYERS)
    undo_memory(doc, args.strokes)
    dense_conversion(doc, min(args.strokes, LAYERS))


if __name__ == "__main__":
    main()
