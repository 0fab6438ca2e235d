"""A finished stroke applied to tiled planes: only the tiles under the stroke are rebuilt, every other is shared.

Each function takes the layer(s) as they are, the stroke's coverage mask and its parameters, and returns new planes
(`PlaneEdit`s for `SetLayerPlanes`). Tools that add pixels (paint, restore, the target of move-to-layer) grow the
layer's box to the new pixels' box (no further: a grown layer is already cropped to its content), and fill the
depth map with the layer's representative depth where the layer had no pixel before.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from seethrough.core.brush import blend
from seethrough.core.brush.engine import StrokeMask
from seethrough.core.brush.params import StrokeParams
from seethrough.core.commands import PlaneEdit
from seethrough.core.document import Layer
from seethrough.core.tiles import (
    TILE,
    Rect,
    TiledPlane,
    TileKey,
    contains_rect,
    intersect_rects,
    tile_keys,
    tile_rect,
    union_rects,
)

#: move-to-layer moves whole pixels where the stroke's coverage × opacity reaches this (a pixel split between two
#: stacked layers would not composite back to itself)
MOVE_THRESHOLD = 0.5


def _shifted(rect: Rect, shift: tuple[int, int]) -> Rect:
    return (rect[0] + shift[0], rect[1] + shift[1], rect[2] + shift[0], rect[3] + shift[1])


def covered_tiles(
    mask: StrokeMask, shift: tuple[int, int], opacity: float, clip: Rect | None = None
) -> Iterator[tuple[TileKey, Rect, np.ndarray]]:
    """(plane tile key, its canvas rectangle, coverage × opacity) for every plane tile the stroke covers.

    `shift` takes canvas positions to the plane's (`Layer.plane_shift`); `clip` (plane coordinates) limits the
    coverage, e.g. to the plane's box.
    """
    keys: set[TileKey] = set()
    for key in mask.keys:
        keys.update(tile_keys(_shifted(tile_rect(key), shift)))
    back = (-shift[0], -shift[1])
    for key in sorted(keys):
        trect = tile_rect(key)
        coverage = mask.coverage(_shifted(trect, back))
        if clip is not None:
            inside = intersect_rects(trect, clip)
            if inside is None:
                continue
            kept = np.zeros_like(coverage)
            ix0, iy0, ix1, iy1 = (v - o for v, o in zip(inside, (trect[0], trect[1], trect[0], trect[1])))
            kept[iy0:iy1, ix0:ix1] = coverage[iy0:iy1, ix0:ix1]
            coverage = kept
        if opacity != 1.0:
            coverage *= np.float32(opacity)
        if coverage.any():
            yield key, _shifted(trect, back), coverage


def canvas_block(image: np.ndarray, rect: Rect) -> np.ndarray:
    """An RGBA canvas image (H, W, 3 or 4) read on `rect`, transparent outside the canvas."""
    x0, y0, x1, y1 = rect
    out = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
    inner = intersect_rects(rect, (0, 0, image.shape[1], image.shape[0]))
    if inner is not None:
        ix0, iy0, ix1, iy1 = inner
        part = image[iy0:iy1, ix0:ix1]
        target = out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
        target[..., : part.shape[2]] = part[..., :4]
        if part.shape[2] == 3:
            target[..., 3] = 255
    return out


def _content_box(box: Rect, key: TileKey, differs: np.ndarray) -> Rect:
    """`box` grown to the pixels of tile `key` where `differs`."""
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        return box
    cols = np.flatnonzero(differs.any(axis=0))
    tx0, ty0 = key[0] * TILE, key[1] * TILE
    return union_rects(box, (tx0 + int(cols[0]), ty0 + int(rows[0]), tx0 + int(cols[-1]) + 1, ty0 + int(rows[-1]) + 1))


def _grown_box(box: Rect, updates: dict[TileKey, np.ndarray]) -> Rect:
    """`box` grown to every pixel with alpha > 0 in the updated tiles (only tiles reaching outside it can grow it)."""
    grown = box
    for key, tile in updates.items():
        if not contains_rect(box, tile_rect(key)):
            grown = _content_box(grown, key, tile[..., 3] > 0)
    return grown


def _edit(layer: Layer, updates: dict[TileKey, np.ndarray], added: dict[TileKey, np.ndarray], grow: bool) -> PlaneEdit:
    """The layer's new planes: pixel tiles replaced, box grown when `grow`, depth filled where pixels were added."""
    pixels = layer.pixels
    box = _grown_box(pixels.box, updates) if grow else pixels.box
    new_pixels = pixels.with_tiles(updates, box)
    depth = layer.depth_plane
    if depth is not None:
        fill = np.float32(layer.depth_value)
        depth = depth.with_tiles({key: np.where(where, fill, depth.tile_or_fill(key)) for key, where in added.items()},
                                 box)
    offset = (layer.offset[0] + box[0] - pixels.box[0], layer.offset[1] + box[1] - pixels.box[1])
    return PlaneEdit(layer, new_pixels, depth, offset)


