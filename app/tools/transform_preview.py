"""What the transform tool shows on the canvas: the box with its handles, and while the transform is pending the
picture as it will be.

The pending picture is three images over the canvas's own: what lies under the moving pixels (the layers below,
and the rest of the layer when only the selection moves, over the canvas's checkerboard, so the canvas's picture
is covered and the moving pixels' old place shows empty), the moving pixels with the affine as their item
transform (Qt resamples them while dragging; the committed result is resampled by the core), and the layers
above. The two composites (each over the box its layers cover) are made in a job (latest wins) when the tool
targets a layer, so they are ready when a drag starts. Layers are split below/above in the stack order (in the
depth orders by depth: a preview of the z-buffer order takes the layer as one depth).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap, QPolygonF, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsPolygonItem, QGraphicsRectItem

from seethrough.app.canvas import CanvasView, to_display_qimage
from seethrough.app.tools.transform_geometry import HANDLES, Box, Handle, Placement
from seethrough.core.compositing import composite_region, order_layers
from seethrough.core.document import DocumentSnapshot, Layer
from seethrough.core.selection import pixels as px
from seethrough.core.selection.value import Selection
from seethrough.core.transform import floating_part

#: z of the pending picture (over the canvas's picture) and of the box and handles (over everything but the ants)
Z_PICTURE, Z_BOX = 30, 45
#: a handle's side, in screen pixels
HANDLE_PX = 8
#: the canvas's checkerboard (app/canvas.py checker_brush): 12-pixel cells, light at the origin
CELL, LIGHT, DARK = 12, 245, 205


def checkerboard(width: int, height: int) -> QImage:
    """The canvas's checkerboard over a canvas of `width`×`height` (in canvas pixels, as the canvas draws it)."""
    tile = QImage(2 * CELL, 2 * CELL, QImage.Format.Format_ARGB32_Premultiplied)
    tile.fill(QColor(DARK, DARK, DARK))
    out = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(tile)  # QImage painting is safe in a worker thread (QPixmap is not)
    painter.fillRect(0, 0, CELL, CELL, QColor(LIGHT, LIGHT, LIGHT))
    painter.fillRect(CELL, CELL, CELL, CELL, QColor(LIGHT, LIGHT, LIGHT))
    painter.end()
    painter = QPainter(out)
    painter.fillRect(0, 0, width, height, QBrush(tile))
    painter.end()
    return out


