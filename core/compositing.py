"""Porter-Duff "over" compositing of the layer stack, in three orders.

Why premultiplied float32: "over" is only associative and free of dark fringes when colours are premultiplied by
alpha; float32 avoids the rounding drift of repeated uint8 blends. Inputs and outputs stay straight-alpha uint8
(the project convention), conversion happens once per layer (in) and once per canvas (out).

Orders (`mode`):
- "stack": list order, `layers[0]` drawn first (bottom), as in a PSD.
- "depth": layers sorted by representative `depth_value`, far (large) to near (small); ties keep list order.
- "zbuffer": per pixel, the layers covering it are sorted by their per-pixel depth (falling back to
  `depth_value` where a layer has no map) and composited far to near, so a single layer can be both in front of
  and behind another (the paper's "sandwich", §4.2.2). Ties keep list order.

Blend modes (`layer.blend_mode`, core.blending): "stack" and "depth" draw multiply, screen, overlay, darken, lighten
and linear dodge (add) as Photoshop/GIMP do; other modes draw as normal. "zbuffer" draws every layer as normal
(its per-pixel reordering has no painter's order for a blend mode to follow).

Layer masks (core.layer_mask) are honoured: every order draws `layer.shown_rgba`, the pixels with the mask applied.

Speed: each layer only touches the intersection of its box with the region, so the cost is proportional to the
layers' areas rather than layers × canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from seethrough.core.blending import BLEND_FUNCTIONS
from seethrough.core.errors import BadInput

if TYPE_CHECKING:
    from seethrough.core.document import DocumentLike, Layer

MODES = ("stack", "depth", "zbuffer")
_INV255 = np.float32(1.0 / 255.0)
#: rows per tile in z-buffer mode (bounds memory: layers × rows × width × 4 floats)
_ZBUFFER_TILE_ROWS = 64

Box = tuple[int, int, int, int]


def _resolve(
    doc_or_layers: DocumentLike | Sequence[Layer], size: tuple[int, int] | None
) -> tuple[list, tuple[int, int]]:
    layers = getattr(doc_or_layers, "layers", None)
    if layers is not None:
        return list(layers), (size or doc_or_layers.size)  # type: ignore[union-attr]
    if size is None:
        raise BadInput("compositing a list of layers needs the canvas size (width, height)")
    return list(doc_or_layers), (int(size[0]), int(size[1]))


def order_layers(layers: Sequence[Layer], mode: str) -> list[Layer]:
    """The drawing order (first = bottom) for "stack" and "depth"; "zbuffer" keeps list order for ties."""
    if mode not in MODES:
        raise BadInput(f"unknown compositing mode {mode!r} (choose one of {', '.join(MODES)})")
    if mode == "depth":
        return sorted(layers, key=lambda layer: -layer.depth_value)  # stable: list order breaks ties
    return list(layers)


def _clip(layer: Layer, box: Box) -> tuple[Box, Box] | None:
    """(canvas slice, layer slice) of the layer's box inside `box`, or None when they do not meet."""
    lx0, ly0, lx1, ly1 = layer.bbox
    x0, y0, x1, y1 = max(lx0, box[0]), max(ly0, box[1]), min(lx1, box[2]), min(ly1, box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0 - box[0], y0 - box[1], x1 - box[0], y1 - box[1]), (x0 - lx0, y0 - ly0, x1 - lx0, y1 - ly0)


def _premultiplied(rgba: np.ndarray, opacity: float) -> np.ndarray:
    """uint8 straight RGBA → float32 premultiplied RGBA in [0, 1], with the layer opacity applied.

    OpenCV's element-wise kernels (SIMD, multi-threaded) are ~2× faster than the numpy equivalent here.
    """
    values = rgba.astype(np.float32)
    alpha = np.ascontiguousarray(values[..., 3]) * np.float32(opacity / 255.0)
    ones = np.ones_like(alpha)
    out = cv2.multiply(values, cv2.merge([alpha, alpha, alpha, ones]), scale=1.0 / 255.0)
    out = out.reshape(rgba.shape)  # cv2 drops a trailing axis of size 1 for 1-pixel-wide inputs
    out[..., 3] = alpha.reshape(rgba.shape[:2])
    return out


