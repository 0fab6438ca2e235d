"""A stroke in progress shown on part of the canvas: the layers it changes, cut to one canvas rectangle, with the
stroke so far applied — what the canvas composites with the untouched layers to repaint only that rectangle.

Every tool is previewed with the functions its commit uses (core/brush/blend.py), on the same coverage × opacity,
so what the canvas shows while painting is what the commit gives on that rectangle. A stand-in is the same layer
(uid, order, opacity, blend mode, depth value) holding only the rectangle's pixels, depth and mask; the compositor
needs nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from seethrough.core.brush import blend
from seethrough.core.brush.apply import MOVE_THRESHOLD, canvas_block
from seethrough.core.brush.engine import StrokeMask
from seethrough.core.brush.params import StrokeParams
from seethrough.core.document import DEPTH_FILL, Layer
from seethrough.core.layer_mask import LayerMask
from seethrough.core.tiles import Rect, intersect_rects


def _plane_rect(layer: Layer, rect: Rect) -> Rect:
    sx, sy = layer.plane_shift
    return (rect[0] + sx, rect[1] + sy, rect[2] + sx, rect[3] + sy)


def _index(layers: Sequence[Layer], ref: str | None) -> int | None:
    """The position of the layer a stroke names (uid, else the first of that name from the top)."""
    if ref is None:
        return None
    for i, layer in enumerate(layers):
        if layer.uid == ref:
            return i
    for i in range(len(layers) - 1, -1, -1):
        if layers[i].name == ref:
            return i
    return None


def window(layer: Layer, rect: Rect, rgba: np.ndarray | None = None, depth: np.ndarray | None = None,
           layer_mask: LayerMask | None = None) -> Layer:
    """`layer` cut to the canvas rectangle `rect` (its pixels, depth map and mask there), with `rgba` / `depth` /
    `layer_mask` replacing what it holds when given."""
    if rgba is None:
        rgba = layer.pixels.region(_plane_rect(layer, rect))
    if depth is None and layer.depth_plane is not None:
        depth = layer.depth_plane.region(_plane_rect(layer, rect), outside=DEPTH_FILL)
    return replace(layer, rgba=rgba, depth=depth, offset=(rect[0], rect[1]),
                   layer_mask=layer.layer_mask if layer_mask is None else layer_mask)


def _with_new_depth(layer: Layer, old: np.ndarray, new: np.ndarray, rect: Rect) -> Layer:
    """The stand-in for pixels `new` (was `old`): where a pixel appeared the depth map takes the layer's
    representative depth, as the commit does."""
    depth = None
    if layer.depth_plane is not None:
        depth = layer.depth_plane.region(_plane_rect(layer, rect), outside=DEPTH_FILL)
        appeared = (old[..., 3] == 0) & (new[..., 3] > 0)
        depth[appeared] = np.float32(layer.depth_value)
    return window(layer, rect, rgba=new, depth=depth)


def _inside_box(layer: Layer, rect: Rect, coverage: np.ndarray) -> np.ndarray:
    """`coverage` kept only on the layer's box (depth strokes do not grow the layer)."""
    inner = intersect_rects(rect, layer.bbox)
    kept = np.zeros_like(coverage)
    if inner is not None:
        x0, y0, x1, y1 = (v - o for v, o in zip(inner, (rect[0], rect[1], rect[0], rect[1])))
        kept[y0:y1, x0:x1] = coverage[y0:y1, x0:x1]
    return kept


def preview_layers(layers: Sequence[Layer], params: StrokeParams, mask: StrokeMask, rect: Rect,
                   source: np.ndarray | None = None) -> list[Layer]:
    """`layers` with the one(s) the stroke changes replaced by stand-ins over `rect` showing the stroke so far.

    The others are returned as they are; so are all of them when the stroke has not reached `rect` or names a
    layer that is not there. Chain calls to show several strokes (the output of one is the input of the next).
    """
    out = list(layers)
    at = _index(out, params.layer)
    if at is None or intersect_rects(rect, mask.bbox) is None:
        return out
    layer = out[at]
    coverage = mask.coverage(rect)
    if params.opacity != 1.0:
        coverage *= np.float32(params.opacity)
    tool = params.tool
    if tool == "depth":
        depth_plane = layer.depth_plane
        old_depth = (depth_plane.region(_plane_rect(layer, rect), outside=DEPTH_FILL) if depth_plane is not None
                     else np.full(coverage.shape, layer.depth_value, np.float32))
        painted = blend.towards(old_depth, _inside_box(layer, rect, coverage), params.value)
        out[at] = window(layer, rect, depth=painted)
    elif tool == "mask":
        if layer.layer_mask is not None:
            lm = layer.layer_mask
            values = blend.towards(lm.over(rect), coverage, params.value * 255.0)
            out[at] = window(layer, rect, layer_mask=LayerMask.from_array(values, rect[:2], lm.fill, lm.enabled))
    elif tool == "move-to-layer":
        target_at = _index(out, params.target)
        if target_at is not None and target_at != at:
            target = out[target_at]
            pixels = layer.pixels.region(_plane_rect(layer, rect))
            moved = (coverage >= MOVE_THRESHOLD) & (pixels[..., 3] > 0)
            old_target = target.pixels.region(_plane_rect(target, rect))
            joined = blend.move_in(old_target, pixels, moved, incoming_above=at > target_at)
            out[at] = window(layer, rect, rgba=blend.move_out(pixels, moved))
            out[target_at] = _with_new_depth(target, old_target, joined, rect)
    elif tool != "restore" or source is not None:
        old = layer.pixels.region(_plane_rect(layer, rect))
        if tool == "paint":
            new = blend.paint(old, coverage, params.rgb)
        elif tool == "erase":
            new = blend.erase(old, coverage)
        else:
            assert source is not None
            new = blend.restore(old, coverage, canvas_block(source, rect))
        out[at] = _with_new_depth(layer, old, new, rect)
    return out
