"""Selections and the transform on a 4096² canvas: the magic wand (target ≤ 150 ms on the 2-core CI machine), the
other shapes and modifiers, and transforms of a large layer. Prints the best of a few runs per case (ms).

The canvas is the built-in sample character scaled ×4 (3072×4096, soft anti-aliased edges, flat cel-shaded
regions, a transparent background), centred on 4096². Run: python -m bench.bench_selection
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

import cv2
import numpy as np

from seethrough.core.document import Document, Layer
from seethrough.core.sample import build_sample_document
from seethrough.core.selection import shapes
from seethrough.core.selection.value import feather, grow, shrink
from seethrough.core.transform import TransformParams, transform_command

SIZE = 4096


def composite_4096() -> np.ndarray:
    source = build_sample_document().source
    assert source is not None
    big = cv2.resize(source, (source.shape[1] * 4, source.shape[0] * 4), interpolation=cv2.INTER_LINEAR)
    canvas = np.zeros((SIZE, SIZE, 4), np.uint8)
    x = (SIZE - big.shape[1]) // 2
    canvas[:, x : x + big.shape[1]] = big[:SIZE]
    return canvas


def timed(label: str, fn: Callable[[], object], repeat: int = 5) -> None:
    """Wall time (best and median) and this process's CPU time of the best run: on a shared machine the wall time
    grows with the load average (printed first), the CPU time much less."""
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        cpu, start = time.process_time(), time.perf_counter()
        fn()
        runs.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
    runs.sort()
    wall, cpu_ms = runs[0]
    median = runs[len(runs) // 2][0]
    print(f"{label:62s} best {wall:7.1f} ms  median {median:7.1f} ms  cpu {cpu_ms:7.1f} ms  ({repeat} runs)")


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; OpenCV threads {cv2.getNumThreads()}")
    image = composite_4096()
    canvas = (SIZE, SIZE)
    face = (SIZE // 2, 1400)  # on the face (a flat skin region)
    clear = (5, 5)  # the transparent background: the largest region
    for where, at in (("face", face), ("background", clear)):
        for contiguous in (True, False):
            kind = "contiguous" if contiguous else "global"
            sel = shapes.wand(image, at, 32, contiguous)
            area = 0 if sel is None else int(sel.area)
            timed(f"wand 4096² composite, {where}, {kind} (tol 32, {area:,} px)",
                  lambda at=at, contiguous=contiguous: shapes.wand(image, at, 32, contiguous))
    timed("rectangle 3000×3000", lambda: shapes.rectangle(canvas, (500, 500, 3500, 3500)))
    timed("ellipse 4000×4000 (anti-aliased)", lambda: shapes.ellipse(canvas, (48, 48, 4048, 4048)), repeat=3)
    angles = np.linspace(0, 2 * math.pi, 2000, endpoint=False)
    radius = 1500 + 300 * np.sin(7 * angles)
    lasso = np.stack([2048 + radius * np.cos(angles), 2048 + radius * np.sin(angles)], axis=1)
    timed("freehand lasso, 2000 points, ~3600² box", lambda: shapes.polygon(canvas, lasso), repeat=3)
    disc = shapes.ellipse(canvas, (1048, 1048, 3048, 3048))
    timed("grow a 2000² disc by 20 px", lambda: grow(disc, 20), repeat=3)
    timed("shrink a 2000² disc by 20 px", lambda: shrink(disc, 20), repeat=3)
    timed("feather a 2000² disc by 10 px", lambda: feather(disc, 10), repeat=3)
    layer = Layer("big", image[:, 512:3584].copy(), (512, 0))
    doc = Document(canvas, [layer])
    timed("transform 3072×4096 layer: rotate 90° (exact)",
          lambda: transform_command(doc, TransformParams("big", rotate=90)), repeat=3)
    timed("transform 3072×4096 layer: rotate 33°, scale 0.8 (resampled)",
          lambda: transform_command(doc, TransformParams("big", rotate=33, scale=(0.8, 0.8))), repeat=3)


if __name__ == "__main__":
    main()