def _background(background: object, width: int, height: int, box: Box) -> np.ndarray:
    """The premultiplied float32 canvas to start from (transparent when `background` is None)."""
    acc = np.zeros((height, width, 4), np.float32)
    if background is None:
        return acc
    bg = np.asarray(background)
    if bg.ndim == 1:
        if bg.shape[0] not in (3, 4):
            raise BadInput("background colour must be (r, g, b) or (r, g, b, a) in 0..255")
        colour = np.append(bg, 255) if bg.shape[0] == 3 else bg
        acc[:] = _premultiplied(colour.astype(np.uint8).reshape(1, 1, 4), 1.0)
        return acc
    if bg.ndim != 3 or bg.shape[2] not in (3, 4) or bg.dtype != np.uint8:
        raise BadInput(f"background image must be (H, W, 3|4) uint8, got {bg.shape} {bg.dtype}")
    if bg.shape[2] == 3:
        bg = np.concatenate([bg, np.full(bg.shape[:2], 255, np.uint8)[..., None]], axis=2)
    x0, y0, x1, y1 = box
    crop = bg[y0:y1, x0:x1]
    if crop.shape[:2] != (height, width):
        raise BadInput(f"background image {bg.shape[1]}x{bg.shape[0]} does not cover the canvas region {box}")
    return _premultiplied(crop, 1.0)


def _to_straight_uint8(acc: np.ndarray) -> np.ndarray:
    """Premultiplied float32 → straight-alpha uint8 (colour under alpha 0 is black)."""
    alpha = acc[..., 3:4]
    safe = np.where(alpha > 0, alpha, np.float32(1.0))
    out = np.empty(acc.shape, np.float32)
    np.divide(acc[..., :3], safe, out=out[..., :3])
    out[..., 3:4] = alpha
    out *= 255.0
    out += 0.5
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _blend_in_place(dst: np.ndarray, src: np.ndarray, rgba: np.ndarray, mode: str) -> None:
    """Separable blend mode `mode` of premultiplied `src` onto premultiplied `dst` (the PDF/W3C model):
    co = cs·(1 − αb) + cb·(1 − αs) + αs·αb·B(Cb, Cs), αo = αs + αb·(1 − αs), with Cb, Cs straight colours."""
    a_s, a_b = src[..., 3:4], dst[..., 3:4].copy()
    straight_src = rgba[..., :3].astype(np.float32) * _INV255
    straight_dst = np.divide(dst[..., :3], a_b, out=np.zeros_like(dst[..., :3]), where=a_b > 0)
    a_out = a_s + a_b * (1.0 - a_s)
    if mode == "linear_dodge":
        # Add: the premultiplied colours are summed and clipped at the result's alpha (GIMP's PSD import; on an
        # opaque backdrop min(1, Cb + αs·Cs), Photoshop's Add), not the clipped sum mixed in by alpha
        dst[..., :3] = np.minimum(dst[..., :3] + src[..., :3], a_out)
    else:
        mixed = BLEND_FUNCTIONS[mode](straight_dst, straight_src)
        dst[..., :3] = src[..., :3] * (1.0 - a_b) + dst[..., :3] * (1.0 - a_s) + a_s * a_b * mixed
    dst[..., 3:4] = a_out


def _over_in_place(acc: np.ndarray, layer: Layer, box: Box) -> None:
    clip = _clip(layer, box)
    if clip is None:
        return
    (cx0, cy0, cx1, cy1), (sx0, sy0, sx1, sy1) = clip
    shown = layer.shown_rgba[sy0:sy1, sx0:sx1]
    src = _premultiplied(shown, layer.opacity)
    dst = acc[cy0:cy1, cx0:cx1]
    mode = getattr(layer, "blend_mode", "normal")
    if mode in BLEND_FUNCTIONS:
        _blend_in_place(dst, src, shown, mode)
        return
    transmit = 1.0 - src[..., 3]
    # OpenCV writes into a row-strided view of the canvas in place; should it ever hand back a new array
    # instead, copy the result back so the canvas is right either way
    result = cv2.add(cv2.multiply(dst, cv2.merge([transmit] * 4)), src, dst=dst)
    if result is not dst and not np.shares_memory(result, dst):
        dst[...] = result.reshape(dst.shape)


