"""The central canvas: the composite of the open document over a checkerboard, with zoom, pan, fit and 1:1.

Re-rendering follows `session.changed`, coalesced with a zero-delay timer so a burst of edits renders once. The
composite itself (0.2–0.9 s for the z-buffer at 1024²) is a latest-wins job on a document snapshot in the `canvas`
lane; the UI thread only swaps in the finished image.
View options (composite mode, depth view, outline of the current layer) are plain attributes set by the Tools
panel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView, QWidget

from seethrough.app.jobs import JobManager
from seethrough.app.session import DocumentSession

ZOOM_STEP = 1.25


def checker_brush(cell: int = 12) -> QBrush:
    tile = QPixmap(cell * 2, cell * 2)
    tile.fill(QColor(205, 205, 205))
    painter = QPainter(tile)
    painter.fillRect(0, 0, cell, cell, QColor(245, 245, 245))
    painter.fillRect(cell, cell, cell, cell, QColor(245, 245, 245))
    painter.end()
    return QBrush(tile)


def to_qimage(rgba: np.ndarray) -> QImage:
    """RGBA uint8 (straight alpha) → a QImage that owns its pixels."""
    h, w = rgba.shape[:2]
    data = np.ascontiguousarray(rgba)
    return QImage(data.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def to_display_qimage(rgba: np.ndarray) -> QImage:
    """RGBA uint8 (straight alpha) → a premultiplied QImage: the format the raster paint engine draws as it is.
    Made in a worker, it spares the UI thread a conversion of the whole image at the first paint (15–60 ms at
    2048²)."""
    return to_qimage(rgba).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def depth_image(doc) -> np.ndarray:  # noqa: ANN001 - Document
    """The nearest pseudo-depth per pixel as grey (near = white), transparent where no layer is."""
    near = np.ones((doc.height, doc.width), np.float32)
    cover = np.zeros((doc.height, doc.width), bool)
    for layer in doc.layers:
        if not layer.visible:
            continue
        alpha = layer.shown_on_canvas(doc.size)[..., 3] > 10
        near = np.where(alpha, np.minimum(near, layer.depth_on_canvas(doc.size)), near)
        cover |= alpha
    grey = ((1.0 - near) * 255).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.where(cover, 255, 0).astype(np.uint8)])


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)
    cursor_moved = Signal(int, int)

    #: a composite arrived and is shown
    rendered = Signal()

    def __init__(self, session: DocumentSession, jobs: JobManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.jobs = jobs
        self.mode = "stack"
        self.show_depth = False
        self.outline_current = True
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._pixmap)
        self._outline = QGraphicsRectItem()
        pen = QPen(QColor(40, 140, 255), 0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._outline.setPen(pen)
        self._scene.addItem(self._outline)
        # a finding's place (Checks panel) and the selected region (Re-decompose region), above the picture
        self._highlight = QGraphicsRectItem()
        pen = QPen(QColor(255, 60, 60), 0)
        pen.setCosmetic(True)
        pen.setWidth(2)
        self._highlight.setPen(pen)
        self._highlight.setBrush(QColor(255, 60, 60, 40))
        self._highlight.setVisible(False)
        self._scene.addItem(self._highlight)
        self._region = QGraphicsRectItem()
        pen = QPen(QColor(255, 200, 0), 0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        pen.setWidth(2)
        self._region.setPen(pen)
        self._region.setVisible(False)
        self._scene.addItem(self._region)
        self.region_mode = False
        self._drag_from: QPointF | None = None
        self.setBackgroundBrush(QColor(60, 63, 68))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setMouseTracking(True)
        self._checker = checker_brush()
        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self.render_now)
        self._fit_pending = True
        session.changed.connect(self.schedule_render)
        session.document_replaced.connect(self._on_document_replaced)
        session.current_layer_changed.connect(lambda _uid: self._update_outline())
        session.region_changed.connect(self._show_region)
        self.last_image: np.ndarray | None = None

    # --- rendering -----------------------------------------------------------------------------------------
    def schedule_render(self) -> None:
        self._render_timer.start()

    def _on_document_replaced(self, _doc: object) -> None:
        self._fit_pending = True
        self.schedule_render()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.schedule_render()

    def set_show_depth(self, on: bool) -> None:
        self.show_depth = on
        self.schedule_render()

    def render_now(self) -> None:
        """Composite the document's snapshot in the `canvas` lane; a newer request supersedes an older one."""
        from seethrough.core.compositing import composite

        doc = self.session.document
        if doc is None:
            self._pixmap.setPixmap(QPixmap())
            self.last_image = None
            return
        snapshot, show_depth, mode = self.session.snapshot(), self.show_depth, self.mode

        def job(progress, is_cancelled):  # noqa: ANN001, ANN202
            image = depth_image(snapshot) if show_depth else composite(snapshot, mode=mode)
            return snapshot, image, to_display_qimage(image)

        self.jobs.submit("Canvas", job, self._show, lane="canvas", key="composite")

    def _show(self, result: tuple) -> None:
        snapshot, image, qimage = result
        self.last_image = image
        self._pixmap.setPixmap(QPixmap.fromImage(qimage))
        self._scene.setSceneRect(QRectF(0, 0, snapshot.width, snapshot.height))
        self._update_outline()
        if self._fit_pending:
            self._fit_pending = False
            self.fit()
        self.rendered.emit()

    def _update_outline(self) -> None:
        layer = self.session.current_layer
        if layer is None or not self.outline_current:
            self._outline.setVisible(False)
            return
        x0, y0, x1, y1 = layer.bbox
        self._outline.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._outline.setVisible(True)

    # --- highlight and region -----------------------------------------------------------------------------
    def set_highlight(self, box: tuple[int, int, int, int] | None) -> None:
        """Mark a box on the canvas (a quality finding), and bring it into view; None hides the mark."""
        if box is None:
            self._highlight.setVisible(False)
            return
        x0, y0, x1, y1 = box
        self._highlight.setRect(QRectF(x0, y0, max(x1 - x0, 1), max(y1 - y0, 1)))
        self._highlight.setVisible(True)
        self.ensureVisible(self._highlight, 20, 20)

    def set_region_mode(self, on: bool) -> None:
        """While on, a left-button drag selects a region (session.region) instead of panning."""
        self.region_mode = on
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def _show_region(self, box: object) -> None:
        if box is None:
            self._region.setVisible(False)
            return
        x0, y0, x1, y1 = box  # type: ignore[misc]
        self._region.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._region.setVisible(True)

    def _clamped(self, pos: QPointF) -> QPointF:
        doc = self.session.document
        if doc is None:
            return pos
        return QPointF(min(max(pos.x(), 0.0), float(doc.width)), min(max(pos.y(), 0.0), float(doc.height)))

    def mousePressEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        if self.region_mode and event.button() == Qt.MouseButton.LeftButton and self.session.document is not None:
            self._drag_from = self._clamped(self.mapToScene(event.position().toPoint()))
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        if self._drag_from is not None and event.button() == Qt.MouseButton.LeftButton:
            end = self._clamped(self.mapToScene(event.position().toPoint()))
            start, self._drag_from = self._drag_from, None
            x0, x1 = sorted((int(start.x()), int(round(end.x()))))
            y0, y1 = sorted((int(start.y()), int(round(end.y()))))
            self.session.set_region((x0, y0, x1, y1) if x1 - x0 >= 2 and y1 - y0 >= 2 else None)
            return
        super().mouseReleaseEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt API
        super().drawBackground(painter, rect)
        doc = self.session.document
        if doc is not None:  # checkerboard behind the canvas area only
            painter.save()
            painter.setBrushOrigin(0, 0)
            painter.fillRect(QRectF(0, 0, doc.width, doc.height).intersected(rect), self._checker)
            painter.restore()

    # --- navigation ---------------------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def set_zoom(self, factor: float) -> None:
        factor = max(0.02, min(factor, 64.0))
        self.resetTransform()
        self.scale(factor, factor)
        self.zoom_changed.emit(factor)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def fit(self) -> None:
        if self.session.document is None:
            return
        self.fitInView(self._scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if event.angleDelta().y() > 0:
            self.zoom_in()
        elif event.angleDelta().y() < 0:
            self.zoom_out()

    def mouseMoveEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        pos: QPointF = self.mapToScene(event.position().toPoint())
        self.cursor_moved.emit(int(pos.x()), int(pos.y()))
        if self._drag_from is not None:  # rubber band of the region being selected
            end = self._clamped(pos)
            self._region.setRect(QRectF(self._drag_from, end).normalized())
            self._region.setVisible(True)
            return
        super().mouseMoveEvent(event)
