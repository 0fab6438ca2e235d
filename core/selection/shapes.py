"""What can be selected: rectangles, ellipses, polygons (and freehand lassos, which are polygons of many points),
the magic wand, a layer's alpha and every layer of a tag. Each gives a `Selection` (or None when nothing).

Coordinates are canvas pixels, continuous: pixel (x, y) covers [x, x+1) × [y, y+1), so the box [0, 0, 2, 2]
holds four pixels. Ellipses and polygons are anti-aliased (OpenCV's anti-aliased polygon fill at 1/16 px), as
Krita's selection tools are by default; rectangles are pixel-aligned (corners rounded to the nearest pixel edge).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from seethrough.core.document import Layer
from seethrough.core.errors import BadInput
from seethrough.core.selection.value import Selection, canvas_box, combine, from_region, intersect_boxes
from seethrough.core.taxonomy import base_tag

#: sample lines per pixel row of the polygon rasteriser (coverage is exact along x, sampled 16 times along y)
SUBROWS = 16
#: pixel rows accumulated at once (bounds the rasteriser's memory on a large canvas)
_CHUNK_ROWS = 512


def rectangle(canvas: tuple[int, int], box: Sequence[float]) -> Selection | None:
    """The pixels of `box = (x0, y0, x1, y1)` (corners rounded to pixel edges), clipped to the canvas."""
    x0, y0, x1, y1 = (int(math.floor(v + 0.5)) for v in box)
    inside = intersect_boxes((x0, y0, x1, y1), canvas_box(canvas))
    if inside is None:
        return None
    cx0, cy0, cx1, cy1 = inside
    return Selection(canvas, np.full((cy1 - cy0, cx1 - cx0), 255, np.uint8), (cx0, cy0))


def polygon(canvas: tuple[int, int], points: Sequence[Sequence[float]] | np.ndarray) -> Selection | None:
    """The inside of the closed polygon through `points` (a polygon or freehand lasso), anti-aliased.

    Filled by the non-zero winding rule (a lasso that crosses itself is filled inside each of its loops)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(pts) < 3:
        raise BadInput("a polygon selection needs at least 3 points")
    lo, hi = np.floor(pts.min(axis=0)), np.ceil(pts.max(axis=0))
    region = intersect_boxes((int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])), canvas_box(canvas))
    if region is None:
        return None
    x0, y0, x1, y1 = region
    return from_region(canvas, coverage(pts - (x0, y0), (x1 - x0, y1 - y0)), (x0, y0))


