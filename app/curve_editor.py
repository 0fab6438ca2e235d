"""A small editor for a piecewise-linear curve on [0, 1] × [0, 1] (the brush's pressure curve), as Krita's: drag a
control point, click an empty place to add one, double-click (or right-click) a point to remove it. The first and
last points stay at input 0 and 1 (only their output moves), points keep their order, and there are at most
`max_points`. `curve_changed` reports the points as `((input, output), …)`."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Curve = tuple[tuple[float, float], ...]
LINEAR: Curve = ((0.0, 0.0), (1.0, 1.0))
#: the presets offered beside the editor: (name, points)
PRESETS: tuple[tuple[str, Curve], ...] = (
    ("Linear", LINEAR),
    ("Soft", ((0.0, 0.0), (0.3, 0.6), (1.0, 1.0))),
    ("Hard", ((0.0, 0.0), (0.7, 0.4), (1.0, 1.0))),
    ("S-curve", ((0.0, 0.0), (0.3, 0.1), (0.7, 0.9), (1.0, 1.0))),
    ("Light touch", ((0.0, 0.3), (1.0, 1.0))),
)
#: how near (px) a press must be to a point to take it
GRAB = 8
MARGIN = 6


class CurveEditor(QWidget):
    curve_changed = Signal(object)

    def __init__(self, max_points: int = 32, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_points = max_points
        self._points: list[tuple[float, float]] = list(LINEAR)
        self._dragging: int | None = None
        self.setMinimumSize(120, 96)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Pressure curve: drag a point, click to add one, double-click a point to remove it")

    def sizeHint(self) -> QSize:
        return QSize(200, 120)

    # --- the curve -------------------------------------------------------------------------------------------------
    def curve(self) -> Curve:
        return tuple((round(x, 4), round(y, 4)) for x, y in self._points)

    def set_curve(self, points: Curve) -> None:
        """Show `points` (at least two, inputs increasing, the ends at 0 and 1); reports the change."""
        pts = sorted((min(max(float(x), 0.0), 1.0), min(max(float(y), 0.0), 1.0)) for x, y in points)
        if len(pts) < 2:
            raise ValueError("a curve needs at least two points")
        pts[0], pts[-1] = (0.0, pts[0][1]), (1.0, pts[-1][1])
        self._points = pts[: self.max_points - 1] + [pts[-1]] if len(pts) > self.max_points else pts
        self.update()
        self.curve_changed.emit(self.curve())

    # --- geometry -----------------------------------------------------------------------------------------------
    def _area(self) -> QRectF:
        return QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def to_widget(self, point: tuple[float, float]) -> QPointF:
        area = self._area()
        return QPointF(area.left() + point[0] * area.width(), area.bottom() - point[1] * area.height())

    def _to_curve(self, pos: QPointF) -> tuple[float, float]:
        area = self._area()
        x = (pos.x() - area.left()) / max(area.width(), 1.0)
        y = (area.bottom() - pos.y()) / max(area.height(), 1.0)
        return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)

    def _point_at(self, pos: QPointF) -> int | None:
        for i, point in enumerate(self._points):
            at = self.to_widget(point)
            if abs(at.x() - pos.x()) <= GRAB and abs(at.y() - pos.y()) <= GRAB:
                return i
        return None

    # --- editing ---------------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        index = self._point_at(pos)
        if event.button() == Qt.MouseButton.RightButton:
            if index is not None:
                self._remove(index)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if index is None and len(self._points) < self.max_points:
            x, y = self._to_curve(pos)
            if 0.0 < x < 1.0 and all(abs(x - px) > 0.01 for px, _ in self._points):
                self._points.append((x, y))
                self._points.sort()
                index = self._points.index((x, y))
                self.update()
                self.curve_changed.emit(self.curve())
        self._dragging = index

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging is None:
            return
        i = self._dragging
        x, y = self._to_curve(event.position())
        if i == 0:
            x = 0.0
        elif i == len(self._points) - 1:
            x = 1.0
        else:  # between its neighbours: the inputs keep increasing
            x = min(max(x, self._points[i - 1][0] + 0.01), self._points[i + 1][0] - 0.01)
        self._points[i] = (x, y)
        self.update()
        self.curve_changed.emit(self.curve())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self._point_at(event.position())
        if index is not None:
            self._remove(index)

    def _remove(self, index: int) -> None:
        if 0 < index < len(self._points) - 1:  # the ends stay
            del self._points[index]
            self._dragging = None
            self.update()
            self.curve_changed.emit(self.curve())

    # --- drawing ---------------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        area = self._area()
        painter.fillRect(area, pal.color(QPalette.ColorRole.Base))
        grid = QPen(pal.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DotLine)
        painter.setPen(grid)
        for i in range(1, 4):
            x = area.left() + area.width() * i / 4
            y = area.top() + area.height() * i / 4
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(area)
        line = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
        painter.setPen(line)
        points = [self.to_widget(p) for p in self._points]
        for a, b in zip(points, points[1:]):
            painter.drawLine(a, b)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Text), 1))
        painter.setBrush(QColor(pal.color(QPalette.ColorRole.Highlight)))
        for point in points:
            painter.drawEllipse(point, 4, 4)
        painter.end()
