"""Re-decompose one region: run the layer model (and depth) on a crop of the input at the model's full resolution,
then put the result back into the document inside that region only.

Small parts (eyes, hands) get many more model pixels this way, as the authors' head pass does for the head. The new
layers replace the chosen tags inside the region, blended over a feathered band along the region's edge so the seam
is continuous; the same tags' other layers fade out there; visible pixels the change leaves uncovered get the
input's own colours. Everything outside the region stays exactly as it was, and it is one undoable command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from seethrough.core.commands import Macro, ReplaceLayers, SetLayerPixels
from seethrough.core.document import ALPHA_THRESHOLD, Layer, crop_to_content, new_uid, place, representative_depth
from seethrough.core.errors import BadInput

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.decompose.engine import DecomposeEngine
    from seethrough.core.decompose.options import DecomposeOptions
    from seethrough.core.document import Document

Box = tuple[int, int, int, int]
MIN_SIDE = 16


def clip_box(box: Sequence[float], size: tuple[int, int]) -> Box:
    """The box (x0, y0, x1, y1) clipped to the canvas; BadInput when too small."""
    width, height = size
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, x1 = sorted((max(0, min(width, x0)), max(0, min(width, x1))))
    y0, y1 = sorted((max(0, min(height, y0)), max(0, min(height, y1))))
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        raise BadInput(f"the region {x0},{y0},{x1},{y1} is smaller than {MIN_SIDE}×{MIN_SIDE} px on the canvas")
    return (x0, y0, x1, y1)


def tags_in_region(doc: Document, box: Box) -> list[str]:
    """Tags of the visible layers that show pixels inside the box, bottom to top, once each."""
    x0, y0, x1, y1 = box
    found: list[str] = []
    for layer in doc.layers:
        if not layer.visible or not layer.tag or layer.tag in found:
            continue
        alpha = layer.on_canvas(doc.size)[y0:y1, x0:x1, 3]
        if (alpha > ALPHA_THRESHOLD).any():
            found.append(layer.tag)
    return found


def feather_weights(box: Box, size: tuple[int, int], feather: int) -> np.ndarray:
    """(h, w) float32 in [0, 1] over the box: 1 inside, falling linearly to 0 over `feather` px towards every box
    edge that is not also the canvas edge (there is nothing outside the canvas to blend with)."""
    x0, y0, x1, y1 = box
    width, height = size
    h, w = y1 - y0, x1 - x0
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    far = np.float32(1e9)
    d = np.minimum(np.minimum(xs + 0.5 if x0 > 0 else far, (w - 0.5 - xs) if x1 < width else far),
                   np.minimum(ys + 0.5 if y0 > 0 else far, (h - 0.5 - ys) if y1 < height else far))
    if feather <= 0:
        return np.ones((h, w), np.float32)
    return np.clip(d / feather, 0.0, 1.0).astype(np.float32)


def redecompose_region(
    doc: Document,
    box: Sequence[float],
    engine: DecomposeEngine,
    options: DecomposeOptions,
    tags: Sequence[str] | None = None,
    feather: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> Command:
    """The command that replaces `tags` (default: the tags present) inside `box` by a fresh decomposition of it."""
    if doc.source is None:
        raise BadInput("re-decomposing a region needs the input image (the document has none)")
    source = np.asarray(doc.source)
    if source.shape[2] == 3:
        source = np.dstack([source, np.full(source.shape[:2], 255, np.uint8)])
    region = clip_box(box, doc.size)
    x0, y0, x1, y1 = region
    crop = np.ascontiguousarray(source[y0:y1, x0:x1])
    if not (crop[..., 3] > ALPHA_THRESHOLD).any():
        raise BadInput("the region holds no part of the character")
    wanted = list(tags) if tags else tags_in_region(doc, region)
    if not wanted:
        raise BadInput("no tag to redo: no visible tagged layer shows inside the region")
    sub = engine.decompose(crop, options.with_(lr_split=False), progress=progress, is_cancelled=is_cancelled)
    fresh = {layer.tag: layer for layer in sub.layers if layer.tag in wanted}
    unknown = [tag for tag in wanted if tag not in {layer.tag for layer in sub.layers}]
    if unknown and tags:
        raise BadInput(f"the layer model has no tag {', '.join(unknown)}")
    feather_px = feather if feather is not None else max(2, min(x1 - x0, y1 - y0) // 16)
    weight = feather_weights(region, doc.size, feather_px)
    return _merge_back(doc, region, weight, fresh, wanted, source)


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _paste(arr: np.ndarray, offset: tuple[int, int], box: Box, fill: float = 0) -> np.ndarray:
    """`arr` (placed at `offset` on the canvas) cut to the canvas box `box`, clipped; `fill` elsewhere."""
    x0, y0, x1, y1 = box
    return place(arr, (offset[0] - x0, offset[1] - y0), (x1 - x0, y1 - y0), fill=fill)


def _blend(old: np.ndarray, new: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Premultiplied blend of two straight-alpha RGBA uint8 arrays: w·new + (1 − w)·old."""
    def premul(a: np.ndarray) -> np.ndarray:
        f = a.astype(np.float32)
        f[..., :3] *= f[..., 3:4] / 255.0
        return f

    mix = premul(new) * w[..., None] + premul(old) * (1.0 - w[..., None])
    alpha = mix[..., 3:4]
    rgb = np.where(alpha > 0, mix[..., :3] * 255.0 / np.maximum(alpha, 1e-6), 0.0)
    return np.clip(np.concatenate([rgb, alpha], axis=2) + 0.5, 0, 255).astype(np.uint8)


