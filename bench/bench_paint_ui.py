"""Painting in the real window: a 2048² document of 23 layers, a scripted 200-point stroke through the brush tool.

Each point is a real mouse-move event sent to the canvas; after each one the event loop runs until the live repaint
is drawn (the engine's dabs, the touched blocks composited and patched into the displayed image, the viewport's
paint). Printed per brush size and composite mode:

- UI-thread time per frame: one event → dabs → repaint → viewport paint, all on the UI thread (mean, p95, max);
  the issue's target is ≤ 16 ms (60 fps);
- frames per second: frames drawn over the stroke's wall time with the points sent as fast as the loop takes them;
- the repaint turns alone (`LivePaint.frame_ms`) and the viewport paints alone;
- commit: release → the `Stroke` operation planned in the paint lane with the live engine → applied (one undo step),
  and the job's own time; then how long the full composite that follows takes to land (in the canvas lane, off the
  UI thread).

Run: `QT_QPA_PLATFORM=offscreen python -m bench.bench_paint_ui [--side 2048] [--points 200]`.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from seethrough.core.document import Document, Layer

COUNT = 23


def make_doc(side: int, seed: int = 0) -> Document:
    """23 layers of a character's part sizes (15–60 % of the side), mostly opaque, with depth maps; the middle one
    covers the canvas centre, where the stroke goes."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(COUNT):
        w, h = (int(v) for v in rng.integers(int(side * 0.15), int(side * 0.6), 2))
        x, y = int(rng.integers(0, side - w)), int(rng.integers(0, side - h))
        if i == COUNT // 2:
            w = h = side // 2
            x = y = side // 4
        rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        rgba[..., 3] = np.where(rgba[..., 3] > 100, 255, rgba[..., 3])
        depth = rng.uniform(0, 1, (h, w)).astype(np.float32)
        layers.append(Layer(f"layer{i}", rgba, (x, y), depth=depth, depth_value=float(rng.uniform())))
    source = np.zeros((side, side, 4), np.uint8)
    return Document((side, side), layers, source=source)


def path(side: int, count: int, step: float) -> list[tuple[float, float]]:
    """A gently curving path through the canvas centre, `step` canvas px between points."""
    heading, x, y, out = -0.4, side * 0.32, side * 0.55, []
    for _ in range(count):
        out.append((x, y))
        heading += 0.012
        x, y = x + step * math.cos(heading), y + step * math.sin(heading)
    return out


class PaintTimer(QObject):
    """Times the viewport's paint events."""

    def __init__(self) -> None:
        super().__init__()
        self.ms: list[float] = []
        self._start = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._start = time.perf_counter()
        return False

    def painted(self) -> None:
        if self._start:
            self.ms.append((time.perf_counter() - self._start) * 1000)
            self._start = 0.0


def spin(app: QApplication, done, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        app.processEvents()
        if time.monotonic() > end:
            raise TimeoutError("the window did not settle")
        time.sleep(0.001)


def summary(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"mean {statistics.fmean(values):6.2f}  p95 {p95:6.2f}  max {ordered[-1]:6.2f} ms"


def run_stroke(app: QApplication, window, points: list[tuple[float, float]], size: float) -> None:
    canvas = window.canvas
    viewport = canvas.viewport()
    live = canvas.live
    doc = window.session.document
    tool = window.toolbox.activate("brush")
    tool.set_size(size)
    timer = PaintTimer()
    viewport.installEventFilter(timer)
    live.frame_ms.clear()
    steps = doc.history.index

    def send(kind: QEvent.Type, x: float, y: float) -> None:
        pos = QPointF(canvas.mapFromScene(QPointF(x, y)))
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
        event = QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos)), Qt.MouseButton.LeftButton if
                            kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    frames: list[float] = []
    began = time.perf_counter()
    for i, (x, y) in enumerate(points):
        start = time.perf_counter()
        send(QEvent.Type.MouseButtonPress if i == 0 else QEvent.Type.MouseMove, x, y)
        while live._dirty or live._timer.isActive():  # the repaint turns, then the viewport's paint
            app.processEvents()
        app.processEvents()
        timer.painted()
        frames.append((time.perf_counter() - start) * 1000)
    elapsed = time.perf_counter() - began
    rendered: list[float] = []

    def note_render() -> None:
        rendered.append(time.perf_counter())

    canvas.rendered.connect(note_render)
    released = time.perf_counter()
    send(QEvent.Type.MouseButtonRelease, *points[-1])
    spin(app, lambda: doc.history.index > steps)
    committed = time.perf_counter() - released
    job = [j for j in window.jobs.jobs() if j.lane == "paint"][-1]
    spin(app, lambda: bool(rendered))
    landed = rendered[0] - released
    canvas.rendered.disconnect(note_render)
    spin(app, lambda: not window.jobs.busy_any)
    viewport.removeEventFilter(timer)
    worst = max(range(len(frames)), key=frames.__getitem__)
    print(f"  UI thread per frame   {summary(frames)}   ({len(frames)} frames; the slowest is frame {worst})")
    print(f"  frames per second     {len(frames) / elapsed:6.1f}")
    print(f"  repaint turns         {summary(list(live.frame_ms))}")
    print(f"  viewport paints       {summary(timer.ms)}")
    print(f"  commit (release → applied) {committed * 1000:6.1f} ms wall; the paint-lane job "
          f"{job.seconds * 1000:6.1f} ms; full composite landed {landed * 1000:6.0f} ms after the release")
    window.undo()
    spin(app, lambda: not window.jobs.busy_any)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    from seethrough.app.application import create_main_window
    from seethrough.app.gc_policy import quiet_gc

    window = create_main_window(Path(tempfile.mkdtemp()) / "settings.ini")
    window.resize(1600, 1000)
    window.show()
    spin(app, lambda: window.session.document is not None)
    window.tabs.setCurrentWidget(window.workspaces["stratify"])
    quiet_gc()
    doc = make_doc(args.side)
    window.session.set_document(doc)
    spin(app, lambda: window.canvas.last_image is not None and window.canvas.last_image.shape[0] == args.side)
    spin(app, lambda: not window.jobs.busy_any)
    window.session.set_current(doc.layers[COUNT // 2].uid)
    window.canvas.fit()
    for layer in doc.layers:  # the dense arrays the region composites read, as after any first full composite
        layer.shown_rgba  # noqa: B018
    print(f"{args.side}² document, {COUNT} layers, window 1600×1000 offscreen, canvas zoom {window.canvas.zoom:.0%}; "
          f"{args.points}-point stroke on the middle layer")
    for mode in ("stack", "zbuffer"):
        window.canvas.set_mode(mode)
        spin(app, lambda: not window.jobs.busy_any)
        for size, step in ((20.0, 4.0), (100.0, 12.0)):
            print(f"{mode} composite, {size:.0f} px brush, {step:.0f} px between points:")
            run_stroke(app, window, path(args.side, args.points, step), size)
    window.jobs.wait(60_000)
    window.close()


if __name__ == "__main__":
    main()