def _zbuffer(acc: np.ndarray, layers: list[Layer], box: Box) -> None:
    """Per-pixel depth sort, tile by tile; pixels a layer does not cover sort as infinitely far with alpha 0."""
    x0, y0, x1, y1 = box
    width = x1 - x0
    for ty0 in range(y0, y1, _ZBUFFER_TILE_ROWS):
        ty1 = min(ty0 + _ZBUFFER_TILE_ROWS, y1)
        tile_box = (x0, ty0, x1, ty1)
        present = [(layer, clip) for layer in layers if (clip := _clip(layer, tile_box)) is not None]
        if not present:
            continue
        rows = ty1 - ty0
        colours = np.zeros((len(present), rows, width, 4), np.float32)
        depths = np.full((len(present), rows, width), np.inf, np.float32)
        for i, (layer, ((cx0, cy0, cx1, cy1), (sx0, sy0, sx1, sy1))) in enumerate(present):
            rgba = layer.shown_rgba[sy0:sy1, sx0:sx1]
            colours[i, cy0:cy1, cx0:cx1] = _premultiplied(rgba, layer.opacity)
            depth = layer.depth_or_constant()[sy0:sy1, sx0:sx1]
            depths[i, cy0:cy1, cx0:cx1] = np.where(rgba[..., 3] > 0, depth, np.inf)
        # far first: sort by descending depth; stable argsort on -depth keeps list order for ties (lower first)
        order = np.argsort(-depths, axis=0, kind="stable")
        # gather whole RGBA pixels at once: 4 float32 viewed as one 16-byte complex128 (2× faster than per channel)
        packed = colours.view(np.complex128)[..., 0]
        sorted_colours = np.take_along_axis(packed, order, axis=0)[..., None].view(np.float32)
        dst = acc[ty0 - y0 : ty1 - y0]
        for src in sorted_colours:
            dst *= 1.0 - src[..., 3:4]
            dst += src


def composite_region(
    doc_or_layers: DocumentLike | Sequence[Layer],
    box: Box,
    mode: str = "stack",
    background: object = None,
    only_visible: bool = True,
) -> np.ndarray:
    """Composite only the canvas region `box = (x0, y0, x1, y1)` (exclusive ends) → (y1-y0, x1-x0, 4) uint8.

    Useful for the preview and for updating the part of the canvas one edit touched.
    """
    layers = list(getattr(doc_or_layers, "layers", doc_or_layers))
    x0, y0, x1, y1 = (int(v) for v in box)
    if x1 < x0 or y1 < y0:
        raise BadInput(f"empty or inverted region {box}")
    box = (x0, y0, x1, y1)
    if only_visible:
        layers = [layer for layer in layers if layer.visible and layer.opacity > 0]
    layers = [layer for layer in layers if layer.rgba.size]
    ordered = order_layers(layers, mode)
    acc = _background(background, x1 - x0, y1 - y0, box)
    if mode == "zbuffer":
        _zbuffer(acc, ordered, box)
    else:
        for layer in ordered:
            _over_in_place(acc, layer, box)
    return _to_straight_uint8(acc)


def composite(
    doc_or_layers: DocumentLike | Sequence[Layer],
    size: tuple[int, int] | None = None,
    mode: str = "stack",
    background: object = None,
    only_visible: bool = True,
) -> np.ndarray:
    """The whole canvas, (H, W, 4) uint8 straight alpha.

    `size = (width, height)` is required for a plain list of layers (a Document knows its size).
    `background`: None (transparent), an (r, g, b[, a]) colour, or an (H, W, 3|4) uint8 image under the layers.
    Hidden layers and opacity 0 are skipped unless `only_visible=False` (opacity is always applied).
    """
    layers, (width, height) = _resolve(doc_or_layers, size)
    return composite_region(layers, (0, 0, width, height), mode=mode, background=background, only_visible=only_visible)


def flatten(rgba: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Straight RGBA uint8 over an opaque colour → RGB float32 in [0, 255] (for metrics and thumbnails)."""
    rgb = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) * _INV255
    return rgb * alpha + np.asarray(colour, np.float32) * (1.0 - alpha)
