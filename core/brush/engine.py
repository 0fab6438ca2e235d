"""A stroke in progress: dabs accumulate into a tiled coverage mask on the canvas grid.

Each dab multiplies the transmittance of the pixels it covers by (1 − its alpha); the stroke's coverage is
1 − transmittance, so overlapping dabs build up towards 1 and never past it, and the order of the dabs does not
matter. The stroke's `opacity` caps what the whole stroke adds (Krita's "wash" mode): what is applied to a layer
is coverage × opacity (core/brush/apply.py). The GUI feeds points as they arrive (`add`) and repaints the rectangle
each call returns; the replay of an operation log feeds the same points through the same code (`run`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from seethrough.core.brush.dabs import Dab, DabPlacer, Stabiliser, dab_window
from seethrough.core.brush.params import Point, StrokeParams
from seethrough.core.tiles import TILE, Rect, TileKey, intersect_rects, tile_keys, tile_rect, union_rects


class StrokeMask:
    """The coverage of a stroke on the canvas, in 64×64 float32 tiles aligned to the canvas origin."""

    def __init__(self, canvas: tuple[int, int]) -> None:
        self.canvas: Rect = (0, 0, int(canvas[0]), int(canvas[1]))
        self._transmittance: dict[TileKey, np.ndarray] = {}
        self.bbox: Rect = (0, 0, 0, 0)

    @property
    def keys(self) -> frozenset[TileKey]:
        """The canvas tiles some dab reached."""
        return frozenset(self._transmittance)

    def add(self, x0: int, y0: int, alpha: np.ndarray) -> Rect | None:
        """Lay `alpha` with its top-left pixel at (x0, y0) (clipped to the canvas); returns the rectangle changed."""
        h, w = alpha.shape
        rect = intersect_rects((x0, y0, x0 + w, y0 + h), self.canvas)
        if rect is None:
            return None
        for key in tile_keys(rect):
            tx0, ty0, tx1, ty1 = tile_rect(key)
            px0, py0, px1, py1 = intersect_rects(rect, (tx0, ty0, tx1, ty1))  # type: ignore[misc]
            tile = self._transmittance.get(key)
            if tile is None:
                tile = self._transmittance[key] = np.ones((TILE, TILE), np.float32)
            tile[py0 - ty0 : py1 - ty0, px0 - tx0 : px1 - tx0] *= 1.0 - alpha[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0]
        self.bbox = union_rects(self.bbox, rect)
        return rect

    def coverage(self, rect: Rect) -> np.ndarray:
        """The stroke's coverage (0–1, float32) on a canvas rectangle; 0 where no dab reached."""
        x0, y0, x1, y1 = rect
        out = np.zeros((max(0, y1 - y0), max(0, x1 - x0)), np.float32)
        inner = intersect_rects(rect, self.bbox)
        if inner is None:
            return out
        for key in tile_keys(inner):
            tile = self._transmittance.get(key)
            if tile is None:
                continue
            tx0, ty0, tx1, ty1 = tile_rect(key)
            px0, py0, px1, py1 = intersect_rects(inner, (tx0, ty0, tx1, ty1))  # type: ignore[misc]
            np.subtract(1.0, tile[py0 - ty0 : py1 - ty0, px0 - tx0 : px1 - tx0],
                        out=out[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0])
        return out


class StrokeEngine:
    """Lays a stroke's dabs as its points arrive; `run(params, canvas)` lays every point of `params`.

    Only the brush settings of `params` are read (its points are not): the GUI makes one on the press, feeds
    `add` on every move, calls `finish` on the release and commits with
    `stroke_command(doc, replace(params, points=tuple(engine.points)), engine)`.
    """

    def __init__(self, params: StrokeParams, canvas: tuple[int, int]) -> None:
        self.params = params
        self.mask = StrokeMask(canvas)
        self.dabs: list[Dab] = []
        self.points: list[Point] = []  # the raw points fed so far: `replace(params, points=tuple(engine.points))`
        self._stabiliser = Stabiliser(params.smoothing)
        self._placer = DabPlacer(params)
        self.finished = False

    @classmethod
    def run(cls, params: StrokeParams, canvas: tuple[int, int]) -> StrokeEngine:
        engine = cls(params, canvas)
        for x, y, pressure in params.points:
            engine.add(x, y, pressure)
        engine.finish()
        return engine

    def add(self, x: float, y: float, pressure: float = 1.0) -> Rect | None:
        """Feed the next point; returns the canvas rectangle the new dabs changed (None: nothing yet)."""
        if self.finished:
            raise RuntimeError("the stroke is finished")
        point = (float(x), float(y), float(pressure))
        self.points.append(point)
        return self._lay(self._placer.add(self._stabiliser.add(point)))

    def finish(self) -> Rect | None:
        """End the stroke (smoothing catches up with the last point); returns the rectangle changed."""
        if self.finished:
            return None
        self.finished = True
        last = self._stabiliser.finish()
        return None if last is None else self._lay(self._placer.add(last))

    def _lay(self, dabs: Iterable[Dab]) -> Rect | None:
        changed: Rect = (0, 0, 0, 0)
        for dab in dabs:
            self.dabs.append(dab)
            x0, y0, alpha = dab_window(dab, self.params.hardness)
            rect = self.mask.add(x0, y0, alpha)
            if rect is not None:
                changed = union_rects(changed, rect)
        return None if changed[2] <= changed[0] else changed