def composite_box(layers: list[Layer], size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The layers composited over the canvas box they cover (not the whole canvas), and where it lies; None when
    they cover nothing."""
    boxes = [layer.bbox for layer in layers if layer.rgba.size]
    if not boxes:
        return None
    x0, y0 = max(0, min(b[0] for b in boxes)), max(0, min(b[1] for b in boxes))
    x1, y1 = min(size[0], max(b[2] for b in boxes)), min(size[1], max(b[3] for b in boxes))
    if x1 <= x0 or y1 <= y0:
        return None
    return composite_region(layers, (x0, y0, x1, y1)), (x0, y0)


@dataclass(frozen=True)
class Target:
    """What the transform moves: layer `uid` of `snapshot`, all of it or its selected part, about `box`'s centre."""

    snapshot: DocumentSnapshot
    uid: str
    selection: Selection | None
    box: Box

    @property
    def layer(self) -> Layer:
        return self.snapshot.layer(self.uid)


@dataclass(frozen=True)
class Pictures:
    """The pending picture's parts for one target: under (the whole canvas, opaque), moving (at `offset`), above
    (at `above_offset`; None when no layer is above)."""

    target: Target
    under: QImage
    moving: QImage | None
    offset: tuple[int, int]
    above: QImage | None
    above_offset: tuple[int, int] = (0, 0)


def split_layers(snapshot: DocumentSnapshot, uid: str, mode: str) -> tuple[list[Layer], list[Layer]]:
    """The visible layers drawn under and over layer `uid` in the canvas's composite `mode`."""
    layers = [layer for layer in snapshot.layers if layer.visible or layer.uid == uid]
    ordered = order_layers(layers, "stack" if mode == "stack" else "depth")
    at = next(i for i, layer in enumerate(ordered) if layer.uid == uid)
    return ordered[:at], [layer for layer in ordered[at + 1 :] if layer.visible]


def make_pictures(target: Target, mode: str) -> Pictures:
    """The three images of the pending picture (run in a job: two composites of the canvas)."""
    snapshot, layer = target.snapshot, target.layer
    size = snapshot.size
    under, above = split_layers(snapshot, target.uid, mode)
    if target.selection is None:
        moving, offset = layer.shown_rgba, layer.offset
    else:
        floating = floating_part(layer, target.selection)
        moving, offset = floating.rgba, floating.offset
        if layer.visible:
            under = [*under, replace(layer, rgba=px.with_alpha(layer.rgba, floating.remaining))]
    under_image = checkerboard(*size)
    below = composite_box(under, size)
    if below is not None:
        painter = QPainter(under_image)
        painter.drawImage(QPointF(*below[1]), to_display_qimage(below[0]))
        painter.end()
    over = composite_box(above, size)
    moving_image = to_display_qimage(moving) if moving.size and layer.visible else None
    return Pictures(target, under_image, moving_image, offset, None if over is None else to_display_qimage(over[0]),
                    (0, 0) if over is None else over[1])


def qtransform(placement: Placement, box: Box) -> QTransform:
    """The placement's affine as Qt's (x' = m11 x + m21 y + dx, y' = m12 x + m22 y + dy)."""
    affine = placement.affine(box)
    (a, b), (c, d) = affine.linear
    return QTransform(float(a), float(c), float(b), float(d), float(affine.shift[0]), float(affine.shift[1]))


def _cosmetic(colour: QColor, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(colour, width, style)
    pen.setCosmetic(True)
    return pen


class TransformPreview:
    """The scene items of the transform tool (see the module doc)."""

    def __init__(self, canvas: CanvasView) -> None:
        scene = canvas.scene()
        self.under = QGraphicsPixmapItem()
        self.moving = QGraphicsPixmapItem()
        self.moving.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.above = QGraphicsPixmapItem()
        self.outline = QGraphicsPolygonItem()
        self.outline.setPen(_cosmetic(QColor(80, 170, 255), 1.5))
        self.handles: dict[Handle, QGraphicsRectItem] = {}
        for z, item in ((Z_PICTURE, self.under), (Z_PICTURE + 0.1, self.moving), (Z_PICTURE + 0.2, self.above),
                        (Z_BOX, self.outline)):
            item.setZValue(z)
            item.setVisible(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            scene.addItem(item)
        for handle in HANDLES:
            square = QGraphicsRectItem(QRectF(-HANDLE_PX / 2, -HANDLE_PX / 2, HANDLE_PX, HANDLE_PX))
            square.setPen(_cosmetic(QColor(20, 60, 120)))
            square.setBrush(QBrush(QColor(255, 255, 255)))
            square.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            square.setZValue(Z_BOX + 0.1)
            square.setVisible(False)
            square.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            scene.addItem(square)
            self.handles[handle] = square
        self.pictures: Pictures | None = None

    @property
    def picture_shown(self) -> bool:
        return self.moving.isVisible() or self.under.isVisible()

    def set_pictures(self, pictures: Pictures | None) -> None:
        self.pictures = pictures
        if pictures is None:
            for item in (self.under, self.moving, self.above):
                item.setPixmap(QPixmap())
            return
        self.under.setPixmap(QPixmap.fromImage(pictures.under))
        self.above.setPixmap(QPixmap() if pictures.above is None else QPixmap.fromImage(pictures.above))
        self.above.setOffset(QPointF(*pictures.above_offset))
        self.moving.setPixmap(QPixmap.fromImage(pictures.moving) if pictures.moving is not None else QPixmap())
        self.moving.setOffset(QPointF(*pictures.offset))
        self.moving.setOpacity(pictures.target.layer.opacity)

    def show(self, target: Target | None, placement: Placement) -> None:
        """The box and handles of `target` where `placement` puts them, and the pending picture unless it is the
        identity (then the canvas's own picture is the truth)."""
        if target is None:
            self.hide()
            return
        box = target.box
        self.outline.setPolygon(QPolygonF([QPointF(x, y) for x, y in placement.corners(box)]))
        self.outline.setVisible(True)
        for handle, square in self.handles.items():
            square.setPos(QPointF(*placement.handle_point(box, handle)))
            square.setVisible(True)
        pending = not placement.is_identity and self.pictures is not None and self.pictures.target is target
        self.moving.setTransform(qtransform(placement, box))
        for item in (self.under, self.moving, self.above):
            item.setVisible(pending)

    def hide(self) -> None:
        for item in (self.under, self.moving, self.above, self.outline, *self.handles.values()):
            item.setVisible(False)

    def handle_at(self, canvas: CanvasView, view_pos: QPointF, reach: float = HANDLE_PX) -> Handle | None:
        """The handle under a point of the view (screen pixels), if any."""
        for handle, square in self.handles.items():
            if not square.isVisible():
                continue
            at = canvas.mapFromScene(square.pos())
            if abs(at.x() - view_pos.x()) <= reach and abs(at.y() - view_pos.y()) <= reach:
                return handle
        return None
