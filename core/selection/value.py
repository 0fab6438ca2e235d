"""The selection: a soft 8-bit mask over the canvas (0 unselected … 255 selected), as an immutable value.

Stored cropped to its bounding box (`alpha` at `offset`), so a small selection on a big canvas is small (it sits
in every undo step that changes it). Everything outside the box, and outside the canvas, is unselected. An
empty selection is never built: the operations give `None` (nothing selected) instead, as Krita deselects when
a subtraction leaves nothing.

The algebra on soft masks is the fuzzy-set one (exact for hard masks): add = max, intersect = min,
subtract = min(a, 255 − b), invert = 255 − a over the canvas.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from seethrough.core.document import frozen_array, place

Box = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class Selection:
    """A selection on a canvas of `canvas = (width, height)`; `alpha` (h, w) uint8 read-only at `offset`."""

    canvas: tuple[int, int]
    alpha: np.ndarray
    offset: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        alpha = np.asarray(self.alpha)
        if alpha.ndim != 2 or alpha.dtype != np.uint8:
            raise ValueError(f"a selection is a 2-D uint8 mask, got {alpha.shape} {alpha.dtype}")
        object.__setattr__(self, "alpha", frozen_array(alpha))
        object.__setattr__(self, "canvas", (int(self.canvas[0]), int(self.canvas[1])))
        object.__setattr__(self, "offset", (int(self.offset[0]), int(self.offset[1])))
        x0, y0, x1, y1 = self.box
        if x0 < 0 or y0 < 0 or x1 > self.canvas[0] or y1 > self.canvas[1]:
            raise ValueError(f"selection box {self.box} is outside the canvas {self.canvas}")

    @property
    def box(self) -> Box:
        """(x0, y0, x1, y1) of the stored mask on the canvas, exclusive ends."""
        x, y = self.offset
        return (x, y, x + self.alpha.shape[1], y + self.alpha.shape[0])

    def on_canvas(self) -> np.ndarray:
        """The whole canvas mask, (height, width) uint8 (a new array)."""
        return place(self.alpha, self.offset, self.canvas)

    def in_box(self, box: Box) -> np.ndarray:
        """The mask over any canvas region `box` (it may reach outside the canvas: unselected there)."""
        x0, y0, x1, y1 = box
        return place(self.alpha, (self.offset[0] - x0, self.offset[1] - y0), (x1 - x0, y1 - y0))

    @property
    def area(self) -> float:
        """Selected area in pixels (a pixel at 128 counts about half)."""
        return float(self.alpha.sum(dtype=np.int64)) / 255.0

    def covers(self, x: int, y: int) -> int:
        """The selection's value at canvas pixel (x, y)."""
        bx0, by0, bx1, by1 = self.box
        return int(self.alpha[y - by0, x - bx0]) if bx0 <= x < bx1 and by0 <= y < by1 else 0


def canvas_box(canvas: tuple[int, int]) -> Box:
    return (0, 0, int(canvas[0]), int(canvas[1]))


