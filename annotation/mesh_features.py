"""What the geometry rules and the `layout` seed provider know of each ArtMesh in one rendered pose.

Measured from a `ModelRaster` (the CPU rasteriser's cropped fragments): the fragment's own shape (box, centroid,
area: the whole drawing, hidden parts included), where it is the visible top-most fragment (visible area), its mean
colour (alpha-weighted, CIE Lab so colour distances mean something), and its place in the drawing sequence. The
character's extent is the union of the visible regions of the meshes that are not excluded (a background part or
an underdrawing is not the character).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from seethrough.annotation.render import ALPHA_VISIBLE, ModelRaster

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class MeshFeatures:
    id: str
    order: int  # render order (0 = drawn first)
    box: Box  # exclusive-end box of the fragment's alpha > ALPHA_VISIBLE (0s when empty)
    centroid: tuple[float, float]  # (x, y) of the fragment's covered pixels
    area: int  # pixels the fragment covers alone
    visible_area: int  # pixels where it is the top-most fragment
    lab: tuple[float, float, float]  # mean colour (L 0..100, a, b), alpha-weighted over covered pixels

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def chroma(self) -> float:
        return float(np.hypot(self.lab[1], self.lab[2]))


def lab_of(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) float RGB in [0, 1] → (N, 3) CIE Lab (L in 0..100)."""
    arr = np.asarray(rgb, np.float32).reshape(-1, 1, 3)
    return cv2.cvtColor(np.clip(arr, 0, 1), cv2.COLOR_RGB2Lab).reshape(-1, 3)


def colour_distance(a: Iterable[float], b: Iterable[float]) -> float:
    """CIE76 ΔE between two Lab colours."""
    return float(np.linalg.norm(np.asarray(tuple(a), np.float64) - np.asarray(tuple(b), np.float64)))


def mesh_features(raster: ModelRaster) -> dict[str, MeshFeatures]:
    """Features of every mesh of a raster (meshes drawing nothing get an empty box and zero areas)."""
    areas = raster.areas()
    return {mesh.id: features_of(mesh.id, rank, *raster.crops[mesh.id], areas[mesh.id][1])
            for rank, mesh in enumerate(raster.order)}


def features_of(mesh_id: str, rank: int, pixels: np.ndarray, box: Box, visible_area: int = 0) -> MeshFeatures:
    """Features of one fragment cropped to `box` (float RGBA straight alpha)."""
    x0, y0 = box[0], box[1]
    covered = pixels[..., 3] > ALPHA_VISIBLE if pixels.size else np.zeros((0, 0), bool)
    ys, xs = np.nonzero(covered)
    if len(xs) == 0:
        return MeshFeatures(mesh_id, rank, (0, 0, 0, 0), (0.0, 0.0), 0, 0, (0.0, 0.0, 0.0))
    a = pixels[ys, xs, 3:4]
    rgb = (pixels[ys, xs, :3] * a).sum(0) / max(float(a.sum()), 1e-6)
    lab = lab_of(rgb[None])[0]
    return MeshFeatures(
        mesh_id, rank, (int(x0 + xs.min()), int(y0 + ys.min()), int(x0 + xs.max()) + 1, int(y0 + ys.max()) + 1),
        (float(x0 + xs.mean()), float(y0 + ys.mean())), int(len(xs)), visible_area,
        (float(lab[0]), float(lab[1]), float(lab[2])),
    )


def revealed_features(model: Any, frame: Any, mesh_ids: Iterable[str]) -> dict[str, MeshFeatures]:
    """Features of meshes hidden at the current pose, drawn as if shown (opacity 1, their own vertices, no clipping
    mask); their visible area is 0. `rank` is the mesh's place in the drawing sequence among all meshes."""
    import dataclasses

    from seethrough.annotation.render import rasterise

    wanted = set(mesh_ids)
    ranks = {m.id: r for r, m in enumerate(sorted(model.artmeshes, key=lambda m: m.render_order))}
    out = {}
    for mesh in model.artmeshes:
        if mesh.id in wanted and not mesh.cut_out:
            pixels, box = rasterise(model, dataclasses.replace(mesh, opacity=1.0, visible_flag=True), frame)
            out[mesh.id] = features_of(mesh.id, ranks[mesh.id], pixels, box)
    return out


def silhouette(raster: ModelRaster, excluded: set[str]) -> np.ndarray:
    """Where a non-excluded mesh is the visible top-most fragment: the character's pixels."""
    top = raster.top_mesh()
    keep = np.array([m.id not in excluded for m in raster.order] + [False])
    return keep[top]