def _merge_back(doc: Document, region: Box, weight: np.ndarray, fresh: dict[str, Layer], wanted: list[str],
                source: np.ndarray) -> Command:
    x0, y0, x1, y1 = region
    commands: list[Command] = []
    new_alpha_in_region: dict[str, np.ndarray] = {}
    for tag in wanted:
        layers = [layer for layer in doc.layers if layer.tag == tag]
        new = fresh.get(tag)
        new_rgba = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
        new_depth = None
        if new is not None:
            new_rgba = _paste(new.rgba, new.offset, (0, 0, x1 - x0, y1 - y0))
            if new.depth is not None:
                new_depth = _paste(new.depth, new.offset, (0, 0, x1 - x0, y1 - y0), fill=1.0)
        target = max(layers, key=lambda layer: _presence(layer, region), default=None)
        if target is None:
            if new is None or not (new_rgba[..., 3] > ALPHA_THRESHOLD).any():
                continue
            cropped, cropped_depth, offset = crop_to_content(new_rgba, new_depth, (x0, y0))
            layer = Layer(name=tag, rgba=cropped, offset=offset, tag=tag, depth=cropped_depth,
                          provenance="redecompose", uid=new_uid())
            layer = replace(layer, depth_value=representative_depth(layer))
            commands.append(ReplaceLayers([], [layer], index=_index_by_depth(doc, layer.depth_value)))
            new_alpha_in_region[layer.uid] = new_rgba[..., 3]
            continue
        for layer in layers:
            box = _union(layer.bbox, region)
            rgba = _paste(layer.rgba, layer.offset, box)
            rx0, ry0 = x0 - box[0], y0 - box[1]
            window = rgba[ry0 : ry0 + y1 - y0, rx0 : rx0 + x1 - x0]
            incoming = new_rgba if layer is target else np.zeros_like(new_rgba)
            window[...] = _blend(window, incoming, weight)
            depth = None
            if layer.depth is not None or (layer is target and new_depth is not None):
                depth = _paste(layer.depth_or_constant(), layer.offset, box, fill=1.0)
                if layer is target and new_depth is not None:
                    dwin = depth[ry0 : ry0 + y1 - y0, rx0 : rx0 + x1 - x0]
                    dwin[...] = np.where(weight > 0, weight * new_depth + (1 - weight) * dwin, dwin)
            cropped, cropped_depth, offset = crop_to_content(rgba, depth, (box[0], box[1]))
            commands.append(SetLayerPixels(layer.uid, cropped, offset=offset, depth=cropped_depth, keep_depth=False))
            if layer is target:
                new_alpha_in_region[layer.uid] = window[..., 3].copy()
    filled = _fill_exposed(doc, region, commands, new_alpha_in_region, source)
    if filled is not None:
        commands = [filled if isinstance(c, SetLayerPixels) and c.uid == filled.uid else c for c in commands]
    if not commands:
        raise BadInput("the layer model found none of the chosen tags in the region")
    return Macro(commands, text="Re-decompose region")


