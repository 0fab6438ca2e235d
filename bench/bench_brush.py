"""A 200-dab stroke of a 100 px brush on a 4096² layer, per tool: time per dab while painting, and commit time.

"Per dab" is what the GUI pays on every pointer event: the stabiliser, the spacing walk and laying the dabs into the
stroke's coverage tiles (`StrokeEngine.add`), plus, reported apart, the preview of the rectangle that changed
(`stroke_preview`). "Commit" is `stroke_command(doc, params, engine)` and `history.push`: the tools applied to every
covered tile and the new layer swapped in. Targets (issue 19): ≤ 2 ms per dab on average, commit ≤ 30 ms.
Each number is the best and the median of `--repeat` runs, in wall time and in this process's CPU time (on a
machine shared with other work the wall time also counts the waits for a core). Run: python -m bench.bench_brush
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from seethrough.core.brush import StrokeEngine, StrokeParams, stroke_command
from seethrough.core.brush.apply import stroke_preview
from seethrough.core.document import Document, Layer

SIZE = 4096
DABS = 200
BRUSH = 100


def make_doc() -> Document:
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (SIZE, SIZE, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    depth = np.full((SIZE, SIZE), 0.5, np.float32)
    below = Layer("below", np.zeros((SIZE, SIZE, 4), np.uint8), depth=depth)
    layer = Layer("layer", rgba, depth=depth)
    return Document((SIZE, SIZE), [below, layer], source=rgba)


def points(count: int) -> tuple[tuple[float, float, float], ...]:
    """A gently curving path that lays `count` dabs at spacing 0.1 (10 px apart for a 100 px brush)."""
    heading, x, y, out = 0.3, 600.0, 900.0, []
    for _ in range(count):
        out.append((x, y, 1.0))
        heading += 0.01
        x, y = x + 10 * float(np.cos(heading)), y + 10 * float(np.sin(heading))
    return tuple(out)


@dataclass
class Timings:
    dabs: int = 0
    per_dab: list[float] = field(default_factory=list)
    per_dab_cpu: list[float] = field(default_factory=list)
    preview: list[float] = field(default_factory=list)
    commit: list[float] = field(default_factory=list)
    commit_cpu: list[float] = field(default_factory=list)


def run(doc: Document, tool: str, repeat: int) -> Timings:
    path = points(DABS)
    params = StrokeParams("layer", tool, target="below" if tool == "move-to-layer" else None, size=BRUSH,
                          hardness=0.7, spacing=0.1, color="#e04020", value=0.2, points=path)
    timings = Timings()
    layer = doc.find("layer")
    assert layer is not None
    for _ in range(repeat):
        engine = StrokeEngine(params, doc.size)
        lay = lay_cpu = show = 0.0
        for x, y, pressure in path:
            start, cpu = time.perf_counter(), time.process_time()
            rect = engine.add(x, y, pressure)
            lay += time.perf_counter() - start
            lay_cpu += time.process_time() - cpu
            if rect is not None:
                start = time.perf_counter()
                stroke_preview(layer, engine.mask, params, rect, doc.source)
                show += time.perf_counter() - start
        engine.finish()
        timings.dabs = len(engine.dabs)
        timings.per_dab.append(lay / timings.dabs)
        timings.per_dab_cpu.append(lay_cpu / timings.dabs)
        timings.preview.append(show / timings.dabs)
        start, cpu = time.perf_counter(), time.process_time()
        doc.history.push(stroke_command(doc, params, engine))
        timings.commit.append(time.perf_counter() - start)
        timings.commit_cpu.append(time.process_time() - cpu)
        doc.history.undo()
    return timings


def ms(values: list[float]) -> str:
    return f"{min(values) * 1e3:.2f} / {statistics.median(values) * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    doc = make_doc()
    print(f"{DABS}-dab stroke, {BRUSH} px brush, hardness 0.7, spacing 0.1, on a {SIZE}² layer (best / median of "
          f"{args.repeat}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for tool in ("paint", "erase", "restore", "move-to-layer", "depth"):
        t = run(doc, tool, args.repeat)
        print(f"  {tool:14s} {t.dabs} dabs: per dab {ms(t.per_dab)} wall, {ms(t.per_dab_cpu)} CPU "
              f"(+ preview of the changed rectangle {ms(t.preview)} wall); "
              f"commit {ms(t.commit)} wall, {ms(t.commit_cpu)} CPU")
    start = time.perf_counter()
    for _ in range(10000):
        doc.snapshot()
    print(f"  snapshot: {(time.perf_counter() - start) / 10000 * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
