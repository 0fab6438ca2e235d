"""The transform tool's geometry, without Qt: a `Placement` (translate, scale, rotate: the `transform` operation's
parameters) of a box, its handles, and what dragging a handle does to it.

The affine is the core's (core/transform.py `transform_affine`: scale, then rotate clockwise on the screen about
the box's centre, then translate), so what the tool previews is what the operation commits. Values are rounded
as the operation log writes them (a hundredth of a pixel and of a degree, 1/10 000 of the scale), so the preview,
the log and its replay agree exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from seethrough.core import edit_limits as lim
from seethrough.core.transform import Affine, TransformParams, transform_affine

Box = tuple[int, int, int, int]
Point = tuple[float, float]
#: a handle: (a, b) with a, b in {-1, 0, 1}: which side of the box it sits on along x and y ((0, 0) is no handle)
Handle = tuple[int, int]
HANDLES: tuple[Handle, ...] = ((-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0))
#: decimals kept: translate and rotate, scale
PLACES, SCALE_PLACES = 2, 4


def centre(box: Box) -> Point:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def _rotation(degrees: float) -> np.ndarray:
    rad = math.radians(degrees)
    return np.array([[math.cos(rad), -math.sin(rad)], [math.sin(rad), math.cos(rad)]])


#: the smallest scale the operation takes, rounded up to the places kept
SMALLEST_SCALE = math.ceil(lim.MIN_SCALE * 10**SCALE_PLACES) / 10**SCALE_PLACES


def _scale_value(value: float) -> float:
    """A scale factor within the operation's limits, its sign kept (0 counts as positive)."""
    sign = -1.0 if value < 0 else 1.0
    return sign * min(max(round(abs(value), SCALE_PLACES), SMALLEST_SCALE), lim.MAX_SCALE)


@dataclass(frozen=True)
class Placement:
    """Where the transform puts the box: the `transform` operation's translate, scale and rotate."""

    translate: Point = (0.0, 0.0)
    scale: Point = (1.0, 1.0)
    rotate: float = 0.0

    def __post_init__(self) -> None:
        tx, ty = self.translate
        object.__setattr__(self, "translate", (round(float(tx), PLACES) + 0.0, round(float(ty), PLACES) + 0.0))
        object.__setattr__(self, "scale", (_scale_value(self.scale[0]), _scale_value(self.scale[1])))
        object.__setattr__(self, "rotate", round(float(self.rotate), PLACES) + 0.0)

    @property
    def is_identity(self) -> bool:
        return self.translate == (0.0, 0.0) and self.scale == (1.0, 1.0) and self.rotate % 360.0 == 0.0

    def params(self, layer: str) -> TransformParams:
        return TransformParams(layer=layer, translate=self.translate, scale=self.scale, rotate=self.rotate)

    def affine(self, box: Box) -> Affine:
        return transform_affine(self.params("layer"), centre(box))

    def map(self, box: Box, point: Point) -> Point:
        x, y = self.affine(box).apply(np.array([point], np.float64))[0]
        return float(x), float(y)

    def unmap(self, box: Box, point: Point) -> Point:
        """The point of the untransformed box that lands on `point`."""
        affine = self.affine(box)
        x, y = np.linalg.solve(affine.linear, np.asarray(point, np.float64) - affine.shift)
        return float(x), float(y)

    def handle_point(self, box: Box, handle: Handle) -> Point:
        cx, cy = centre(box)
        w, h = box[2] - box[0], box[3] - box[1]
        return self.map(box, (cx + handle[0] * w / 2.0, cy + handle[1] * h / 2.0))

    def corners(self, box: Box) -> list[Point]:
        """The box's corners where they land, clockwise from the top left."""
        return [self.handle_point(box, h) for h in ((-1, -1), (1, -1), (1, 1), (-1, 1))]

    def contains(self, box: Box, point: Point) -> bool:
        x, y = self.unmap(box, point)
        return box[0] <= x <= box[2] and box[1] <= y <= box[3]

    def centre_point(self, box: Box) -> Point:
        cx, cy = centre(box)
        return cx + self.translate[0], cy + self.translate[1]

    # --- changes ---------------------------------------------------------------------------------------------------
    def moved(self, dx: float, dy: float) -> Placement:
        return replace(self, translate=(self.translate[0] + dx, self.translate[1] + dy))

    def turned(self, degrees: float) -> Placement:
        return replace(self, rotate=self.rotate + degrees)

    def flipped(self, axis: str) -> Placement:
        """Mirrored left–right ("h") or top–bottom ("v") in the box's own frame."""
        sx, sy = self.scale
        return replace(self, scale=(-sx, sy) if axis == "h" else (sx, -sy))

    def dragged(self, box: Box, handle: Handle, to: Point, keep_aspect: bool = False) -> Placement:
        """The handle dragged to `to` (canvas pixels) while the opposite side (or corner) stays where it is;
        `keep_aspect` scales both axes alike (Shift)."""
        a, b = handle
        w, h = max(box[2] - box[0], 1), max(box[3] - box[1], 1)
        sx, sy = self.scale
        turn = _rotation(self.rotate)
        middle = np.asarray(self.centre_point(box))
        local = turn.T @ (np.asarray(to, np.float64) - middle)  # `to` in the box's scaled, unturned frame
        fixed = (-a * w * sx / 2.0, -b * h * sy / 2.0)
        new_sx = (local[0] - fixed[0]) / (a * w) if a else sx
        new_sy = (local[1] - fixed[1]) / (b * h) if b else sy
        if keep_aspect:
            rx, ry = new_sx / sx, new_sy / sy
            ratio = (rx if abs(rx) >= abs(ry) else ry) if a and b else (rx if a else ry)
            new_sx, new_sy = sx * ratio, sy * ratio
        new_sx, new_sy = _scale_value(new_sx), _scale_value(new_sy)
        shift = np.array([fixed[0] + a * w * new_sx / 2.0 if a else 0.0,
                          fixed[1] + b * h * new_sy / 2.0 if b else 0.0])
        dx, dy = turn @ shift
        return Placement((self.translate[0] + dx, self.translate[1] + dy), (new_sx, new_sy), self.rotate)


def angle_at(origin: Point, point: Point) -> float:
    """The direction from `origin` to `point` in degrees, clockwise on the screen (y points down)."""
    return math.degrees(math.atan2(point[1] - origin[1], point[0] - origin[0]))
