"""Round anti-aliased dabs, where a stroke puts them (spacing along the path) and the stabiliser that smooths it.

A dab of diameter d = 2r and hardness h has, at distance ρ from its centre (pixel centres are at +0.5), the alpha
    a(ρ) = 1                               for ρ ≤ ρi
    a(ρ) = ½ (1 + cos(π (ρ − ρi) / (ρo − ρi)))  for ρi < ρ < ρo
    a(ρ) = 0                               for ρ ≥ ρo
with ρo = r + ½ and ρi = max(0, min(h·r, r − ½)): a soft brush fades over the outer (1 − h) of its radius, and a
hard one still fades over one pixel around its rim, which is its anti-aliasing (its alpha sums to π r² + 0.15).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from seethrough.core.brush.params import Point, StrokeParams

#: dabs are laid at least this far apart, px (a 1 px brush at spacing 0.02 would lay 50 per pixel)
MIN_STEP = 0.5
#: a dab thinner than this (pressure near 0 with pressure → size) lays nothing
MIN_DIAMETER = 0.5


@dataclass(frozen=True)
class Dab:
    x: float  # centre, canvas px
    y: float
    diameter: float
    opacity: float  # flow × the pressure's opacity factor


def dab_alpha(distance: np.ndarray, diameter: float, hardness: float) -> np.ndarray:
    """The dab's alpha at these distances from its centre (the profile in the module doc), float32."""
    radius = diameter / 2.0
    outer = radius + 0.5
    inner = max(0.0, min(hardness * radius, radius - 0.5))
    t = np.clip((np.asarray(distance, np.float32) - np.float32(inner)) / np.float32(outer - inner), 0.0, 1.0)
    return (0.5 + 0.5 * np.cos(np.float32(math.pi) * t)).astype(np.float32, copy=False)


def dab_window(dab: Dab, hardness: float) -> tuple[int, int, np.ndarray]:
    """(x0, y0, alpha): the dab's alpha on the pixels within its outer radius, times its opacity."""
    outer = dab.diameter / 2.0 + 0.5
    x0, y0 = math.floor(dab.x - outer), math.floor(dab.y - outer)
    x1, y1 = math.ceil(dab.x + outer), math.ceil(dab.y + outer)
    dx = np.arange(x0, x1, dtype=np.float32) + np.float32(0.5 - dab.x)
    dy = np.arange(y0, y1, dtype=np.float32) + np.float32(0.5 - dab.y)
    distance = np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2)
    alpha = dab_alpha(distance, dab.diameter, hardness)
    if dab.opacity != 1.0:
        alpha *= np.float32(dab.opacity)
    return x0, y0, alpha


class Stabiliser:
    """Krita-style smoothing: each point is pulled back towards the last smoothed one by `smoothing`.

    Causal (a point depends only on the ones before it), so the live stroke and its replay agree; `finish()`
    returns the last raw point so the stroke ends where the pen left the canvas.
    """

    def __init__(self, smoothing: float) -> None:
        self.smoothing = smoothing
        self._last: Point | None = None
        self._raw: Point | None = None

    def add(self, point: Point) -> Point:
        self._raw = point
        if self._last is None or self.smoothing == 0.0:
            self._last = point
            return point
        keep = self.smoothing
        lx, ly, _ = self._last
        smoothed = (lx + (point[0] - lx) * (1 - keep), ly + (point[1] - ly) * (1 - keep), point[2])
        self._last = smoothed
        return smoothed

    def finish(self) -> Point | None:
        """The raw last point when smoothing left the stroke short of it, else None."""
        if self._raw is None or self._last is None or self._raw[:2] == self._last[:2]:
            return None
        self._last = self._raw
        return self._raw


class DabPlacer:
    """Walks the (smoothed) path and lays a dab every `spacing` diameters, the diameter read at each dab."""

    def __init__(self, params: StrokeParams) -> None:
        self.params = params
        self._last: Point | None = None
        self._to_next = 0.0

    def _step(self, pressure: float) -> float:
        return max(self.params.spacing * self.params.diameter(pressure), MIN_STEP)

    def _dab(self, x: float, y: float, pressure: float) -> Dab | None:
        diameter = self.params.diameter(pressure)
        opacity = self.params.dab_opacity(pressure)
        if diameter < MIN_DIAMETER or opacity <= 0.0:
            return None
        return Dab(x, y, diameter, opacity)

    def add(self, point: Point) -> Iterator[Dab]:
        """The dabs the path gains up to `point` (the first point lays one dab)."""
        x, y, pressure = point
        if self._last is None:
            self._last = point
            self._to_next = self._step(pressure)
            dab = self._dab(x, y, pressure)
            if dab is not None:
                yield dab
            return
        lx, ly, lp = self._last
        length = math.hypot(x - lx, y - ly)
        self._last = point
        if length == 0.0:
            return
        travelled = 0.0
        while self._to_next <= length - travelled:
            travelled += self._to_next
            t = travelled / length
            p = lp + (pressure - lp) * t
            self._to_next = self._step(p)
            dab = self._dab(lx + (x - lx) * t, ly + (y - ly) * t, p)
            if dab is not None:
                yield dab
        self._to_next -= length - travelled


def stroke_dabs(params: StrokeParams) -> list[Dab]:
    """Every dab of the stroke, in order (what `StrokeEngine` lays; for tests and tools)."""
    stabiliser, placer = Stabiliser(params.smoothing), DabPlacer(params)
    dabs = [dab for point in params.points for dab in placer.add(stabiliser.add(point))]
    last = stabiliser.finish()
    if last is not None:
        dabs.extend(placer.add(last))
    return dabs
