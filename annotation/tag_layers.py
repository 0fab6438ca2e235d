"""One pose of a labelled Live2D model rendered per tag: the paper's ground truth (section 3, Figure 10).

For every tag: the full RGBA layer (all fragments of that tag composited in drawing order, hidden parts included,
clipping honoured), where the tag is visible in the composite, and its pseudo-depth map.

Pseudo-depth, precisely: z is a fragment's render order (Cubism's drawing sequence: the draw order, ties broken by
the Core, a permutation 0..n−1 over all the model's ArtMeshes); d = (z_max − z) / (z_max − z_min + 1) ∈ [0, 1),
so 0 is the front-most fragment of the model and (n−1)/n the back-most: the +1 keeps d = 1 (65535 in the files)
for "no fragment of this tag here" only, so even the back-most fragment's pixels stay distinguishable.
A tag's depth map holds, per pixel, d of the nearest (smallest d) fragment of that tag covering the pixel with
alpha > `ALPHA_VISIBLE` (where only fainter fragments cover it: the nearest of those), and 1 outside the layer.
Ignoring faint fringes of near fragments keeps a pixel's depth that of the fragment that gives it its colour.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from seethrough.annotation.model import Live2DModel
from seethrough.annotation.render import ALPHA_VISIBLE, Frame, ModelRaster, model_raster
from seethrough.core.taxonomy import taxonomy


@dataclass
class TagLayers:
    """One pose rendered per tag (float images on the frame)."""

    composite: np.ndarray  # (H, W, 4) float straight alpha: the labelled fragments together
    layers: dict[str, np.ndarray]  # tag → (H, W, 4) float straight alpha
    visible: dict[str, np.ndarray]  # tag → (H, W) bool, pairwise disjoint
    depth: dict[str, np.ndarray]  # tag → (H, W) float32, 1 outside the tag
    frame: Frame

    def bbox(self, tag: str) -> tuple[int, int, int, int] | None:
        """Exclusive-end (x0, y0, x1, y1) of the tag layer's alpha > 0, or None when empty."""
        ys, xs = np.nonzero(self.layers[tag][..., 3] > 0.5 / 255.0)
        if len(xs) == 0:
            return None
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def ordered_tags(tags: set[str]) -> list[str]:
    """Tags in the taxonomy's order (unknown tags last, alphabetically)."""
    known = list(taxonomy().all_tags)
    return sorted(tags, key=lambda t: (known.index(t) if t in known else len(known), t))


def pseudo_depths(model: Live2DModel) -> dict[str, float]:
    """d per ArtMesh id (module docstring): 0 = front-most, < 1 for every fragment."""
    z = {m.id: m.render_order for m in model.artmeshes}
    z_min, z_max = min(z.values()), max(z.values())
    span = z_max - z_min + 1
    return {mid: (z_max - order) / span for mid, order in z.items()}


def render_tags(model: Live2DModel, labels: Mapping[str, str], frame: Frame | int) -> TagLayers:
    """Render the model at its current pose per tag (`labels`: ArtMesh id → tag; unlabelled meshes are left out of
    the layers and the composite but still hide what lies under them in the visibility masks)."""
    raster: ModelRaster = model_raster(model, frame)
    order = raster.order
    top = raster.top_mesh(ALPHA_VISIBLE)
    rank_tag = np.array([labels.get(m.id) or "" for m in order] + [""], dtype=object)
    visible_tag = rank_tag[top]  # top == -1 picks the trailing ""
    layers, visible, depth = {}, {}, {}
    for tag, layer, dmap in iter_tag_layers(raster, labels):
        layers[tag], visible[tag], depth[tag] = layer, visible_tag == tag, dmap
    labelled = {m for m, t in labels.items() if t}
    return TagLayers(raster.composite(labelled), layers, visible, depth, raster.frame)


def iter_tag_layers(raster: ModelRaster, labels: Mapping[str, str]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(tag, full-frame float RGBA layer, depth map) for each non-empty tag in the taxonomy's order, one at a time,
    so a caller that keeps only a cropped copy of each holds one full-frame layer at a time (`live2d psd --size
    8192` has ~20 tags of 1 GB each)."""
    d = pseudo_depths(raster.model)
    h, w = raster.frame.height, raster.frame.width
    for tag in ordered_tags({t for t in labels.values() if t}):
        ids = {m for m, t in labels.items() if t == tag}
        layer = raster.composite(ids)
        if float(layer[..., 3].max()) <= 0.5 / 255.0:
            continue
        strong = np.full((h, w), np.inf, np.float32)  # nearest fragment with alpha > ALPHA_VISIBLE
        weak = np.full((h, w), np.inf, np.float32)  # nearest fragment with any alpha (edges, faint strokes)
        for mesh in raster.order:
            if mesh.id not in ids:
                continue
            pixels, (x0, y0, x1, y1) = raster.crops[mesh.id]
            if not pixels.size:
                continue
            for target, covered in ((strong, pixels[..., 3] > ALPHA_VISIBLE), (weak, pixels[..., 3] > 0.0)):
                region = target[y0:y1, x0:x1]
                region[covered] = np.minimum(region[covered], d[mesh.id])
        dmap = np.where(np.isfinite(strong), strong, np.where(np.isfinite(weak), weak, 1.0)).astype(np.float32)
        del strong, weak
        dmap[layer[..., 3] < 0.5 / 255.0] = 1.0  # outside the layer as saved (alpha rounds to 0): "no depth"
        yield tag, layer, dmap
