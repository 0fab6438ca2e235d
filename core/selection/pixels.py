"""Pixel arithmetic of the selection actions and the transform: boxes, splitting a layer by a selection, "over"
and mixing, all on straight-alpha uint8 RGBA.

Exactness is designed in, so that tests can ask for byte-equality: colours are premultiplied on a 0..255 scale
(c·a is an integer, exact in float32), pixels a selection leaves alone (0) are copied, fully selected ones (255)
are taken as they are, and a split's two parts put back together with "over" give the pixel back (below).
"""

from __future__ import annotations

import numpy as np

from seethrough.core.document import Layer, place

Box = tuple[int, int, int, int]


def region(arr: np.ndarray, offset: tuple[int, int], box: Box, fill: float = 0) -> np.ndarray:
    """`arr` (placed at `offset` on the canvas) over the canvas region `box`, `fill` where it has no pixels."""
    x0, y0, x1, y1 = box
    return place(arr, (offset[0] - x0, offset[1] - y0), (x1 - x0, y1 - y0), fill=fill)


def layer_rgba(layer: Layer, box: Box) -> np.ndarray:
    return region(layer.rgba, layer.offset, box)


def layer_depth(layer: Layer, box: Box, fill: float = 1.0) -> np.ndarray:
    """The layer's depth over `box` (its representative depth where it has no map; `fill` outside its box)."""
    return region(layer.depth_or_constant(), layer.offset, box, fill=fill)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """round(a · b / 255) for uint8 arrays, exact integers."""
    return ((a.astype(np.uint32) * b + 127) // 255).astype(np.uint8)


def copy_alpha(alpha: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """The alpha of a copy of the selected part: a · s."""
    return _product(alpha, selected)


def remaining_alpha(alpha: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """What deleting or cutting the selected part leaves: a · (1 − s)."""
    return _product(alpha, 255 - selected)


def cut_alpha(alpha: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    """The alpha of the part cut away, chosen so that it composited "over" (or under) the remaining part gives
    the original alpha back: m + r·(1 − m) = a, so m = (a − r) / (1 − r). For a hard selection m is a or 0 (and
    the remainder 0 or a); for a soft one, splitting never changes what the two layers show together, as the
    plain product a · s would (a lighter seam along a feathered cut)."""
    a = alpha.astype(np.float32)
    r = remaining.astype(np.float32)
    room = 255.0 - r
    m = np.divide(255.0 * (a - r), room, out=np.zeros_like(a), where=room > 0)
    return np.clip(np.rint(m), 0, 255).astype(np.uint8)


def with_alpha(rgba: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    out = rgba.copy()
    out[..., 3] = alpha
    return out


def _premultiplied(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colour · alpha, alpha) in float32 on the 0..255 scale (colour · alpha up to 255², exact)."""
    alpha = rgba[..., 3:4].astype(np.float32)
    return rgba[..., :3].astype(np.float32) * alpha, alpha


def _straight(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied (0..255²) colour and alpha (0..255) → straight uint8 RGBA (colour 0 under alpha 0)."""
    out = np.empty((*alpha.shape[:2], 4), np.uint8)
    rgb = np.divide(colour, alpha, out=np.zeros_like(colour), where=alpha > 0)
    out[..., :3] = np.clip(np.rint(rgb), 0, 255)
    out[..., 3] = np.clip(np.rint(alpha[..., 0]), 0, 255)
    return out


def over(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Porter-Duff "over" of two straight RGBA uint8 images of one size; where one is clear, the other is
    copied as it is."""
    cu, au = _premultiplied(upper)
    cl, al = _premultiplied(lower)
    keep = (255.0 - au) / 255.0
    out = _straight(cu + cl * keep, au + al * keep)
    out = np.where(lower[..., 3:4] == 0, upper, out)
    return np.where(upper[..., 3:4] == 0, lower, out)


def mix(base: np.ndarray, other: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """`base` turned into `other` by `amount` (uint8, 255 = all `other`), mixed premultiplied (no dark edge)."""
    cb, ab = _premultiplied(base)
    co, ao = _premultiplied(other)
    t = amount.astype(np.float32)[..., None] / 255.0
    out = _straight(cb + (co - cb) * t, ab + (ao - ab) * t)
    out = np.where(amount[..., None] == 0, base, out)
    return np.where(amount[..., None] == 255, other, out)


def fill_colour(base: np.ndarray, rgb: tuple[int, int, int], amount: np.ndarray) -> np.ndarray:
    """`rgb` painted over `base` with coverage `amount` (uint8): a fill of a soft selection."""
    paint = np.empty_like(base)
    paint[..., :3] = rgb
    paint[..., 3] = amount
    return over(paint, base)
