"""Tools that do not change pixels: Pan (drag the view) and Region (drag a box: the region that Re-decompose region
works on, session.region)."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from seethrough.app.tools.base import Tool


class PanTool(Tool):
    key: ClassVar[str] = "pan"
    title: ClassVar[str] = "Pan"
    icon: ClassVar[str] = "pan"
    shortcut: ClassVar[str] = "H"
    tip: ClassVar[str] = "Drag to move the view (Space + drag and the middle button pan with any tool)."

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.OpenHandCursor)

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        self.canvas.begin_pan()
        return True

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        self.canvas.end_pan()


class RegionTool(Tool):
    key: ClassVar[str] = "region"
    title: ClassVar[str] = "Region"
    icon: ClassVar[str] = "region"
    shortcut: ClassVar[str] = "R"
    tip: ClassVar[str] = ("Drag a box on the canvas: the region that Decompose ▸ Re-decompose region runs the layer "
                          "model on again (Shift+R clears it).")

    def __init__(self, canvas) -> None:  # noqa: ANN001 - a CanvasView
        super().__init__(canvas)
        self._from: QPointF | None = None
        self._band = QGraphicsRectItem()
        pen = QPen(QColor(255, 200, 0), 0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._band.setPen(pen)
        self._band.setZValue(10)
        self._band.setVisible(False)
        canvas.scene().addItem(self._band)

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        if self.canvas.session.document is None:
            return False
        self._from = self.canvas.clamped(pos)
        return True

    def move(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> None:
        if self._from is not None:
            self._band.setRect(QRectF(self._from, self.canvas.clamped(pos)).normalized())
            self._band.setVisible(True)

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        if self._from is None:
            return
        start, end, self._from = self._from, self.canvas.clamped(pos), None
        self._band.setVisible(False)
        x0, x1 = sorted((int(start.x()), int(round(end.x()))))
        y0, y1 = sorted((int(start.y()), int(round(end.y()))))
        self.canvas.session.set_region((x0, y0, x1, y1) if x1 - x0 >= 2 and y1 - y0 >= 2 else None)

    def deactivate(self) -> None:
        self._from = None
        self._band.setVisible(False)
