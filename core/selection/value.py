"""The selection: a soft 8-bit mask over the canvas (0 unselected … 255 selected), as an immutable value.

Stored as the mask over its box (`alpha` at `offset`) and one value for the rest of the canvas (`outside`: 0, or
255 after "select all" or inverting), so a small selection, or everything but a small hole, is small in every undo
step that holds it. Outside the canvas nothing is selected. An empty selection is never built: the operations
give `None` (nothing selected) instead, as Krita deselects when a subtraction leaves nothing.

The algebra on soft masks is the fuzzy-set one (exact for hard masks): add = max, intersect = min,
subtract = min(a, 255 − b), invert = 255 − a over the canvas.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from seethrough.core.document import frozen_array

Box = tuple[int, int, int, int]
OUTSIDE_VALUES = (0, 255)


def canvas_box(canvas: tuple[int, int]) -> Box:
    return (0, 0, int(canvas[0]), int(canvas[1]))


def intersect_boxes(a: Box, b: Box) -> Box | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def union_boxes(a: Box, b: Box) -> Box:
    """The box around both; an empty box adds nothing."""
    if a[2] <= a[0] or a[3] <= a[1]:
        return b
    if b[2] <= b[0] or b[3] <= b[1]:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def grow_box(box: Box, by: int, limit: Box) -> Box:
    """`box` grown by `by` pixels on every side, clipped to `limit` (empty when they do not meet)."""
    clipped = intersect_boxes((box[0] - by, box[1] - by, box[2] + by, box[3] + by), limit)
    return clipped if clipped is not None else (limit[0], limit[1], limit[0], limit[1])


def _paste(out: np.ndarray, values: np.ndarray, at: tuple[int, int]) -> None:
    """Write `values` into `out` with its top-left pixel at `at` (in `out`'s indices), clipped."""
    x, y = at
    h, w = values.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, out.shape[1]), min(y + h, out.shape[0])
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = values[y0 - y : y1 - y, x0 - x : x1 - x]


@dataclass(frozen=True, eq=False)
class Selection:
    """A selection on a canvas of `canvas = (width, height)`: `alpha` ((h, w) uint8, read-only) at `offset`, and
    `outside` (0 or 255) everywhere else on the canvas."""

    canvas: tuple[int, int]
    alpha: np.ndarray
    offset: tuple[int, int] = (0, 0)
    outside: int = 0

    def __post_init__(self) -> None:
        alpha = np.asarray(self.alpha)
        if alpha.ndim != 2 or alpha.dtype != np.uint8:
            raise ValueError(f"a selection is a 2-D uint8 mask, got {alpha.shape} {alpha.dtype}")
        if self.outside not in OUTSIDE_VALUES:
            raise ValueError(f"a selection is 0 or 255 outside its box, got {self.outside}")
        object.__setattr__(self, "alpha", frozen_array(alpha))
        object.__setattr__(self, "canvas", (int(self.canvas[0]), int(self.canvas[1])))
        object.__setattr__(self, "offset", (int(self.offset[0]), int(self.offset[1])))
        object.__setattr__(self, "outside", int(self.outside))
        x0, y0, x1, y1 = self.box
        if x0 < 0 or y0 < 0 or x1 > self.canvas[0] or y1 > self.canvas[1]:
            raise ValueError(f"selection box {self.box} is outside the canvas {self.canvas}")

    @property
    def box(self) -> Box:
        """(x0, y0, x1, y1) of the stored mask on the canvas, exclusive ends."""
        x, y = self.offset
        return (x, y, x + self.alpha.shape[1], y + self.alpha.shape[0])

    @property
    def extent(self) -> Box:
        """The box of everything selected: the stored box, or the whole canvas when `outside` is selected."""
        return self.box if self.outside == 0 else canvas_box(self.canvas)

    def on_canvas(self) -> np.ndarray:
        """The whole canvas mask, (height, width) uint8 (a new array)."""
        return self.in_box(canvas_box(self.canvas))

    def in_box(self, box: Box) -> np.ndarray:
        """The mask over any canvas region `box` (a new array; it may reach outside the canvas: unselected there)."""
        x0, y0, x1, y1 = box
        out = np.zeros((max(0, y1 - y0), max(0, x1 - x0)), np.uint8)
        if self.outside:
            inner = intersect_boxes(box, canvas_box(self.canvas))
            if inner is not None:
                out[inner[1] - y0 : inner[3] - y0, inner[0] - x0 : inner[2] - x0] = self.outside
        _paste(out, self.alpha, (self.offset[0] - x0, self.offset[1] - y0))
        return out

    @property
    def area(self) -> float:
        """Selected area in pixels (a pixel at 128 counts about half)."""
        rest = self.canvas[0] * self.canvas[1] - self.alpha.size
        return (float(self.alpha.sum(dtype=np.int64)) + self.outside * rest) / 255.0

    def covers(self, x: int, y: int) -> int:
        """The selection's value at canvas pixel (x, y)."""
        bx0, by0, bx1, by1 = self.box
        if bx0 <= x < bx1 and by0 <= y < by1:
            return int(self.alpha[y - by0, x - bx0])
        return self.outside if 0 <= x < self.canvas[0] and 0 <= y < self.canvas[1] else 0


