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


def depth_image(doc) -> np.ndarray:  # noqa: ANN001 - Document
    """The nearest pseudo-depth per pixel as grey (near = white), transparent where no layer is."""
    near = np.ones((doc.height, doc.width), np.float32)
    cover = np.zeros((doc.height, doc.width), bool)
    for layer in doc.layers:
        if not layer.visible:
            continue
        alpha = layer.on_canvas(doc.size)[..., 3] > 10
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
            return snapshot, image, to_qimage(image)

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
        super().mouseMoveEvent(event)
