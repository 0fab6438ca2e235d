"""The selection tools, as in Krita: rectangle (Ctrl+R), ellipse (J), freehand lasso, polygon lasso and magic wand
(app/tools/selection_lasso.py, app/tools/selection_wand.py).

A shape drawn on the canvas becomes one `select` operation (core.operations.editing.Select): one undo step, in the
operation log. How it combines with what is selected is the mode chosen in Tool Options, or, for one shape, the
modifiers held when it starts: Shift adds, Alt subtracts, Shift+Alt intersects. A click without a drag deselects
(replace mode), as in Krita. Rectangles and ellipses snap to pixel edges.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QCursor, QPainterPath, QPen
from PySide6.QtWidgets import QComboBox, QFormLayout, QGraphicsPathItem, QLabel, QWidget

from seethrough.app.canvas import CanvasView
from seethrough.app.jobs import Job
from seethrough.app.operations import run_operation
from seethrough.app.params import bind_combo
from seethrough.app.tools.base import Tool
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import Operation, layer_ref
from seethrough.core.operations.editing import Select

#: above the picture, under the marching ants
Z_FEEDBACK = 40
#: a press and release closer than this (screen pixels) is a click
CLICK_PX = 3


def mode_of(modifiers: Qt.KeyboardModifier, chosen: str) -> str:
    """The selection mode the modifiers ask for (Krita's): Shift adds, Alt subtracts, both intersect."""
    shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
    alt = bool(modifiers & Qt.KeyboardModifier.AltModifier)
    if shift and alt:
        return "intersect"
    if shift:
        return "add"
    if alt:
        return "subtract"
    return chosen


def feedback_item(canvas: CanvasView) -> QGraphicsPathItem:
    """A dashed outline for a shape being drawn (cosmetic: the same width at every zoom)."""
    item = QGraphicsPathItem()
    pen = QPen(QColor(80, 170, 255), 1.5, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    item.setPen(pen)
    item.setZValue(Z_FEEDBACK)
    item.setVisible(False)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    canvas.scene().addItem(item)
    return item


class OperationQueue(QObject):
    """A tool's operations run one after another, each planned on the document as the one before left it: a second
    wand click while the first is still computed waits for it, instead of being refused as stale."""

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self._waiting: deque[tuple[Operation, bool]] = deque()
        self._job: Job | None = None
        canvas.jobs.job_changed.connect(self._job_changed)

    @property
    def busy(self) -> bool:
        return self._job is not None or bool(self._waiting)

    def add(self, op: Operation, background: bool) -> None:
        self._waiting.append((op, background))
        self._start()

    def _start(self) -> None:
        while self._job is None and self._waiting:
            op, background = self._waiting.popleft()
            self._job = run_operation(self.canvas.session, self.canvas.jobs, op, self.canvas, background=background)

    def _job_changed(self, job: Job) -> None:
        if job is self._job and not job.state.active:
            self._job = None
            QTimer.singleShot(0, self._start)  # after the job's result was applied (that follows this signal)


class SelectionTool(Tool):
    """What every selection tool shares: the mode (Tool Options, or the modifiers) and running `select`."""

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.mode_box = QComboBox()
        bind_combo(self.mode_box, Select, "mode")
        self.mode_box.setObjectName(f"{self.key}-mode")
        self.feedback = feedback_item(canvas)
        self.queue = OperationQueue(canvas)

    @property
    def mode(self) -> str:
        return self.mode_box.currentText()

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    def build_options(self) -> QWidget:
        widget = QWidget()
        form = QFormLayout(widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Mode", self.mode_box)
        self.add_options(form)
        hint = QLabel(f"{self.tip}<br>Shift adds, Alt subtracts, Shift+Alt intersects.")
        hint.setWordWrap(True)
        form.addRow(hint)
        return widget

    def add_options(self, form: QFormLayout) -> None:
        """The tool's own settings, below the mode."""

    def deactivate(self) -> None:
        self.feedback.setVisible(False)

    def current_ref(self) -> str | None:
        """How operations name the current layer (None when there is none)."""
        doc, layer = self.canvas.session.document, self.canvas.session.current_layer
        return None if doc is None or layer is None else layer_ref(doc, layer.uid)

    def run(self, background: bool = False, **values: Any) -> None:
        """Run one `select` operation (a refusal, e.g. too few points, is shown)."""
        try:
            op = Select(**values)
        except SeeThroughError as exc:
            from seethrough.app.errors import show_error

            show_error(self.canvas, exc)
            return
        self.queue.add(op, background)

    def deselect_on_click(self, mode: str) -> None:
        """A click without a drag: deselect in replace mode (Krita)."""
        doc = self.canvas.session.document
        if mode == "replace" and doc is not None and doc.selection is not None:
            self.run(action="none")

    def is_click(self, start: QPointF, end: QPointF) -> bool:
        a, b = self.canvas.mapFromScene(start), self.canvas.mapFromScene(end)
        return abs(a.x() - b.x()) < CLICK_PX and abs(a.y() - b.y()) < CLICK_PX


def snapped_box(a: QPointF, b: QPointF) -> tuple[float, float, float, float]:
    """The box between two points, its corners on the nearest pixel edges."""
    x0, x1 = sorted((round(a.x()), round(b.x())))
    y0, y1 = sorted((round(a.y()), round(b.y())))
    return float(x0), float(y0), float(x1), float(y1)


class BoxSelectTool(SelectionTool):
    """Drag a box: a rectangle or the ellipse inscribed in it."""

    shape: ClassVar[str] = "rect"

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self._start: QPointF | None = None
        self._mode = "replace"

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        if self.canvas.session.document is None:
            return False
        self._start, self._mode = pos, mode_of(modifiers, self.mode)
        return True

    def move(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> None:
        if self._start is None:
            return
        x0, y0, x1, y1 = snapped_box(self._start, pos)
        path = QPainterPath()
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if self.shape == "rect":
            path.addRect(rect)
        else:
            path.addEllipse(rect)
        self.feedback.setPath(path)
        self.feedback.setVisible(True)

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        start, self._start = self._start, None
        self.feedback.setVisible(False)
        if start is None:
            return
        box = snapped_box(start, pos)
        if self.is_click(start, pos) or box[2] <= box[0] or box[3] <= box[1]:
            self.deselect_on_click(self._mode)
            return
        self.run(shape=self.shape, mode=self._mode, box=box)

    def deactivate(self) -> None:
        self._start = None
        super().deactivate()


class RectSelectTool(BoxSelectTool):
    key: ClassVar[str] = "select-rect"
    title: ClassVar[str] = "Rectangular Selection"
    icon: ClassVar[str] = "select-rect"
    shortcut: ClassVar[str] = "Ctrl+R"
    tip: ClassVar[str] = "Drag a rectangle to select it; a click deselects."
    shape: ClassVar[str] = "rect"


class EllipseSelectTool(BoxSelectTool):
    key: ClassVar[str] = "select-ellipse"
    title: ClassVar[str] = "Elliptical Selection"
    icon: ClassVar[str] = "select-ellipse"
    shortcut: ClassVar[str] = "J"
    tip: ClassVar[str] = "Drag a box to select the ellipse inside it; a click deselects."
    shape: ClassVar[str] = "ellipse"