def intersect_boxes(a: Box, b: Box) -> Box | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def union_boxes(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def grow_box(box: Box, by: int, limit: Box) -> Box:
    """`box` grown by `by` pixels on every side, clipped to `limit`."""
    clipped = intersect_boxes((box[0] - by, box[1] - by, box[2] + by, box[3] + by), limit)
    assert clipped is not None, "a grown box always meets the limit it came from"
    return clipped


def from_region(canvas: tuple[int, int], alpha: np.ndarray, origin: tuple[int, int] = (0, 0)) -> Selection | None:
    """The selection that is `alpha` placed at `origin` (clipped to the canvas, cropped to what is selected);
    None when nothing is selected. `alpha` may be bool (True = 255)."""
    arr = np.asarray(alpha)
    if arr.dtype == bool:
        arr = arr.view(np.uint8) * np.uint8(255)
    x, y = int(origin[0]), int(origin[1])
    h, w = arr.shape
    inside = intersect_boxes((x, y, x + w, y + h), canvas_box(canvas))
    if inside is None:
        return None
    cx0, cy0, cx1, cy1 = inside
    arr = arr[cy0 - y : cy1 - y, cx0 - x : cx1 - x]
    rows = np.flatnonzero(arr.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(arr.any(axis=0))
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return Selection(canvas, arr[r0:r1, c0:c1], (cx0 + c0, cy0 + r0))


def everything(canvas: tuple[int, int]) -> Selection:
    """Select all (Ctrl+A)."""
    return Selection(canvas, np.full((int(canvas[1]), int(canvas[0])), 255, np.uint8))


# --- the algebra ------------------------------------------------------------------------------------------------
MODES = ("replace", "add", "subtract", "intersect")


def combine(old: Selection | None, new: Selection | None, mode: str) -> Selection | None:
    """`new` applied to `old` in `mode` (replace / add / subtract / intersect)."""
    if mode == "replace":
        return new
    if mode == "add":
        if old is None or new is None:
            return new if old is None else old
        box = union_boxes(old.box, new.box)
        return from_region(old.canvas, np.maximum(old.in_box(box), new.in_box(box)), box[:2])
    if mode == "subtract":
        if old is None or new is None:
            return old
        box = old.box
        return from_region(old.canvas, np.minimum(old.alpha, 255 - new.in_box(box)), box[:2])
    if mode == "intersect":
        if old is None or new is None:
            return None
        meet = intersect_boxes(old.box, new.box)
        if meet is None:
            return None
        return from_region(old.canvas, np.minimum(old.in_box(meet), new.in_box(meet)), meet[:2])
    raise ValueError(f"unknown selection mode {mode!r}")


def invert(selection: Selection | None, canvas: tuple[int, int]) -> Selection | None:
    """Everything not selected (Ctrl+Shift+I); inverting nothing selects all."""
    if selection is None:
        return everything(canvas)
    return from_region(canvas, 255 - selection.on_canvas())


def _disc_rows(radius: int) -> list[tuple[int, int]]:
    """(dy, half width) of the rows of a disc of `radius` (pixels whose centres lie within the radius)."""
    return [(dy, int(np.floor(np.sqrt(radius * radius - dy * dy) + 1e-9))) for dy in range(radius + 1)]


def dilate_disc(alpha: np.ndarray, radius: int) -> np.ndarray:
    """Grey dilation by a disc of `radius` px (the max over the disc), with 0 outside the array.

    The disc is taken row by row, from its top row (narrowest) to its middle: the horizontal max over the row's
    half width grows by one shifted maximum per extra column, and each row's max is shifted by ±dy into the
    result. Cost O(radius · area) array maxima, where a disc kernel would cost O(radius² · area).
    """
    if radius <= 0:
        return alpha.copy()
    h, w = alpha.shape
    padded = np.zeros((h + 2 * radius, w + 2 * radius), np.uint8)
    padded[radius : radius + h, radius : radius + w] = alpha
    row_max = padded.copy()
    out = np.zeros_like(padded)
    half = 0
    for dy, need in reversed(_disc_rows(radius)):
        while half < need:
            half += 1
            np.maximum(row_max[:, half:], padded[:, :-half], out=row_max[:, half:])
            np.maximum(row_max[:, :-half], padded[:, half:], out=row_max[:, :-half])
        if dy:
            np.maximum(out[dy:], row_max[:-dy], out=out[dy:])
            np.maximum(out[:-dy], row_max[dy:], out=out[:-dy])
        else:
            np.maximum(out, row_max, out=out)
    return out[radius : radius + h, radius : radius + w]


def grow(selection: Selection | None, px: int) -> Selection | None:
    """Every pixel within `px` of a selected one, at the strongest value within reach (Krita's Grow)."""
    if selection is None or px <= 0:
        return selection
    box = grow_box(selection.box, px, canvas_box(selection.canvas))
    return from_region(selection.canvas, dilate_disc(selection.in_box(box), px), box[:2])


def shrink(selection: Selection | None, px: int) -> Selection | None:
    """Only what stays selected `px` in from every edge (outside the canvas counts as unselected)."""
    if selection is None or px <= 0:
        return selection
    box = grow_box(selection.box, 1, (-1, -1, selection.canvas[0] + 1, selection.canvas[1] + 1))
    inverse = 255 - selection.in_box(box)  # the ring around the box is unselected, so it erodes from there
    eroded = 255 - dilate_disc(inverse, px)
    return from_region(selection.canvas, eroded, box[:2])


def feather(selection: Selection | None, px: int) -> Selection | None:
    """Soften the edge: a Gaussian blur of standard deviation px / 2, so the edge ramps over about ±px."""
    if selection is None or px <= 0:
        return selection
    sigma = px / 2.0
    reach = int(np.ceil(3 * sigma))
    box = grow_box(selection.box, reach, canvas_box(selection.canvas))
    region = selection.in_box(box).astype(np.float32)
    blurred = cv2.GaussianBlur(region, (2 * reach + 1, 2 * reach + 1), sigma, borderType=cv2.BORDER_CONSTANT)
    return from_region(selection.canvas, np.clip(np.rint(blurred), 0, 255).astype(np.uint8), box[:2])
