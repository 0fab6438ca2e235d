"""Timing the UI thread's event loop, for the stall-budget test and bench/bench_ui_stall.py.

`StallMeter` runs a short repeating QTimer on the UI thread. Between two ticks it records the wall-clock gap
(how late the loop got back to the timer: what the user sees, inflated when the machine is busy with other work)
and the UI thread's own CPU time (the work the UI thread did between two turns, which the machine's load does not
inflate). A long computation on the UI thread shows in both; a worker thread's work shows in neither.

So that a long turn can be explained, not only reported, each turn's CPU time is split into user time (code: ours,
Qt's, numpy's), kernel time (page faults, memory mapping; on a loaded machine also memory compaction, which the
kernel charges to whichever thread faults), the page faults themselves, and the time Python's cyclic garbage
collector ran on the UI thread (`gc.callbacks`). `StallStats.worst()` prints that breakdown for the longest turns.
`stratify_scene` is the 2048² scene: one layer with a two-cluster pseudo-depth map over its source.
"""

from __future__ import annotations

import gc
import resource
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QTimer

from seethrough.core.document import Document, Layer

TICK_MS = 5


@dataclass
class StallStats:
    wall: list[float] = field(default_factory=list)  # s between ticks, minus the tick interval
    cpu: list[float] = field(default_factory=list)  # UI-thread CPU s between ticks (user + kernel)
    user: list[float] = field(default_factory=list)  # of which user time
    kernel: list[float] = field(default_factory=list)  # of which kernel time
    faults: list[int] = field(default_factory=list)  # page faults (minor + major) the UI thread took
    gc: list[float] = field(default_factory=list)  # s the cyclic garbage collector ran on the UI thread

    def worst(self, n: int = 3) -> str:
        """The `n` turns with the most UI-thread CPU, each broken down."""
        order = np.argsort(self.cpu)[::-1][:n]
        return "; ".join(f"turn {i}: cpu {self.cpu[i] * 1000:.1f} ms = user {self.user[i] * 1000:.1f} + kernel "
                         f"{self.kernel[i] * 1000:.1f} ({self.faults[i]} page faults), gc {self.gc[i] * 1000:.1f} ms, "
                         f"wall gap {self.wall[i] * 1000:.1f} ms" for i in order)

    def summary(self) -> str:
        if not self.wall:
            return "no ticks"
        wall, cpu = np.asarray(self.wall) * 1000, np.asarray(self.cpu) * 1000
        return (f"{len(wall)} turns; UI-thread CPU per turn max {cpu.max():.1f} ms, "
                f"p95 {np.percentile(cpu, 95):.1f} ms; timer lateness max {wall.max():.1f} ms, "
                f"p95 {np.percentile(wall, 95):.1f} ms")


def spin_until(predicate, timeout: float = 600.0) -> None:
    """Turn the event loop (in 5 ms slices, so the meter's timer keeps firing) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s in vain")
        QTimer.singleShot(5, loop.quit)
        loop.exec()


@dataclass(frozen=True)
class _Reading:
    wall: float
    user: float
    kernel: float
    faults: int
    gc: float


class StallMeter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.stats = StallStats()
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last: _Reading | None = None
        self._thread = threading.get_ident()
        self._gc_started: float | None = None
        self._gc_total = 0.0

    def start(self) -> None:
        self.stats = StallStats()
        gc.callbacks.append(self._on_gc)
        self._last = self._read()
        self._timer.start()

    def stop(self) -> StallStats:
        self._timer.stop()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        return self.stats

    def _on_gc(self, phase: str, _info: dict) -> None:
        if threading.get_ident() != self._thread:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            self._gc_total += time.perf_counter() - self._gc_started
            self._gc_started = None

    def _read(self) -> _Reading:
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        return _Reading(time.perf_counter(), usage.ru_utime, usage.ru_stime, usage.ru_minflt + usage.ru_majflt,
                        self._gc_total)

    def _tick(self) -> None:
        now = self._read()
        last = self._last
        if last is not None:
            self.stats.wall.append(max(0.0, now.wall - last.wall - TICK_MS / 1000))
            self.stats.user.append(now.user - last.user)
            self.stats.kernel.append(now.kernel - last.kernel)
            self.stats.cpu.append(self.stats.user[-1] + self.stats.kernel[-1])
            self.stats.faults.append(now.faults - last.faults)
            self.stats.gc.append(now.gc - last.gc)
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


def stratify_workspace(session):
    """The Stratify workspace with the document canvas beside it, shown, as the window builds them (the canvas is the
    window's; the workspace reads its composite mode and the scenario waits for its image)."""
    from seethrough.app.canvas import CanvasView
    from seethrough.app.workspaces.stratify import StratifyWorkspace

    workspace = StratifyWorkspace(session)
    canvas = CanvasView(session, workspace.jobs)
    workspace.attach_canvas(canvas)
    workspace.resize(600, 800)
    canvas.resize(1000, 800)
    workspace.show()
    canvas.show()
    return workspace