def paint_pixels(layer: Layer, mask: StrokeMask, params: StrokeParams, source: np.ndarray | None = None) -> PlaneEdit:
    """Paint, erase or restore (from `source`, the canvas-sized illustration) on the layer's pixels.

    Tile by tile: a 64×64 tile and its temporaries stay in the CPU cache (a stacked batch of every tile does not
    and was twice as slow).
    """
    if params.tool == "restore" and source is None:
        raise ValueError("restore needs the source image")
    if params.tool not in ("paint", "erase", "restore"):
        raise ValueError(f"paint_pixels does not do {params.tool!r}")
    grow = params.tool != "erase"
    updates: dict[TileKey, np.ndarray] = {}
    added: dict[TileKey, np.ndarray] = {}
    for key, crect, coverage in covered_tiles(mask, layer.plane_shift, params.opacity):
        old = layer.pixels.tile_or_fill(key)
        if params.tool == "paint":
            new = blend.paint(old, coverage, params.rgb)
        elif params.tool == "erase":
            new = blend.erase(old, coverage)
        else:
            new = blend.restore(old, coverage, canvas_block(source, crect))  # type: ignore[arg-type]
        updates[key] = new
        if grow and layer.depth_plane is not None:
            appeared = (old[..., 3] == 0) & (new[..., 3] > 0)
            if appeared.any():
                added[key] = appeared
    return _edit(layer, updates, added, grow)


def move_pixels(layer: Layer, target: Layer, mask: StrokeMask, params: StrokeParams,
                layer_above: bool) -> tuple[PlaneEdit, PlaneEdit]:
    """Pixels under the stroke leave `layer` and join `target` (`layer_above`: `layer` is higher in the stack)."""
    outgoing: dict[TileKey, np.ndarray] = {}
    for key, _, coverage in covered_tiles(mask, layer.plane_shift, params.opacity):
        old = layer.pixels.tile_or_fill(key)
        moved = (coverage >= MOVE_THRESHOLD) & (old[..., 3] > 0)
        if moved.any():
            outgoing[key] = blend.move_out(old, moved)
    incoming: dict[TileKey, np.ndarray] = {}
    added: dict[TileKey, np.ndarray] = {}
    shift = layer.plane_shift
    for key, crect, coverage in covered_tiles(mask, target.plane_shift, params.opacity):
        pixels = layer.pixels.region(_shifted(crect, shift))
        moved = (coverage >= MOVE_THRESHOLD) & (pixels[..., 3] > 0)
        if not moved.any():
            continue
        old = target.pixels.tile_or_fill(key)
        incoming[key] = blend.move_in(old, pixels, moved, layer_above)
        added[key] = moved & (old[..., 3] == 0)
    return _edit(layer, outgoing, {}, grow=False), _edit(target, incoming, added, grow=True)


def paint_value(plane: TiledPlane, mask: StrokeMask, shift: tuple[int, int], value: float, opacity: float = 1.0,
                grow: bool = False) -> TiledPlane:
    """A one-value plane (depth: float 0–1; layer mask: uint8, `value` 0–1 is scaled to 0–255) painted towards
    `value`. Without `grow` the stroke stays inside the plane's box; with it the box grows to the pixels that
    now differ from the plane's fill."""
    if plane.channels is not None:
        raise ValueError(f"paint_value paints one-value planes, not {plane!r}")
    level = value * 255.0 if plane.dtype == np.uint8 else value
    updates = {
        key: blend.towards(plane.tile_or_fill(key), coverage, level)
        for key, _, coverage in covered_tiles(mask, shift, opacity, clip=None if grow else plane.box)
    }
    box = plane.box
    if grow:
        for key, tile in updates.items():
            if not contains_rect(plane.box, tile_rect(key)):
                box = _content_box(box, key, tile != plane.fill)
    return plane.with_tiles(updates, box)


def paint_depth(layer: Layer, mask: StrokeMask, params: StrokeParams) -> PlaneEdit:
    """The layer's depth map painted towards `params.value` inside its box (a layer without one gets a flat map
    of its representative depth first); the pixels are untouched."""
    depth = layer.depth_plane
    if depth is None:
        depth = TiledPlane.constant(layer.pixels.box, layer.depth_value, np.float32)
    painted = paint_value(depth, mask, layer.plane_shift, params.value, params.opacity)
    return PlaneEdit(layer, layer.pixels, painted, layer.offset)


def stroke_preview(layer: Layer, mask: StrokeMask, params: StrokeParams, rect: Rect,
                   source: np.ndarray | None = None) -> np.ndarray:
    """The layer's pixels on a canvas rectangle with the stroke so far applied (paint, erase, restore; others
    show the layer unchanged): for the canvas to repaint what `StrokeEngine.add` returned."""
    old = layer.pixels.region(_shifted(rect, layer.plane_shift))
    coverage = mask.coverage(rect) * np.float32(params.opacity)
    if params.tool == "paint":
        return blend.paint(old, coverage, params.rgb)
    if params.tool == "erase":
        return blend.erase(old, coverage)
    if params.tool == "restore" and source is not None:
        return blend.restore(old, coverage, canvas_block(source, rect))
    return old