def from_region(
    canvas: tuple[int, int], alpha: np.ndarray, origin: tuple[int, int] = (0, 0), outside: int = 0
) -> Selection | None:
    """The selection that is `alpha` placed at `origin` (clipped to the canvas) and `outside` on the rest of the
    canvas, stored cropped to where it differs from `outside`; None when nothing is selected. `alpha` may be bool
    (True = 255)."""
    arr = np.asarray(alpha)
    if arr.dtype == bool:
        arr = arr.view(np.uint8) * np.uint8(255)
    x, y = int(origin[0]), int(origin[1])
    h, w = arr.shape
    inside = intersect_boxes((x, y, x + w, y + h), canvas_box(canvas))
    if inside is None:
        return everything(canvas) if outside else None
    cx0, cy0, cx1, cy1 = inside
    arr = arr[cy0 - y : cy1 - y, cx0 - x : cx1 - x]
    differs = arr != outside if outside else arr
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        return everything(canvas) if outside else None
    cols = np.flatnonzero(differs.any(axis=0))
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return Selection(canvas, arr[r0:r1, c0:c1], (cx0 + c0, cy0 + r0), outside)


def from_canvas(canvas: tuple[int, int], values: np.ndarray) -> Selection | None:
    """A whole-canvas mask as a selection, stored around what differs from its corner value (0 or 255)."""
    corner = int(values[0, 0]) if values.size else 0
    return from_region(canvas, values, (0, 0), corner if corner in OUTSIDE_VALUES else 0)


def everything(canvas: tuple[int, int]) -> Selection:
    """Select all (Ctrl+A): no stored pixels, 255 everywhere on the canvas."""
    return Selection(canvas, np.zeros((0, 0), np.uint8), (0, 0), outside=255)


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
        values = np.maximum(old.in_box(box), new.in_box(box))
        return from_region(old.canvas, values, box[:2], max(old.outside, new.outside))
    if mode == "subtract":
        if old is None or new is None:
            return old
        box = union_boxes(old.box, new.box) if old.outside else old.box
        values = np.minimum(old.in_box(box), 255 - new.in_box(box))
        return from_region(old.canvas, values, box[:2], min(old.outside, 255 - new.outside))
    if mode == "intersect":
        if old is None or new is None:
            return None
        if old.outside or new.outside:
            box = union_boxes(old.box, new.box)
        else:
            meet = intersect_boxes(old.box, new.box)
            if meet is None:
                return None
            box = meet
        values = np.minimum(old.in_box(box), new.in_box(box))
        return from_region(old.canvas, values, box[:2], min(old.outside, new.outside))
    raise ValueError(f"unknown selection mode {mode!r}")


def invert(selection: Selection | None, canvas: tuple[int, int]) -> Selection | None:
    """Everything not selected (Ctrl+Shift+I); inverting nothing selects all. Costs the stored box only."""
    if selection is None:
        return everything(canvas)
    return from_region(canvas, 255 - selection.alpha, selection.offset, 255 - selection.outside)


def _work_box(selection: Selection, margin: int, limit: Box) -> Box:
    """Where an operation reaching `margin` px can change the selection: around its box, or the whole canvas
    (and what `limit` allows around it) when the rest of the canvas is selected."""
    if selection.outside:
        return grow_box(canvas_box(selection.canvas), margin, limit)
    return grow_box(selection.box, margin, limit)


def _result(selection: Selection, values: np.ndarray, box: Box) -> Selection | None:
    if selection.outside:  # the work box was the whole canvas (and maybe a ring around it)
        x0, y0 = -box[0], -box[1]
        w, h = selection.canvas
        return from_canvas(selection.canvas, values[y0 : y0 + h, x0 : x0 + w])
    return from_region(selection.canvas, values, box[:2])


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
    box = _work_box(selection, px, canvas_box(selection.canvas))
    return _result(selection, dilate_disc(selection.in_box(box), px), box)


def shrink(selection: Selection | None, px: int) -> Selection | None:
    """Only what stays selected `px` in from every edge (outside the canvas counts as unselected)."""
    if selection is None or px <= 0:
        return selection
    ring = (-1, -1, selection.canvas[0] + 1, selection.canvas[1] + 1)
    box = _work_box(selection, 1, ring)
    inverse = 255 - selection.in_box(box)  # the ring around the box is unselected, so it erodes from there
    return _result(selection, 255 - dilate_disc(inverse, px), box)


def feather(selection: Selection | None, px: int) -> Selection | None:
    """Soften the edge: a Gaussian blur of standard deviation px / 2, so the edge ramps over about ±px."""
    if selection is None or px <= 0:
        return selection
    sigma = px / 2.0
    reach = int(np.ceil(3 * sigma))
    box = _work_box(selection, reach, canvas_box(selection.canvas))
    region = selection.in_box(box).astype(np.float32)
    blurred = cv2.GaussianBlur(region, (2 * reach + 1, 2 * reach + 1), sigma, borderType=cv2.BORDER_CONSTANT)
    return _result(selection, np.clip(np.rint(blurred), 0, 255).astype(np.uint8), box)
