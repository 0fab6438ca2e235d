"""Fast per-frame compositing for the 2.5D preview: cached premultiplied QImages drawn with QTransforms.

A numpy "over" of 23 layers at 1024² costs far more than a 60 Hz frame on two cores, and OpenGL is not there
offscreen, so the preview leans on Qt's raster engine: each layer is converted once (per document change) to a
`Format_ARGB32_Premultiplied` QImage — the format QPainter blends natively, without a per-draw conversion — and
each frame only builds one QTransform per layer from the rig's `LayerTransform` and draws. Layers are cropped to
their boxes, so a frame touches only the pixels that layers cover.

The cache is keyed by layer uid and remembers which pixel array it was built from, so a document change only
re-converts the layers whose pixels were replaced (commands replace arrays, they do not edit them in place) or that
were explicitly invalidated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap, QTransform

from seethrough.core.document import Document, DocumentLike, Layer
from seethrough.core.parallax import LayerTransform, batch_runs


@dataclass
class CachedLayer:
    image: QImage
    source: np.ndarray  # the pixel array the image was made from (identity tells whether it is stale)
    offset: tuple[int, int]
    opacity: float


@dataclass(frozen=True)
class PreparedCache:
    """Converted layer images for one document state, made off the UI thread and installed on it."""

    layers: dict[str, CachedLayer]
    size: tuple[int, int]
    conversions: int


def layer_image(rgba: np.ndarray) -> QImage:
    """Straight-alpha RGBA uint8 → an independent ARGB32_Premultiplied QImage (Qt premultiplies on conversion)."""
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    straight = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    return straight.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)  # a copy: owns its pixels


def checker_brush(cell: int = 12, light: QColor | None = None, dark: QColor | None = None) -> QBrush:
    """The usual transparency checkerboard as a tiled brush (one small pixmap, tiled by the raster engine)."""
    tile = QPixmap(2 * cell, 2 * cell)
    tile.fill(light or QColor(204, 204, 204))
    painter = QPainter(tile)
    painter.fillRect(0, 0, cell, cell, dark or QColor(153, 153, 153))
    painter.fillRect(cell, cell, cell, cell, dark or QColor(153, 153, 153))
    painter.end()
    return QBrush(tile)


class PreviewRenderer:
    """Holds the converted layer images of one document and draws a posed frame with them."""

    def __init__(self) -> None:
        self._cache: dict[str, CachedLayer] = {}
        self.canvas_size: tuple[int, int] = (0, 0)
        self._scratch = QImage()
        self.batch = True  # composite runs sharing a rotation/scale once (False: one resample per layer, reference)
        self.conversions = 0  # how many layer images were (re)built; tests use it to check cache reuse

    # --- cache -------------------------------------------------------------------------------------
    def rebuild(self, doc: Document | None, dirty: Iterable[str] = ()) -> None:
        """Bring the cache in line with `doc`: drop gone layers, convert new/replaced/dirty ones."""
        self.install(self.prepare(doc, dirty))

    def prepare(self, doc: DocumentLike | None, dirty: Iterable[str] = ()) -> PreparedCache:
        """The cache `doc` needs, built without touching the current one: safe in a worker (QImages only)."""
        if doc is None:
            return PreparedCache({}, (0, 0), 0)
        current, dirty = self._cache, set(dirty)
        alive: dict[str, CachedLayer] = {}
        conversions = 0
        for layer in doc.layers:
            cached = current.get(layer.uid)
            if cached is None or cached.source is not layer.shown_rgba or layer.uid in dirty:
                cached = self._convert(layer)
                conversions += 1
            else:
                cached = CachedLayer(cached.image, cached.source, layer.offset, float(layer.opacity))
            alive[layer.uid] = cached
        return PreparedCache(alive, doc.size, conversions)

    def install(self, prepared: PreparedCache) -> None:
        """Use a prepared cache (UI thread)."""
        self._cache = prepared.layers
        self.canvas_size = prepared.size
        self.conversions += prepared.conversions

    @staticmethod
    def _convert(layer: Layer) -> CachedLayer:
        shown = layer.shown_rgba  # the layer mask applied
        image = layer_image(shown) if shown.size else QImage()
        return CachedLayer(image, shown, layer.offset, float(layer.opacity))

    def __len__(self) -> int:
        return len(self._cache)

    # --- drawing -----------------------------------------------------------------------------------
    def paint(self, painter: QPainter, pose: list[LayerTransform], view: QTransform | None = None) -> int:
        """Draw the posed layers (far to near) with `view` mapping canvas pixels to the device; returns draws.

        Pure translations are blits. Neighbouring layers that share a rotation/scale (the head group swaying, the
        torso breathing) are composited unrotated into a scratch buffer and resampled once (`core.parallax.
        batch_runs`): bilinear resampling is what costs, and the head alone is a dozen layers.
        """
        view = view or QTransform()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        drawn = 0
        for run in batch_runs(pose):
            items = [(tr, c) for tr in run if (c := self._cache.get(tr.uid)) and not c.image.isNull() and c.opacity > 0]
            if len(items) > 1 and self.batch:
                self._paint_batch(painter, items, view)
            for tr, cached in items if len(items) == 1 or not self.batch else ():
                painter.setTransform(QTransform(*tr.affine()) * view)
                painter.setOpacity(cached.opacity)
                painter.drawImage(QPointF(*cached.offset), cached.image)
            drawn += len(items)
        painter.setOpacity(1.0)
        painter.resetTransform()
        return drawn

    def _paint_batch(
        self, painter: QPainter, items: list[tuple[LayerTransform, CachedLayer]], view: QTransform
    ) -> None:
        placed = []
        for tr, cached in items:
            ex, ey = tr.pre_shift()
            placed.append((round(cached.offset[0] + ex), round(cached.offset[1] + ey), cached))
        x0 = min(x for x, _, _ in placed)
        y0 = min(y for _, y, _ in placed)
        x1 = max(x + c.image.width() for x, _, c in placed)
        y1 = max(y + c.image.height() for _, y, c in placed)
        scratch = self._scratch_image(x1 - x0, y1 - y0)
        buffer = QPainter(scratch)
        buffer.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        buffer.fillRect(0, 0, x1 - x0, y1 - y0, QColor(0, 0, 0, 0))
        buffer.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        for x, y, cached in placed:
            buffer.setOpacity(cached.opacity)
            buffer.drawImage(QPoint(x - x0, y - y0), cached.image)
        buffer.end()
        shared = replace(items[0][0], dx=0.0, dy=0.0)
        painter.setTransform(QTransform(*shared.affine()) * view)
        painter.setOpacity(1.0)
        painter.drawImage(QRectF(x0, y0, x1 - x0, y1 - y0), scratch, QRectF(0, 0, x1 - x0, y1 - y0))

    def _scratch_image(self, width: int, height: int) -> QImage:
        """A reused premultiplied buffer at least `width`×`height` (grown, never shrunk, to avoid per-frame allocs)."""
        if self._scratch.width() < width or self._scratch.height() < height:
            self._scratch = QImage(
                max(width, self._scratch.width()),
                max(height, self._scratch.height()),
                QImage.Format.Format_ARGB32_Premultiplied,
            )
        return self._scratch

    def fit_transform(self, size: QSize, zoom: float = 1.0) -> QTransform:
        """Canvas → device: the whole canvas fitted and centred in `size`, times `zoom`."""
        cw, ch = self.canvas_size
        if cw <= 0 or ch <= 0 or size.isEmpty():
            return QTransform()
        scale = min(size.width() / cw, size.height() / ch) * zoom
        tx = (size.width() - cw * scale) / 2
        ty = (size.height() - ch * scale) / 2
        return QTransform(scale, 0, 0, scale, tx, ty)

    def render(
        self,
        pose: list[LayerTransform],
        size: QSize | None = None,
        background: QColor | QBrush | None = None,
        target: QImage | None = None,
    ) -> QImage:
        """One frame into a QImage (reused if `target` has the right size): background, then the layers."""
        size = size or QSize(*self.canvas_size)
        if target is None or target.size() != size:
            target = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(target)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), background or QColor(0, 0, 0, 0))
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        self.paint(painter, pose, self.fit_transform(size))
        painter.end()
        return target


def background_brush(mode: str, color: QColor) -> QBrush:
    """'checker' → the checkerboard; anything else → a flat colour."""
    return checker_brush() if mode == "checker" else QBrush(color, Qt.BrushStyle.SolidPattern)