def _crossings(pts: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the polygon's edges cross the sample lines y = (k + ½) / SUBROWS inside [0, height): (line k, x,
    direction ±1) of every crossing, sorted by line. Each edge takes the lines in [y_low, y_high), so a vertex
    shared by two edges is counted once."""
    start, end = pts, np.roll(pts, -1, axis=0)
    going = np.sign(end[:, 1] - start[:, 1])
    keep = going != 0  # horizontal edges cross no line
    start, end, going = start[keep], end[keep], going[keep]
    low = np.minimum(start[:, 1], end[:, 1])
    high = np.maximum(start[:, 1], end[:, 1])
    first = np.clip(np.ceil(low * SUBROWS - 0.5), 0, height * SUBROWS).astype(np.int64)
    stop = np.clip(np.ceil(high * SUBROWS - 0.5), 0, height * SUBROWS).astype(np.int64)
    count = np.maximum(stop - first, 0)
    edge = np.repeat(np.arange(len(count)), count)
    line = first[edge] + (np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count))
    y = (line + 0.5) / SUBROWS
    s, e = start[edge], end[edge]
    x = s[:, 0] + (y - s[:, 1]) * (e[:, 0] - s[:, 0]) / (e[:, 1] - s[:, 1])
    order = np.argsort(line, kind="stable")
    return line[order], x[order], going[edge][order]


def coverage(pts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """How much of each pixel of a `size = (width, height)` image the polygon `pts` covers, uint8 0..255.

    Exact along x, 16 samples along y: each crossing of a sample line adds its signed share to the pixel it
    falls in and the rest to the next one, and a running sum along each row turns those steps into the covered
    fraction of every pixel (the accumulation rasterisers of font renderers use). |winding| is capped at 1."""
    width, height = size
    out = np.zeros((height, width), np.uint8)
    line, x, going = _crossings(pts, height)
    x = np.clip(x, 0.0, float(width))
    column = np.floor(x).astype(np.int64)
    share = x - column
    row = line // SUBROWS
    stride = width + 2
    bounds = np.searchsorted(row, np.arange(0, height + _CHUNK_ROWS, _CHUNK_ROWS))
    for chunk, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
        top = chunk * _CHUNK_ROWS
        rows = min(_CHUNK_ROWS, height - top)
        if rows <= 0:
            break
        if hi == lo:
            continue
        at = (row[lo:hi] - top) * stride + column[lo:hi]
        weight = going[lo:hi] / SUBROWS
        acc = np.bincount(at, weight * (1.0 - share[lo:hi]), minlength=rows * stride)
        acc += np.bincount(at + 1, weight * share[lo:hi], minlength=rows * stride)
        covered = np.abs(np.cumsum(acc[: rows * stride].reshape(rows, stride), axis=1))[:, :width]
        out[top : top + rows] = np.rint(np.minimum(covered, 1.0) * 255.0)
    return out


def ellipse_points(box: Sequence[float]) -> np.ndarray:
    """The outline of the ellipse inscribed in `box`, one vertex every ~2 px of its perimeter."""
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    count = int(min(max(math.pi * (rx + ry), 32), 16384))
    angles = np.linspace(0.0, 2 * math.pi, count, endpoint=False)
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def ellipse(canvas: tuple[int, int], box: Sequence[float]) -> Selection | None:
    """The ellipse inscribed in `box = (x0, y0, x1, y1)`, anti-aliased."""
    return polygon(canvas, ellipse_points(box))


def premultiply_pixels(rgba: np.ndarray) -> np.ndarray:
    """Straight RGBA uint8 pixels (..., 4) → premultiplied, rounded to nearest, as int32."""
    values = rgba.astype(np.int32)
    values[..., :3] = (values[..., :3] * values[..., 3:4] + 127) // 255
    return values


def matching_pixels(image: np.ndarray, seed: np.ndarray, tolerance: int) -> np.ndarray:
    """255 where no channel of the premultiplied pixel differs from the premultiplied `seed` by more than
    `tolerance`, else 0; (height, width) uint8.

    Premultiplying a 4096² canvas costs more than the whole test, so it is done only where it changes anything.
    Alpha is the same in both forms, so one `inRange` over the straight image is right wherever the alpha test
    decides: for every opaque pixel (its own premultiplied value) and every pixel whose alpha is out of reach.
    What is left: clear pixels when the seed's alpha is within reach of 0 (they are all (0, 0, 0, 0), one answer
    for all), and partly transparent pixels within reach of the seed's alpha (an edge band), premultiplied one
    by one.
    """
    tol = int(tolerance)
    low = np.clip(seed - tol, 0, 255).astype(np.float64)
    high = np.clip(seed + tol, 0, 255).astype(np.float64)
    matching = cv2.inRange(image, low, high)
    alpha = cv2.extractChannel(image, 3)
    if low[3] == 0:  # clear pixels pass the alpha test: decide them by their premultiplied (0, 0, 0, 0)
        clear = cv2.inRange(alpha, 0, 0)
        if bool((seed <= tol).all()):
            cv2.bitwise_or(matching, clear, dst=matching)
        else:
            cv2.subtract(matching, clear, dst=matching)
    reach_low, reach_high = max(1, int(low[3])), min(254, int(high[3]))
    if reach_low <= reach_high:
        found = cv2.findNonZero(cv2.inRange(alpha, reach_low, reach_high))
        if found is not None:
            points = found.reshape(-1, 2)
            xs, ys = points[:, 0], points[:, 1]
            near = (np.abs(premultiply_pixels(image[ys, xs]) - seed) <= tol).all(axis=1)
            matching[ys, xs] = near.astype(np.uint8) * np.uint8(255)
    return matching


def wand(image: np.ndarray, at: Sequence[float], tolerance: int, contiguous: bool = True) -> Selection | None:
    """Magic wand on `image` ((height, width, 4) uint8 straight RGBA on the canvas) from the pixel `at`.

    A pixel is selected when no channel of its premultiplied RGBA differs from the seed pixel's by more than
    `tolerance` (0 = the same colour only; transparent pixels all match each other whatever colour they hide).
    `contiguous`: only the 4-connected region that holds the seed (OpenCV's flood fill), else every matching
    pixel on the canvas.
    """
    height, width = image.shape[:2]
    x, y = int(math.floor(at[0])), int(math.floor(at[1]))
    if not (0 <= x < width and 0 <= y < height):
        raise BadInput(f"the wand's point [{at[0]:g}, {at[1]:g}] is outside the canvas {width}×{height}")
    image = np.ascontiguousarray(image)
    matching = matching_pixels(image, premultiply_pixels(image[y, x]), tolerance)
    if contiguous:
        mask = np.zeros((height + 2, width + 2), np.uint8)
        flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
        cv2.floodFill(matching, mask, (x, y), 0, 0, 0, flags)
        matching = mask[1:-1, 1:-1]
    return from_region((width, height), matching)


def layer_alpha(canvas: tuple[int, int], layer: Layer) -> Selection | None:
    """Select by the layer's alpha as drawn, its layer mask applied (Krita's "Select Opaque"): soft where the layer
    is partly transparent."""
    return from_region(canvas, layer.shown_rgba[..., 3], layer.offset)


def tag_members(layers: Iterable[Layer], tag: str) -> list[Layer]:
    """Layers whose tag is `tag` or one of its variants (`handwear` takes `handwear-l` and `handwear-r`)."""
    return [layer for layer in layers if layer.tag is not None and (layer.tag == tag or base_tag(layer.tag) == tag)]


def by_tag(canvas: tuple[int, int], layers: Iterable[Layer], tag: str) -> Selection | None:
    """The union of the alphas of every layer of `tag`."""
    members = tag_members(layers, tag)
    if not members:
        raise BadInput(f"no layer has the tag {tag!r}")
    out: Selection | None = None
    for layer in members:
        out = combine(out, layer_alpha(canvas, layer), "add")
    return out
