"""Timing the UI thread's event loop, for the stall-budget test and bench/bench_ui_stall.py.

`StallMeter` runs a short repeating QTimer on the UI thread. Between two ticks it records the wall-clock gap
(how late the loop got back to the timer: what the user sees, inflated when the machine is busy with other work)
and the UI thread's own CPU time (`time.thread_time()`: the work the UI thread did between two turns, which the
machine's load does not inflate). A long computation on the UI thread shows in both; a worker thread's work shows
in neither. `stratify_scene` is the 2048² scene: one layer with a two-cluster pseudo-depth map over its source.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QTimer

from seethrough.core.document import Document, Layer

TICK_MS = 5


@dataclass
class StallStats:
    wall: list[float] = field(default_factory=list)  # s between ticks, minus the tick interval
    cpu: list[float] = field(default_factory=list)  # UI-thread CPU s between ticks

    def summary(self) -> str:
        if not self.wall:
            return "no ticks"
        wall, cpu = np.asarray(self.wall) * 1000, np.asarray(self.cpu) * 1000
        return (f"{len(wall)} turns; UI-thread CPU per turn max {cpu.max():.1f} ms, "
                f"p95 {np.percentile(cpu, 95):.1f} ms; timer lateness max {wall.max():.1f} ms, "
                f"p95 {np.percentile(wall, 95):.1f} ms")


class StallMeter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.stats = StallStats()
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last: tuple[float, float] | None = None

    def start(self) -> None:
        self.stats = StallStats()
        self._last = (time.perf_counter(), time.thread_time())
        self._timer.start()

    def stop(self) -> StallStats:
        self._timer.stop()
        return self.stats

    def _tick(self) -> None:
        now = (time.perf_counter(), time.thread_time())
        if self._last is not None:
            self.stats.wall.append(max(0.0, now[0] - self._last[0] - TICK_MS / 1000))
            self.stats.cpu.append(now[1] - self._last[1])
        self._last = now


def stratify_scene(side: int = 2048, seed: int = 0) -> Document:
    """A `side`² layer whose depth has two clear clusters (left near, right far, with noise), over its source."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side]
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 0] = (xx * 255 // side).astype(np.uint8)
    rgba[..., 1] = (yy * 255 // side).astype(np.uint8)
    rgba[..., 2] = 140
    rgba[..., 3] = np.where((xx - side / 2) ** 2 + (yy - side / 2) ** 2 < (side * 0.45) ** 2, 255, 0)
    depth = np.where(xx < side // 2, 0.25, 0.7).astype(np.float32)
    depth += rng.normal(0, 0.03, depth.shape).astype(np.float32)
    layer = Layer("hair", rgba, depth=np.clip(depth, 0, 1), tag="front hair", depth_value=0.5)
    return Document((side, side), [layer], source=rgba.copy())
