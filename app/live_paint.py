"""Live strokes on the canvas: the dabs appear under the pen at once, and only the rectangle they touched is
re-rendered (docs/painting.md, "Live painting on the canvas").

A stroke being drawn is a `LiveStroke` (its brush settings and the `StrokeEngine` laying its dabs). Every change
queues the rectangle it touched, cut into 256-pixel blocks of the canvas grid; a zero-delay timer renders queued
blocks on the UI thread until 10 ms of its frame are spent and leaves the rest to the next turn of the event loop,
so input keeps flowing whatever the brush's size. A block is the document's composite on that rectangle
(`composite_region`, or the depth view's grey) with each live stroke's layers replaced by stand-ins showing the
stroke so far (core/brush/preview.py), patched into the displayed image in place.

On the release the tool hands the stroke over with its `Stroke` operation: strokes commit one after another in the
`paint` lane (a stroke planned before the previous one landed would find its layer changed), with the finished
engine as the operation's resource, so no dab is laid twice. A stroke stays shown live until its commit lands; a
composite that was started before that landed and arrives after it gets the stroke's rectangle repainted.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from seethrough.app.operations import run_operation
from seethrough.core.brush import StrokeEngine, StrokeParams
from seethrough.core.brush.preview import preview_layers
from seethrough.core.compositing import composite_region
from seethrough.core.document import DocumentLike
from seethrough.core.operations.editing import Stroke
from seethrough.core.tiles import Rect, intersect_rects, tile_rect

if TYPE_CHECKING:
    from seethrough.app.canvas import CanvasView

#: the side of the canvas blocks that live repaints are cut into (px)
BLOCK = 256
#: UI-thread time one turn of the event loop may spend repainting (s); the rest waits for the next turn
FRAME_BUDGET = 0.010
#: the lane strokes commit in, one after another
PAINT_LANE = "paint"


@dataclass(eq=False)
class LiveStroke:
    """A stroke shown over the document until its commit lands: its brush (layers named by uid) and its engine."""

    params: StrokeParams
    engine: StrokeEngine

    def covered(self) -> list[Rect]:
        """The canvas tiles the stroke reached (a long diagonal stroke covers far less than its bounding box)."""
        return [tile_rect(key) for key in self.engine.mask.keys]


class LivePaint(QObject):
    """The canvas's live strokes, their partial repaints and their commits (see the module doc)."""

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        #: strokes shown over the document, oldest first: the one being drawn, and those waiting to commit
        self.strokes: list[LiveStroke] = []
        #: (render serial when it landed, its tiles) of committed strokes a composite started earlier lacks
        self._landed: list[tuple[int, list[Rect]]] = []
        self._dirty: OrderedDict[tuple[int, int], Rect] = OrderedDict()
        self._commits: deque[tuple[LiveStroke, Stroke]] = deque()
        self._committing: LiveStroke | None = None
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._frame)
        #: UI-thread milliseconds of each repaint turn, and the blocks it rendered (bench/bench_paint_ui.py)
        self.frame_ms: deque[float] = deque(maxlen=10_000)
        self.blocks_rendered = 0

    # --- strokes ---------------------------------------------------------------------------------------------------
    def begin(self, stroke: LiveStroke, rect: Rect | None) -> None:
        """Show a new stroke; `rect`: what its first dab touched."""
        self.strokes.append(stroke)
        self.refresh(rect)

    def cancel(self, stroke: LiveStroke) -> None:
        """Drop a stroke that will not be committed (its rectangle is repainted without it)."""
        if stroke in self.strokes:
            self.strokes.remove(stroke)
            self.refresh_all(stroke.covered())

    def commit(self, stroke: LiveStroke, op: Stroke) -> None:
        """Commit `op` (the finished stroke) after those before it; the stroke stays shown until it lands."""
        self._commits.append((stroke, op))
        self._next_commit()

    @property
    def busy(self) -> bool:
        """A stroke is shown, committing or waiting to (tests and the bench wait for this to end)."""
        return bool(self.strokes or self._commits or self._committing or self._dirty)

    def _next_commit(self) -> None:
        if self._committing is not None or not self._commits:
            return
        stroke, op = self._commits.popleft()
        self._committing = stroke
        canvas = self.canvas
        run_operation(canvas.session, canvas.jobs, op, canvas, lane=PAINT_LANE, resources=stroke.engine,
                      on_applied=lambda _command: self._landed_or_not(stroke, True),
                      on_refused=lambda _error: self._landed_or_not(stroke, False))
        if self._committing is stroke and canvas.session.document is None:  # nothing to commit to
            self._landed_or_not(stroke, False)

    def _landed_or_not(self, stroke: LiveStroke, landed: bool) -> None:
        if self._committing is stroke:
            self._committing = None
        if stroke in self.strokes:
            self.strokes.remove(stroke)
        if landed:  # the displayed image shows it already; a composite begun before now does not
            self._landed.append((self.canvas.render_serial, stroke.covered()))
        else:
            self.refresh_all(stroke.covered())
        self._next_commit()

    def after_render(self, serial: int) -> None:
        """A composite (job number `serial`) replaced the displayed image: repaint what it lacks."""
        self._landed = [(landed_at, tiles) for landed_at, tiles in self._landed if landed_at >= serial]
        for _landed_at, tiles in self._landed:
            self.refresh_all(tiles)
        for stroke in self.strokes:
            self.refresh_all(stroke.covered())

    def refresh_all(self, rects: list[Rect]) -> None:
        for rect in rects:
            self.refresh(rect)

    # --- repainting ----------------------------------------------------------------------------------------------
    def refresh(self, rect: Rect | None) -> None:
        """Queue the canvas rectangle `rect` for repainting from the document and the live strokes."""
        doc = self.canvas.session.document
        if rect is None or doc is None:
            return
        inner = intersect_rects(rect, (0, 0, doc.width, doc.height))
        if inner is None:
            return
        x0, y0, x1, y1 = inner
        for by in range(y0 // BLOCK, (y1 - 1) // BLOCK + 1):
            for bx in range(x0 // BLOCK, (x1 - 1) // BLOCK + 1):
                part = intersect_rects(inner, (bx * BLOCK, by * BLOCK, (bx + 1) * BLOCK, (by + 1) * BLOCK))
                assert part is not None
                queued = self._dirty.get((bx, by))
                self._dirty[(bx, by)] = part if queued is None else (
                    min(queued[0], part[0]), min(queued[1], part[1]), max(queued[2], part[2]), max(queued[3], part[3]))
        if not self._timer.isActive():
            self._timer.start()

    def _frame(self) -> None:
        start = time.perf_counter()
        doc = self.canvas.session.document
        if doc is None or self.canvas.picture.image.isNull():
            self._dirty.clear()
            return
        while self._dirty and time.perf_counter() - start < FRAME_BUDGET:
            _key, rect = self._dirty.popitem(last=False)
            self.render(doc, rect)
        self.frame_ms.append((time.perf_counter() - start) * 1000.0)
        if self._dirty:
            self._timer.start()

    def render(self, doc: DocumentLike, rect: Rect) -> None:
        """Repaint one canvas rectangle now."""
        from seethrough.app.canvas import depth_region, to_display_qimage

        layers = list(doc.layers)
        for stroke in self.strokes:
            layers = preview_layers(layers, stroke.params, stroke.engine.mask, rect, doc.source)
        canvas = self.canvas
        image = depth_region(layers, rect) if canvas.show_depth else composite_region(layers, rect, mode=canvas.mode)
        canvas.picture.patch(rect[0], rect[1], to_display_qimage(image))
        self.blocks_rendered += 1
