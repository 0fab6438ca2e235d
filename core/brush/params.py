"""The parameters of one stroke, exactly as the operation log writes them, validated against limits kept in one place.

`{"op": "stroke", "layer": NAME, "tool": "paint" | "erase" | "restore" | "move-to-layer" | "mask" | "depth",
"target": NAME, "size": px, "hardness": 0–1, "opacity": 0–1, "color": "#rrggbb", "value": 0–1,
"points": [[x, y, pressure], …]}` plus the brush settings a Krita user expects (flow, spacing, the pressure
curve and what it drives, smoothing), all with defaults. docs/painting.md describes each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np

from seethrough.core.errors import BadInput

Tool = Literal["paint", "erase", "restore", "move-to-layer", "mask", "depth"]
TOOLS: tuple[str, ...] = get_args(Tool)

#: (lowest, highest) of every number a stroke takes, inclusive; the one place the limits live
STROKE_LIMITS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "size": (1.0, 1000.0),  # dab diameter at full pressure, px
        "hardness": (0.0, 1.0),  # share of the radius that is fully opaque
        "opacity": (0.0, 1.0),  # the most the whole stroke adds (Krita's opacity, "wash" mode)
        "value": (0.0, 1.0),  # what mask and depth strokes paint
        "flow": (0.01, 1.0),  # what one dab adds
        "spacing": (0.02, 10.0),  # distance between dabs, in dab diameters
        "smoothing": (0.0, 0.95),  # stabiliser: how far each point is pulled back towards the last one
        "pressure": (0.0, 1.0),  # the third number of a point
        "coordinate": (-1e6, 1e6),  # x and y of a point, canvas px
    }
)
#: at most this many points in one stroke, this many control points in the pressure curve
MAX_POINTS = 100_000
MAX_CURVE_POINTS = 32

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
Point = tuple[float, float, float]


def _fail(message: str) -> BadInput:
    return BadInput(f"stroke: {message}")


def _number(name: str, value: Any, limit: str | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise _fail(f"{name} must be a number, got {value!r}")
    number = float(value)
    low, high = STROKE_LIMITS[limit or name]
    if not (math.isfinite(number) and low <= number <= high):
        raise _fail(f"{name} {value!r} is outside {low:g}–{high:g}")
    return number


def _point(value: Any, index: int) -> Point:
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) not in (2, 3):
        raise _fail(f"point {index} must be [x, y] or [x, y, pressure], got {value!r}")
    x = _number(f"point {index} x", value[0], "coordinate")
    y = _number(f"point {index} y", value[1], "coordinate")
    pressure = _number(f"point {index} pressure", value[2], "pressure") if len(value) == 3 else 1.0
    return (x, y, pressure)


def _curve(value: Any) -> tuple[tuple[float, float], ...]:
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or not 2 <= len(value) <= MAX_CURVE_POINTS:
        raise _fail(f"pressure_curve must be 2–{MAX_CURVE_POINTS} [pressure, output] pairs, got {value!r}")
    curve = []
    for i, pair in enumerate(value):
        if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise _fail(f"pressure_curve point {i} must be [pressure, output], got {pair!r}")
        curve.append((_number(f"pressure_curve point {i}", pair[0], "pressure"),
                      _number(f"pressure_curve point {i}", pair[1], "pressure")))
    xs = [x for x, _ in curve]
    if any(b <= a for a, b in zip(xs, xs[1:])):
        raise _fail(f"pressure_curve pressures must increase, got {xs}")
    return tuple(curve)


@dataclass(frozen=True)
class StrokeParams:
    """One stroke: which layer, which tool, the brush, and the points. Validated on construction (`BadInput`)."""

    layer: str
    tool: Tool
    target: str | None = None  # move-to-layer: the layer the pixels join
    size: float = 20.0
    hardness: float = 0.8
    opacity: float = 1.0
    color: str = "#000000"  # paint
    value: float = 1.0  # mask: 0 hides, 1 shows; depth: 0 near, 1 far
    points: tuple[Point, ...] = ()  # [x, y, pressure] in canvas px; pressure 0–1 (1 when left out)
    flow: float = 1.0
    spacing: float = 0.1
    pressure_size: bool = True  # pressure, through the curve, scales the diameter
    pressure_opacity: bool = False  # … and the dab's opacity
    pressure_curve: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 1.0))  # piecewise linear
    smoothing: float = 0.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("layer", "target"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise _fail(f"{name} must be a layer name or uid, got {value!r}")
        if self.tool not in TOOLS:
            raise _fail(f"tool {self.tool!r} is not one of {', '.join(TOOLS)}")
        if self.tool == "move-to-layer" and self.target is None:
            raise _fail("move-to-layer needs a target layer")
        if self.target is not None and self.target == self.layer:
            raise _fail(f"the target layer {self.target!r} is the layer itself")
        for name in ("size", "hardness", "opacity", "value", "flow", "spacing", "smoothing"):
            set_(self, name, _number(name, getattr(self, name)))
        if not isinstance(self.color, str) or not _COLOUR.fullmatch(self.color):
            raise _fail(f"color must be #rrggbb, got {self.color!r}")
        set_(self, "color", self.color.lower())
        for name in ("pressure_size", "pressure_opacity"):
            if not isinstance(getattr(self, name), bool):
                raise _fail(f"{name} must be true or false, got {getattr(self, name)!r}")
        if isinstance(self.points, str | bytes) or not hasattr(self.points, "__len__"):
            raise _fail(f"points must be a list of [x, y, pressure], got {self.points!r}")
        if not 1 <= len(self.points) <= MAX_POINTS:
            raise _fail(f"a stroke needs 1–{MAX_POINTS} points, got {len(self.points)}")
        set_(self, "points", tuple(_point(p, i) for i, p in enumerate(self.points)))
        set_(self, "pressure_curve", _curve(self.pressure_curve))

    # --- the operation log's form -----------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StrokeParams:
        """From an operation's JSON object (its "op", when present, must be "stroke"); unknown keys are refused."""
        values = dict(data)
        op = values.pop("op", "stroke")
        if op != "stroke":
            raise _fail(f"expected op 'stroke', got {op!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise _fail(f"unknown parameter {unknown[0]!r}")
        for name in ("layer", "tool"):
            if name not in values:
                raise _fail(f"missing {name!r}")
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The operation's JSON object (lists, not tuples); `from_mapping` reads it back equal."""
        data: dict[str, Any] = {"op": "stroke"}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("points", "pressure_curve"):
                value = [list(p) for p in value]
            data[f.name] = value
        return data

    # --- derived ------------------------------------------------------------------------------------------------
    @property
    def rgb(self) -> tuple[int, int, int]:
        return (int(self.color[1:3], 16), int(self.color[3:5], 16), int(self.color[5:7], 16))

    def curve(self, pressure: float) -> float:
        """The pressure curve at `pressure` (piecewise linear between its control points, flat beyond them)."""
        xs, ys = zip(*self.pressure_curve)
        return float(np.interp(pressure, xs, ys))

    def diameter(self, pressure: float) -> float:
        """The dab diameter at this pressure (px)."""
        return self.size * self.curve(pressure) if self.pressure_size else self.size

    def dab_opacity(self, pressure: float) -> float:
        """What one dab adds at its centre: flow, times the curve when pressure drives opacity."""
        return self.flow * (self.curve(pressure) if self.pressure_opacity else 1.0)
