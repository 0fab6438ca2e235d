"""A layer mask: a non-destructive 8-bit mask over a layer (255 shows, 0 hides), as Krita's transparency mask and
Photoshop's layer mask (docs/masks.md).

Stored as a tiled plane (core/tiles.py: uint8, one channel) in canvas coordinates; its `fill` is what the mask
holds outside its box (PSD's "default colour"): 255 for a mask that was added white (everything shows until
painted), 0 for one made from a selection (only the selected part shows). `enabled` off shows the layer as if it
had no mask (Krita's "disable", PSD's "mask disabled" flag). The pixels themselves never change: what is drawn is
`layer.shown_rgba`, the pixels with their alpha multiplied by the mask.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from seethrough.core.tiles import TiledPlane

Box = tuple[int, int, int, int]
SHOW = 255
HIDE = 0


@dataclass(frozen=True, eq=False)
class LayerMask:
    """The mask `plane` (uint8, canvas coordinates, fill 0 or 255) and whether it is in force."""

    plane: TiledPlane
    enabled: bool = True

    def __post_init__(self) -> None:
        plane = self.plane
        if plane.dtype != np.uint8 or plane.channels is not None or plane.fill not in (HIDE, SHOW):
            raise ValueError(f"a layer mask is a one-channel uint8 plane of fill 0 or 255, got {plane!r}")
        object.__setattr__(self, "enabled", bool(self.enabled))

    @classmethod
    def white(cls, box: Box) -> LayerMask:
        """Shows everything (a new mask without a selection): no tiles are stored."""
        return cls(TiledPlane.constant(box, SHOW, np.uint8))

    @classmethod
    def from_array(
        cls, values: np.ndarray, offset: tuple[int, int], fill: int = HIDE, enabled: bool = True
    ) -> LayerMask:
        """The mask `values` ((h, w) uint8) with its top-left pixel at canvas `offset`, `fill` elsewhere."""
        return cls(TiledPlane.from_dense(np.asarray(values, np.uint8), offset, fill=fill), enabled)

    @property
    def box(self) -> Box:
        """The stored box on the canvas (the mask is `fill` outside it)."""
        return self.plane.box

    @property
    def fill(self) -> int:
        return int(self.plane.fill)

    def over(self, box: Box) -> np.ndarray:
        """The mask over the canvas region `box` (a new uint8 array)."""
        return self.plane.region(box)

    def moved(self, dx: int, dy: int) -> LayerMask:
        return replace(self, plane=self.plane.moved(dx, dy))

    def with_enabled(self, enabled: bool) -> LayerMask:
        return replace(self, enabled=enabled)


def masked(rgba: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`rgba` with its alpha multiplied by `mask` (both over the same box): round(a · m / 255)."""
    out = np.array(rgba)
    out[..., 3] = (rgba[..., 3].astype(np.uint32) * mask + 127) // 255
    return out
