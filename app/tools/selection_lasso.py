"""The lasso tools: freehand (drag around what to select) and polygon (click the corners; a double-click, Enter or
a click on the first point closes it, Esc drops it, Backspace takes the last point back). Both select a `polygon`
(core/selection/shapes.py: anti-aliased, non-zero winding), one `select` operation each."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSceneMouseEvent

from seethrough.app.canvas import CanvasView
from seethrough.app.tools.selection import SelectionTool, mode_of
from seethrough.core import edit_limits as lim

#: the freehand lasso keeps a point once the pointer is this far (screen pixels) from the last one
LASSO_STEP_PX = 2.0
#: a click this close (screen pixels) to the polygon's first point closes it
CLOSE_PX = 6.0
#: points are written with this many decimals (the log stays readable; a hundredth of a pixel is plenty)
DECIMALS = 2


def _point(pos: QPointF) -> tuple[float, float]:
    return round(pos.x(), DECIMALS), round(pos.y(), DECIMALS)


def _polyline(points: list[tuple[float, float]], closed: bool) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
    if closed:
        path.closeSubpath()
    return path


class LassoTool(SelectionTool):
    key: ClassVar[str] = "select-lasso"
    title: ClassVar[str] = "Freehand Selection"
    icon: ClassVar[str] = "lasso"
    tip: ClassVar[str] = "Drag around what to select; releasing closes the outline."

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self._points: list[tuple[float, float]] = []
        self._mode = "replace"

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        if self.canvas.session.document is None:
            return False
        self._points, self._mode = [_point(pos)], mode_of(modifiers, self.mode)
        return True

    def move(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> None:
        if not self._points or len(self._points) >= lim.MAX_POINTS:
            return
        step = LASSO_STEP_PX / max(self.canvas.zoom, 1e-6)
        last = self._points[-1]
        if math.hypot(pos.x() - last[0], pos.y() - last[1]) >= step:
            self._points.append(_point(pos))
            self.feedback.setPath(_polyline(self._points, closed=False))
            self.feedback.setVisible(True)

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        points, self._points = self._points, []
        self.feedback.setVisible(False)
        if len(points) < 3:
            self.deselect_on_click(self._mode)
            return
        self.run(shape="polygon", mode=self._mode, points=tuple(points))

    def deactivate(self) -> None:
        self._points = []
        super().deactivate()


class _DoubleClickCatcher(QGraphicsRectItem):
    """An invisible item over the canvas that hears double-clicks (the canvas hands tools presses, not those)."""

    def __init__(self, on_double_click: Callable[[QPointF], None]) -> None:
        super().__init__()
        self._on_double_click = on_double_click
        self.setPen(Qt.PenStyle.NoPen)
        self.setBrush(Qt.BrushStyle.NoBrush)
        self.setZValue(1000)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setVisible(False)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.ignore()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._on_double_click(event.scenePos())
        event.accept()


class PolygonLassoTool(SelectionTool):
    key: ClassVar[str] = "select-polygon"
    title: ClassVar[str] = "Polygonal Selection"
    icon: ClassVar[str] = "polygon-lasso"
    tip: ClassVar[str] = ("Click the corners; double-click, Enter or a click on the first point closes the polygon, "
                          "Esc drops it, Backspace takes the last point back.")

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []
        self._mode = "replace"
        self._hover: QPointF | None = None
        self._catcher = _DoubleClickCatcher(self._double_click)
        canvas.scene().addItem(self._catcher)

    def activate(self) -> None:
        self._cover_canvas()
        self._catcher.setVisible(True)

    def _cover_canvas(self) -> None:
        """The double-click catcher covers the document's canvas (which may have been replaced since)."""
        doc = self.canvas.session.document
        if doc is not None:
            self._catcher.setRect(QRectF(0, 0, doc.width, doc.height))

    def deactivate(self) -> None:
        self._catcher.setVisible(False)
        self.cancel()
        super().deactivate()

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        if self.canvas.session.document is None:
            return False
        if not self.points:
            self._mode = mode_of(modifiers, self.mode)
            self._cover_canvas()
        elif len(self.points) >= 3 and self._near_first(pos):
            self.close()
            return False
        if len(self.points) < lim.MAX_POINTS:
            self.points.append(_point(pos))
        self._draw()
        return False

    def hover(self, pos: QPointF) -> None:
        self._hover = pos
        if self.points:
            self._draw()

    def key_press(self, event: QKeyEvent) -> bool:
        if not self.points:
            return False
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.close()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        elif key == Qt.Key.Key_Backspace:
            self.points.pop()
            self._draw()
        else:
            return False
        return True

    def close(self) -> None:
        """Select the polygon drawn so far (fewer than 3 points select nothing)."""
        points, mode = self.points, self._mode
        self.cancel()
        if len(points) >= 3:
            self.run(shape="polygon", mode=mode, points=tuple(points))

    def cancel(self) -> None:
        self.points = []
        self.feedback.setVisible(False)

    def _double_click(self, pos: QPointF) -> None:
        if self.points:
            if not self._near_last(pos):
                self.points.append(_point(pos))
            self.close()

    def _screen_distance(self, pos: QPointF, point: tuple[float, float]) -> float:
        a, b = self.canvas.mapFromScene(pos), self.canvas.mapFromScene(QPointF(*point))
        return math.hypot(a.x() - b.x(), a.y() - b.y())

    def _near_first(self, pos: QPointF) -> bool:
        return self._screen_distance(pos, self.points[0]) <= CLOSE_PX

    def _near_last(self, pos: QPointF) -> bool:
        return self._screen_distance(pos, self.points[-1]) <= CLOSE_PX

    def _draw(self) -> None:
        if not self.points:
            self.feedback.setVisible(False)
            return
        shown = list(self.points)
        if self._hover is not None:
            shown.append(_point(self._hover))
        self.feedback.setPath(_polyline(shown, closed=False))
        self.feedback.setVisible(True)
