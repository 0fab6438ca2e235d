"""The main preview: the rendered model in a QGraphicsView with zoom (wheel) and pan (middle or right drag, or
Space + drag), the tag overlay with contours, and the selection drawn on top — in "see-through" mode the selected
fragments' whole shapes, hidden parts included, tinted and outlined.

Picking: a click selects the top-most shown fragment under the cursor; Alt-click at the same pixel cycles through
every fragment there (alpha > 0, near → far); Ctrl-click toggles; a left drag on the model draws a rubber band
that selects the fragments lying inside it (Ctrl adds). The view only reports picks (`picked`); the workspace
owns the selection.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QRubberBand,
    QWidget,
)

from seethrough.annotation.session import AnnotationState
from seethrough.app.canvas import to_qimage

#: colour of the selection highlight (see-through tint and outline)
SELECTION_RGB = (0, 200, 255)


def outline_path(mask: np.ndarray) -> QPainterPath:
    """The outer and inner borders of a boolean mask as one path (pixel-corner coordinates)."""
    path = QPainterPath()
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        points = contour[:, 0, :].astype(np.float64) + 0.5
        if len(points) < 2:
            continue
        path.moveTo(QPointF(*points[0]))
        for x, y in points[1:]:
            path.lineTo(QPointF(x, y))
        path.closeSubpath()
    return path


class AnnotateCanvas(QGraphicsView):
    #: a click or rubber band chose fragments: (mesh ids, mode) with mode "replace" | "toggle" | "add"
    picked = Signal(list, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state: AnnotationState | None = None
        self.see_through = True
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setBackgroundBrush(QBrush(QColor(58, 58, 62)))
        self.setMinimumSize(320, 320)
        self.image_item = QGraphicsPixmapItem()
        self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.tint_item = QGraphicsPixmapItem()
        self.outline_item = QGraphicsPathItem()
        pen = QPen(QColor(*SELECTION_RGB), 2)
        pen.setCosmetic(True)  # stays 2 px wide at any zoom
        self.outline_item.setPen(pen)
        self.hint = QGraphicsSimpleTextItem("Open a Live2D model (.model3.json or .model.json),\nor drop one here")
        self.hint.setBrush(QColor(200, 200, 205))
        for z, item in enumerate((self.image_item, self.tint_item, self.outline_item, self.hint)):
            item.setZValue(z)
            self.scene().addItem(item)
        self._band = QRubberBand(QRubberBand.Shape.Rectangle, self.viewport())
        self._press: tuple[QPointF, Qt.KeyboardModifier] | None = None
        self._pan: QPointF | None = None
        self._space = False
        self._cycle: tuple[tuple[int, int], int] | None = None
        self._fitted = False

    # --- drawing ---------------------------------------------------------------------------------------------
    def show_state(self, state: AnnotationState | None, opacity: float, contours: bool) -> None:
        """Redraw the model (after a pose, label or visibility change)."""
        self.state = state
        self.hint.setVisible(state is None)
        if state is None:
            self.image_item.setPixmap(QPixmap())
            self.show_selection()
            return
        self.image_item.setPixmap(QPixmap.fromImage(to_qimage(state.overlay(opacity, contours))))
        self.scene().setSceneRect(QRectF(0, 0, state.frame.width, state.frame.height))
        self.show_selection()
        if not self._fitted:
            self.fit()

    def show_selection(self) -> None:
        """Redraw the selection highlight only (cheap: selection changes are frequent)."""
        state = self.state
        if state is None or not state.selected:
            self.tint_item.setPixmap(QPixmap())
            self.outline_item.setPath(QPainterPath())
            return
        mask = state.selection_mask(self.see_through)
        tint = np.zeros((*mask.shape, 4), np.uint8)
        tint[mask] = (*SELECTION_RGB, 90)
        self.tint_item.setPixmap(QPixmap.fromImage(to_qimage(tint)))
        self.outline_item.setPath(outline_path(mask))

    def reveal_selection(self, margin: int = 40) -> None:
        """Scroll the selection into view (when zoomed in): the mesh the review queue shows is on screen."""
        rect = self.outline_item.path().boundingRect()
        if not rect.isEmpty():
            self.ensureVisible(rect, margin, margin)

    def fit(self) -> None:
        if self.state is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            self._fitted = self.isVisible()

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.05 <= scale <= 40:
            self.scale(factor, factor)

    # View ▸ Zoom In / Zoom Out / Actual Size act on this view while Annotate is shown (app/workspaces/base.py)
    def zoom_in(self) -> None:
        self.zoom(1.25)
        self._fitted = True

    def zoom_out(self) -> None:
        self.zoom(1 / 1.25)
        self._fitted = True

    def actual_size(self) -> None:
        self.resetTransform()
        self._fitted = True

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        super().resizeEvent(event)
        if not self._fitted:
            self.fit()

    def showEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        super().showEvent(event)
        if not self._fitted:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom(1.2 if event.angleDelta().y() > 0 else 1 / 1.2)
        self._fitted = True

    # --- picking -------------------------------------------------------------------------------------------
    def image_point(self, pos: QPointF) -> tuple[int, int]:
        """A viewport position → the rendered image's pixel."""
        p = self.mapToScene(pos.toPoint())
        return int(np.floor(p.x())), int(np.floor(p.y()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        left = event.button() == Qt.MouseButton.LeftButton
        if not left or self._space:
            self._pan = event.position()
            return
        self._press = (event.position(), event.modifiers())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan is not None:
            delta = event.position() - self._pan
            self._pan = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        if self._press is not None:
            start = self._press[0]
            if (event.position() - start).manhattanLength() > 4:
                self._band.setGeometry(QRect(start.toPoint(), event.position().toPoint()).normalized())
                self._band.show()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan is not None:
            self._pan = None
            return
        if self._press is None:
            return
        start, modifiers = self._press
        self._press = None
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        if self._band.isVisible():
            self._band.hide()
            self.select_rect(start, event.position(), "add" if ctrl else "replace")
        else:
            self.click(event.position(), modifiers)

    def click(self, pos: QPointF, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        state = self.state
        if state is None:
            return
        point = self.image_point(pos)
        if modifiers & Qt.KeyboardModifier.AltModifier:
            hits = state.meshes_at(*point)
            if not hits:
                return
            index = (self._cycle[1] + 1) % len(hits) if self._cycle and self._cycle[0] == point else 0
            self._cycle = (point, index)
            self.picked.emit([hits[index]], "replace")
            return
        self._cycle = None
        mesh = state.pick(*point)
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        if mesh is not None:
            self.picked.emit([mesh], "toggle" if ctrl else "replace")
        elif not ctrl:
            self.picked.emit([], "replace")

    def select_rect(self, a: QPointF, b: QPointF, mode: str = "replace") -> None:
        if self.state is None:
            return
        (x0, y0), (x1, y1) = self.image_point(a), self.image_point(b)
        ids = self.state.meshes_in_rect(min(x0, x1), min(y0, y1), max(x0, x1) + 1, max(y0, y1) + 1)
        self.picked.emit(ids, mode)

    def view_position(self, x: float, y: float) -> QPointF:
        """The viewport position of an image pixel's centre (for tests and for centring on a fragment)."""
        return QPointF(self.mapFromScene(QPointF(x + 0.5, y + 0.5)))
