"""Krita's foreground/background colour chips: two overlapping squares (the foreground on top), a click on one opens
the colour dialog for it, the arrow (or X) swaps them, the small pair (or D) resets them to black and white."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QColorDialog, QWidget

CHIP = 26
SIDE = 44


class ColourChips(QWidget):
    #: the foreground or the background colour changed
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.foreground = QColor(0, 0, 0)
        self.background = QColor(255, 255, 255)
        self.setFixedSize(SIDE, SIDE)
        self.setToolTip("Foreground and background colours: click one to choose it; the arrow or X swaps them, "
                        "the small pair or D resets them to black and white; Ctrl+click on the canvas picks a colour")
        self.setAccessibleName("Foreground and background colours")

    def sizeHint(self) -> QSize:
        return QSize(SIDE, SIDE)

    # --- the colours -------------------------------------------------------------------------------------------
    def set_foreground(self, colour: QColor) -> None:
        if colour.isValid() and colour.rgb() != self.foreground.rgb():
            self.foreground = QColor(colour.rgb())
            self.update()
            self.changed.emit()

    def set_background(self, colour: QColor) -> None:
        if colour.isValid() and colour.rgb() != self.background.rgb():
            self.background = QColor(colour.rgb())
            self.update()
            self.changed.emit()

    def swap(self) -> None:
        self.foreground, self.background = self.background, self.foreground
        self.update()
        self.changed.emit()

    def reset(self) -> None:
        self.foreground, self.background = QColor(0, 0, 0), QColor(255, 255, 255)
        self.update()
        self.changed.emit()

    # --- geometry ----------------------------------------------------------------------------------------------
    def _front(self) -> QRect:
        return QRect(0, 0, CHIP, CHIP)

    def _back(self) -> QRect:
        return QRect(SIDE - CHIP, SIDE - CHIP, CHIP, CHIP)

    def _swap_area(self) -> QRect:
        return QRect(CHIP + 2, 0, SIDE - CHIP - 2, SIDE - CHIP - 2)

    def _reset_area(self) -> QRect:
        return QRect(0, CHIP + 2, SIDE - CHIP - 2, SIDE - CHIP - 2)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._swap_area().contains(pos):
            self.swap()
        elif self._reset_area().contains(pos):
            self.reset()
        elif self._front().contains(pos):
            self.set_foreground(QColorDialog.getColor(self.foreground, self, "Foreground colour"))
        elif self._back().contains(pos):
            self.set_background(QColorDialog.getColor(self.background, self, "Background colour"))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        frame = QPen(self.palette().color(QPalette.ColorRole.WindowText), 1)
        painter.setPen(frame)
        for rect, colour in ((self._back(), self.background), (self._front(), self.foreground)):
            painter.setBrush(colour)
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        # the swap arrow (top right) and the default pair (bottom left)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = self._swap_area()
        painter.drawLine(QPointF(s.left() + 2, s.top() + 3), QPointF(s.right() - 3, s.top() + 3))
        painter.drawLine(QPointF(s.right() - 3, s.top() + 3), QPointF(s.right() - 3, s.bottom() - 2))
        painter.setBrush(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawPolygon(QPolygonF([QPointF(s.left(), s.top() + 3), QPointF(s.left() + 4, s.top()),
                                       QPointF(s.left() + 4, s.top() + 6)]))
        painter.drawPolygon(QPolygonF([QPointF(s.right() - 3, s.bottom()), QPointF(s.right() - 6, s.bottom() - 4),
                                       QPointF(s.right(), s.bottom() - 4)]))
        r = self._reset_area()
        painter.setBrush(Qt.GlobalColor.white)
        painter.drawRect(QRect(r.left() + 5, r.top() + 5, 8, 8))
        painter.setBrush(Qt.GlobalColor.black)
        painter.drawRect(QRect(r.left() + 1, r.top() + 1, 8, 8))
        painter.end()