def _presence(layer: Layer, box: Box) -> int:
    """How many of the layer's pixels lie inside the box."""
    alpha = _paste(layer.rgba[..., 3], layer.offset, _union(layer.bbox, box))
    ux0, uy0 = min(layer.bbox[0], box[0]), min(layer.bbox[1], box[1])
    inside = alpha[box[1] - uy0 : box[3] - uy0, box[0] - ux0 : box[2] - ux0]
    return int((inside > ALPHA_THRESHOLD).sum())


def _index_by_depth(doc: Document, depth: float) -> int:
    """Where a new layer of this depth goes in a far (bottom) → near (top) stack."""
    for i, layer in enumerate(doc.layers):
        if layer.depth_value < depth:
            return i
    return len(doc.layers)


def _fill_exposed(doc: Document, region: Box, commands: list[Command], new_alpha: dict[str, np.ndarray],
                  source: np.ndarray) -> SetLayerPixels | None:
    """Visible pixels of the input that no layer covers after the change go to the replaced layer nearest to them,
    with the input's colours (they are visible, so their colour is known exactly)."""
    x0, y0, x1, y1 = region
    changed = {c.uid: c for c in commands if isinstance(c, SetLayerPixels)}
    clear_after = np.ones((y1 - y0, x1 - x0), np.float32)  # Π(1 − α): how much light passes every layer
    clear_before = np.ones((y1 - y0, x1 - x0), np.float32)
    for layer in doc.layers:
        if not layer.visible:
            continue
        old = layer.on_canvas(doc.size)[y0:y1, x0:x1, 3].astype(np.float32) / 255.0
        clear_before *= 1.0 - old
        if layer.uid in changed:
            c = changed[layer.uid]
            clear_after *= 1.0 - _paste(c.rgba[..., 3], c.offset or layer.offset, region).astype(np.float32) / 255
        else:
            clear_after *= 1.0 - old
    for command in commands:
        if isinstance(command, ReplaceLayers):
            for layer in command.new_layers:
                clear_after *= 1.0 - _paste(layer.rgba[..., 3], layer.offset, region).astype(np.float32) / 255.0
    # exposed: the input shows the pixel, the layers covered it well before and barely do now
    hole = (source[y0:y1, x0:x1, 3] >= 128) & (clear_before <= 0.5) & (clear_after >= 0.75)
    if not hole.any() or not changed:
        return None
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    uid = max(changed, key=lambda u: int((new_alpha.get(u, np.zeros_like(hole, np.uint8))[ring] > 0).sum()))
    c = changed[uid]
    assert c.offset is not None
    box = _union((c.offset[0], c.offset[1], c.offset[0] + c.rgba.shape[1], c.offset[1] + c.rgba.shape[0]), region)
    rgba = _paste(c.rgba, c.offset, box)
    rx0, ry0 = x0 - box[0], y0 - box[1]
    window = rgba[ry0 : ry0 + y1 - y0, rx0 : rx0 + x1 - x0]
    # only where that layer shows nothing: what the model drew there (even faint) stays the model's
    fill = hole & (window[..., 3] <= ALPHA_THRESHOLD)
    window[fill] = source[y0:y1, x0:x1][fill]
    depth = None
    if c.depth is not None:
        depth = _paste(c.depth, c.offset, box, fill=1.0)
    cropped, cropped_depth, offset = crop_to_content(rgba, depth, (box[0], box[1]))
    return SetLayerPixels(uid, cropped, offset=offset, depth=cropped_depth, keep_depth=False)
