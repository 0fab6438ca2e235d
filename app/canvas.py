"""The central canvas: the composite of the open document over a checkerboard, with zoom, pan, fit and 1:1.

Re-rendering follows `session.changed`, coalesced with a zero-delay timer so a burst of edits renders once. The
composite itself (0.2–0.9 s for the z-buffer at 1024²) is a latest-wins job on a document snapshot in the `canvas`
lane; the UI thread only swaps in the finished image.
View options (composite mode, depth view, outline of the current layer) are plain attributes set by the Tools
panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QTabletEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from seethrough.app.jobs import JobManager
from seethrough.app.live_paint import LivePaint
from seethrough.app.session import DocumentSession
from seethrough.core.document import Layer

if TYPE_CHECKING:
    from seethrough.app.tools.base import Tool

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
    return depth_region(doc.layers, (0, 0, doc.width, doc.height))


def depth_region(layers: Sequence[Layer], rect: tuple[int, int, int, int]) -> np.ndarray:
    """`depth_image` on the canvas rectangle `rect` only (what a live depth stroke repaints)."""
    x0, y0, x1, y1 = rect
    near = np.ones((y1 - y0, x1 - x0), np.float32)
    cover = np.zeros((y1 - y0, x1 - x0), bool)
    for layer in layers:
        if not layer.visible:
            continue
        lx0, ly0, lx1, ly1 = layer.bbox
        ix0, iy0, ix1, iy1 = max(lx0, x0), max(ly0, y0), min(lx1, x1), min(ly1, y1)
        if ix1 <= ix0 or iy1 <= iy0:
            continue
        alpha = layer.shown_rgba[iy0 - ly0 : iy1 - ly0, ix0 - lx0 : ix1 - lx0, 3] > 10
        depth = layer.depth_or_constant()[iy0 - ly0 : iy1 - ly0, ix0 - lx0 : ix1 - lx0]
        target = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
        near[target] = np.where(alpha, np.minimum(near[target], depth), near[target])
        cover[target] |= alpha
    grey = ((1.0 - near) * 255).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.where(cover, 255, 0).astype(np.uint8)])


class CanvasImage(QGraphicsItem):
    """The displayed picture: a premultiplied QImage the canvas swaps whole (a finished composite) or patches in
    place (a live stroke's rectangle), repainting only what is exposed."""

    def __init__(self) -> None:
        super().__init__()
        self.image = QImage()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.image.width(), self.image.height())

    def set_image(self, image: QImage) -> None:
        self.prepareGeometryChange()
        self.image = image
        self.update()

    def patch(self, x: int, y: int, part: QImage) -> None:
        """Replace the pixels at (x, y) with `part` and repaint just them."""
        if self.image.isNull():
            return
        painter = QPainter(self.image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(x, y, part)
        painter.end()
        self.update(QRectF(x, y, part.width(), part.height()))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self.image.isNull():
            return
        # a margin beyond the exposed rectangle, so smooth scaling reads the same neighbours as a whole repaint
        exposed = option.exposedRect.adjusted(-2, -2, 2, 2).intersected(self.boundingRect()).toAlignedRect()
        painter.drawImage(exposed, self.image, exposed)


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
        self.picture = CanvasImage()
        self._scene.addItem(self.picture)
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
        #: the active tool (app/tools): it gets the primary button and the pen; None: the button pans
        self.tool: Tool | None = None
        self._tool_drag = False
        self._panning = False
        self._space = False
        #: the view follows the window's size (zoom to fit) until the user zooms or pans
        self.fitting = True
        self.setBackgroundBrush(QColor(60, 63, 68))
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setMouseTracking(True)
        self._checker = checker_brush()
        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self.render_now)
        session.changed.connect(self.schedule_render)
        session.document_replaced.connect(self._on_document_replaced)
        session.current_layer_changed.connect(lambda _uid: self._update_outline())
        session.region_changed.connect(self._show_region)
        self.last_image: np.ndarray | None = None
        #: each composite job's number: a result shows the document as it was when its number was given
        self.render_serial = 0
        #: live strokes and the partial repaints they need (app/live_paint.py)
        self.live = LivePaint(self)

    # --- rendering -----------------------------------------------------------------------------------------
    def schedule_render(self) -> None:
        self._render_timer.start()

    def _on_document_replaced(self, _doc: object) -> None:
        self.fitting = True
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
            self.picture.set_image(QImage())
            self.last_image = None
            return
        snapshot, show_depth, mode = self.session.snapshot(), self.show_depth, self.mode
        self.render_serial += 1
        serial = self.render_serial

        def job(progress, is_cancelled):  # noqa: ANN001
            image = depth_image(snapshot) if show_depth else composite(snapshot, mode=mode)
            return snapshot, image, to_display_qimage(image), serial

        self.jobs.submit("Canvas", job, self._show, lane="canvas", key="composite")

    def _show(self, result: tuple) -> None:
        snapshot, image, qimage, serial = result
        self.last_image = image
        self.picture.set_image(qimage)
        self._scene.setSceneRect(QRectF(0, 0, snapshot.width, snapshot.height))
        self.live.after_render(serial)
        self._update_outline()
        if self.fitting:
            self.fit()
        self.rendered.emit()

    def displayed_rgba(self, rect: tuple[int, int, int, int]) -> np.ndarray:
        """What the canvas shows on a canvas rectangle (straight RGBA uint8): the last composite with any live
        repaint laid over it."""
        x0, y0, x1, y1 = rect
        part = self.picture.image.copy(QRect(x0, y0, x1 - x0, y1 - y0)).convertToFormat(QImage.Format.Format_RGBA8888)
        row = part.bytesPerLine()
        data = np.frombuffer(part.constBits(), np.uint8, count=row * part.height()).reshape(part.height(), row)
        return data[:, : 4 * part.width()].reshape(part.height(), part.width(), 4).copy()

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

    def _show_region(self, box: tuple[int, int, int, int] | None) -> None:
        if box is None:
            self._region.setVisible(False)
            return
        x0, y0, x1, y1 = box
        self._region.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._region.setVisible(True)

    def clamped(self, pos: QPointF) -> QPointF:
        """`pos` moved inside the document's canvas."""
        doc = self.session.document
        if doc is None:
            return pos
        return QPointF(min(max(pos.x(), 0.0), float(doc.width)), min(max(pos.y(), 0.0), float(doc.height)))

    # --- tools and panning ----------------------------------------------------------------------------------
    def set_tool(self, tool: Tool | None) -> None:
        self.tool = tool
        self._tool_drag = False
        self._update_cursor()

    def _update_cursor(self) -> None:
        if self._panning:
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._space:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif self.tool is not None:
            self.viewport().setCursor(self.tool.cursor())
        else:
            self.viewport().unsetCursor()

    def begin_pan(self) -> None:
        self._panning = True
        self._pan_from: QPointF | None = None
        self._update_cursor()

    def end_pan(self) -> None:
        self._panning = False
        self._update_cursor()

    def _pan_to(self, view_pos: QPointF) -> None:
        if self._pan_from is not None:
            delta = view_pos - self._pan_from
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            self.fitting = False
        self._pan_from = view_pos

    def _scene_pos(self, view_pos: QPointF) -> QPointF:
        return self.mapToScene(view_pos.toPoint())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and
                                                      (self._space or self.tool is None)):
            self.begin_pan()
            self._pan_from = event.position()
            return
        if button == Qt.MouseButton.LeftButton and self.tool is not None:
            self._tool_drag = self.tool.press(self._scene_pos(event.position()), 1.0, event.modifiers())
            if self._panning:  # the Pan tool
                self._pan_from = event.position()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = self._scene_pos(event.position())
        self.cursor_moved.emit(int(pos.x()), int(pos.y()))
        if self._panning:
            self._pan_to(event.position())
            return
        if self.tool is not None:
            if self._tool_drag:
                self.tool.move(pos, 1.0, event.modifiers())
            else:
                self.tool.hover(pos)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning and (event.button() == Qt.MouseButton.MiddleButton or self._pan_from is not None):
            self.end_pan()
            if self.tool is not None and self._tool_drag:  # the Pan tool's own drag
                self._tool_drag = False
                self.tool.release(self._scene_pos(event.position()), event.modifiers())
            return
        if event.button() == Qt.MouseButton.LeftButton and self.tool is not None and self._tool_drag:
            self._tool_drag = False
            self.tool.release(self._scene_pos(event.position()), event.modifiers())
            return
        super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A pen: its pressure drives the tool (the mouse events Qt synthesises from it are then ignored)."""
        if self.tool is None or self._space:
            event.ignore()
            return
        pos = self._scene_pos(event.position())
        kind = event.type()
        if kind == QEvent.Type.TabletPress and event.button() == Qt.MouseButton.LeftButton:
            self._tool_drag = self.tool.press(pos, event.pressure(), event.modifiers())
        elif kind == QEvent.Type.TabletMove:
            self.cursor_moved.emit(int(pos.x()), int(pos.y()))
            if self._tool_drag:
                self.tool.move(pos, event.pressure(), event.modifiers())
            else:
                self.tool.hover(pos)
        elif kind == QEvent.Type.TabletRelease and self._tool_drag:
            self._tool_drag = False
            self.tool.release(pos, event.modifiers())
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:
        if self.tool is not None:
            self.tool.leave()
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self._update_cursor()
            return
        if self.tool is not None and self.tool.key_press(event):
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._update_cursor()
            return
        super().keyReleaseEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        super().drawBackground(painter, rect)
        doc = self.session.document
        if doc is not None:  # checkerboard behind the canvas area only
            painter.save()
            painter.setBrushOrigin(0, 0)
            painter.fillRect(QRectF(0, 0, doc.width, doc.height).intersected(QRectF(rect)), self._checker)
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
        self.fitting = False
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.fitting = False
        self.set_zoom(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        self.fitting = False
        self.set_zoom(1.0)

    def fit(self) -> None:
        """Show the whole canvas, and keep it fitted as the view is resized until the user zooms or pans."""
        self.fitting = True
        if self.session.document is None or self._scene.sceneRect().isEmpty():
            return
        self.fitInView(self._scene.sceneRect().adjusted(-8, -8, 8, 8), Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitting:
            self.fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.fitting:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.angleDelta().y() > 0:
            self.zoom_in()
        elif event.angleDelta().y() < 0:
            self.zoom_out()

