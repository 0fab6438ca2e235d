"""What a quality check reports: a `Finding` (where, which layers, how bad, which fixes apply) and the thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: the checks, in the order they run
CHECKS = ("empty", "sliver", "hole", "outside", "reconstruction", "order", "lr-split", "exposed-cut")

#: fix ids and what they do (the first fix of a finding is the recommended one)
FIXES = {
    "delete": "delete the layer",
    "hide": "hide the layer",
    "merge": "merge the layer into the neighbouring layer it touches most",
    "fill": "give the uncovered pixels, with the input's colours, to the neighbouring layer",
    "clip": "clip the layer to the input's silhouette",
    "reorder": "move the layer so that the stack order agrees with the rule or the depth",
    "split-depth": "split the layer into depth strata and put the near stratum in front",
    "resplit": "merge the two sides and split again along the character's axis",
    "unsplit": "merge the two sides back into one layer",
    "inpaint-below": "extend the layer below under the cut, inpainted",
    "redecompose": "run the layer model again on this region",
}


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds, relative to the canvas where that makes them independent of resolution."""

    min_area_fraction: float = 0.00005  # a layer smaller than this share of the canvas is a sliver
    min_area_px: int = 24
    min_thickness_px: float = 2.0  # thickest point of the layer (2 × the largest distance to its edge)
    hole_min_px: int = 16
    source_opaque: int = 128  # input alpha counted as "the character is here"
    covered: int = 10  # composite alpha counted as "a layer covers this"
    silhouette_margin_px: int = 2
    error_threshold: float = 40.0  # mean abs difference (0..255) of a blurred region that does not reconstruct
    error_min_fraction: float = 0.0005
    order_min_overlap_px: int = 24
    depth_margin: float = 0.02
    depth_majority: float = 0.6
    lr_max_ratio: float = 4.0
    motion_fraction: float = 0.01  # how far (share of the longer side) a layer may move in the preview


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # "info", "warning" or "error"
    message: str
    layers: tuple[str, ...] = ()  # uids, the layer the finding is about first
    box: tuple[int, int, int, int] | None = None  # (x0, y0, x1, y1) on the canvas, exclusive
    fixes: tuple[str, ...] = ()
    region: np.ndarray | None = field(default=None, compare=False, repr=False)  # bool mask of `box`'s size
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    def canvas_region(self, size: tuple[int, int]) -> np.ndarray:
        """The finding's pixels as a canvas-sized bool mask (its whole box when it has no finer region)."""
        width, height = size
        out = np.zeros((height, width), bool)
        if self.box is None:
            return out
        x0, y0, x1, y1 = self.box
        out[y0:y1, x0:x1] = True if self.region is None else self.region
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "layers": list(self.layers),
            "box": None if self.box is None else list(self.box),
            "fixes": list(self.fixes),
            **({"data": self.data} if self.data else {}),
        }


def box_of(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return (int(xs.min()) + offset[0], int(ys.min()) + offset[1], int(xs.max()) + 1 + offset[0],
            int(ys.max()) + 1 + offset[1])
