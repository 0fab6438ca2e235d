"""Depth stratification (paper §4.2.2) and the left/right split of a layer, plus the commands that apply them.

K-Means on one dimension (the pseudo-depth inside the alpha) partitions the depth axis into intervals: every
pixel belongs to the nearest centre, so the boundaries are the midpoints between sorted centres. We therefore
express a K-Means split as `thresholds` (K-1 increasing depths), which the GUI can show on the depth histogram
and let the user drag; `split_by_thresholds` does the actual cut, so a dragged split and a fitted split are the
same operation.

Inpainting rule (ours; the authors' is in docs/authors-pipeline.md §4.4): for every stratum but the nearest,
the hole is the union of the nearer strata's pixels, dilated by a 7×7 ellipse, *intersected with the original
layer's coverage* (alpha > 0) and minus the stratum's own pixels. The hole's colour comes from the inpainter,
its alpha is the original layer's alpha there, and its depth is the median depth of the stratum. So a far
stratum covers exactly the region the whole layer covered where it was hidden, never more: the authors instead
let LaMa draw new shape (alpha from |inpainted − fill|), which can hallucinate but also smear outside the part.
With `inpaint="none"` nothing is filled: the uncovered region of a far stratum stays transparent.

Left/right split: 8-connected components of alpha > 0 (so antialiased fringes stay with their blob). The two
largest components seed the two sides; every smaller component joins the side whose centroid x is closer to its
own (the authors drop them, losing pixels). The side on the image left is the character's right: `<name>-r`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from seethrough.core.commands import ReplaceLayers, require_unlocked
from seethrough.core.document import ALPHA_THRESHOLD, Layer, crop_to_content, new_uid
from seethrough.core.errors import BadInput
from seethrough.core.inpaint import get_inpainter

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.document import DocumentLike

#: pixels used to fit K-Means (all pixels are then assigned by the fitted thresholds)
MAX_FIT_SAMPLES = 20_000
_DILATE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))


def _require_depth(layer: Layer) -> np.ndarray:
    if layer.depth is None:
        raise BadInput(f"layer {layer.name!r} has no per-pixel depth map to stratify")
    if layer.is_empty:
        raise BadInput(f"layer {layer.name!r} is empty")
    return layer.depth


def kmeans_thresholds(layer: Layer, k: int = 2, seed: int = 0) -> list[float]:
    """K-1 increasing depth boundaries between the sorted K-Means centres of the layer's opaque depths.

    Fewer boundaries come back when the layer has fewer than K distinct depth values.
    """
    if k < 1:
        raise BadInput(f"K must be at least 1, got {k}")
    depth = _require_depth(layer)
    values = depth[layer.mask]
    if len(values) > MAX_FIT_SAMPLES:  # fit on a deterministic subsample; every pixel is assigned afterwards
        rng = np.random.default_rng(seed)
        values = values[np.sort(rng.choice(len(values), MAX_FIT_SAMPLES, replace=False))]
    values = values.astype(np.float64)
    k = min(k, len(np.unique(values)))
    if k <= 1:
        return []
    from sklearn.cluster import KMeans  # local: sklearn is slow to import and only needed here
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    # one thread: on ≤ 20k 1-D samples, OpenMP start-up and spinning cost 10× the work on a busy machine
    with threadpool_limits(limits=1):
        model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(values.reshape(-1, 1))
    centres = np.sort(model.cluster_centers_.ravel())
    return [float((lo + hi) / 2) for lo, hi in zip(centres[:-1], centres[1:], strict=True)]


def stratum_labels(layer: Layer, thresholds: list[float]) -> np.ndarray:
    """(h, w) int: 0 = nearest stratum … len(thresholds) = farthest; -1 where alpha is 0."""
    depth = _require_depth(layer)
    edges = np.asarray(sorted(float(t) for t in thresholds), np.float32)
    labels = np.searchsorted(edges, depth, side="right").astype(np.int32)
    labels[layer.alpha == 0] = -1
    return labels


def _base_name(layer: Layer) -> str:
    return layer.tag or layer.name


def _sub_layer(layer: Layer, rgba: np.ndarray, depth: np.ndarray, name: str, provenance: str) -> Layer | None:
    """Crop full-box pixels to content as a new layer (fresh uid) with a median representative depth and the
    layer's mask."""
    cropped, cropped_depth, offset = crop_to_content(rgba, depth, layer.offset)
    if cropped.size == 0:
        return None
    assert cropped_depth is not None
    sub = Layer(
        name=name,
        rgba=cropped,
        offset=offset,
        tag=layer.tag,
        depth=cropped_depth,
        visible=layer.visible,
        opacity=layer.opacity,
        locked=False,
        provenance=provenance,
        uid=new_uid(),
        layer_mask=layer.layer_mask,  # in canvas coordinates: each part keeps the mask's effect
    )
    coverage = sub.mask if sub.mask.any() else sub.alpha > 0
    return replace(sub, depth_value=float(np.median(cropped_depth[coverage])))


def split_by_thresholds(layer: Layer, thresholds: list[float], inpaint: str = "none") -> list[Layer]:
    """Cut the layer at the given depth boundaries → strata nearest first (`<tag>-0`, `<tag>-1`, …).

    Empty strata are left out and the names count only the strata that exist. With `inpaint` other than
    "none", the far strata get their uncovered region filled (module doc).
    """
    depth = _require_depth(layer)
    inpainter = get_inpainter(inpaint)
    labels = stratum_labels(layer, thresholds)
    present = [s for s in range(len(thresholds) + 1) if (labels == s).any()]
    covered = layer.alpha > 0
    base = _base_name(layer)
    strata: list[Layer] = []
    nearer = np.zeros(labels.shape, bool)
    for rank, s in enumerate(present):
        own = labels == s
        rgba = layer.rgba.copy()
        rgba[~own, 3] = 0
        stratum_depth = depth.copy()
        if rank > 0 and inpaint != "none":
            hole = cv2.dilate(nearer.astype(np.uint8), _DILATE).astype(bool) & covered & ~own
            if hole.any():
                rgba = _fill(rgba, own, hole, layer.alpha, inpainter)
                stratum_depth[hole] = np.float32(np.median(depth[own]))
        sub = _sub_layer(layer, rgba, stratum_depth, f"{base}-{rank}", "stratify")
        if sub is not None:
            strata.append(sub)
        nearer |= own
    return strata


def _fill(rgba: np.ndarray, own: np.ndarray, hole: np.ndarray, alpha: np.ndarray, inpainter: object) -> np.ndarray:
    """Inpaint the hole's colour from the stratum's own pixels; alpha there = the original alpha.

    The inpainter must never see the black under transparent pixels: first every pixel that is not the
    stratum's own gets the colour of its nearest own pixels (padded-Gaussian filling), then the hole is inpainted
    over that, so its colour can only come from the stratum itself.
    """
    from seethrough.core.colour_padding import pad_transparent_colours

    own_only = rgba.copy()
    own_only[..., 3] = np.where(own, 255, 0).astype(np.uint8)
    base = (pad_transparent_colours(own_only) * 255.0 + 0.5).astype(np.uint8)
    filled = inpainter(np.ascontiguousarray(base), hole)  # type: ignore[operator]
    out = rgba.copy()
    out[hole, :3] = filled[hole]
    out[hole, 3] = alpha[hole]
    return out


def kmeans_strata(
    layer: Layer, k: int = 2, seed: int = 0, thresholds: list[float] | None = None, inpaint: str = "none"
) -> list[Layer]:
    """K-Means split of a layer on its pseudo-depth (paper §4.2.2) → strata, nearest first.

    Given `thresholds` (e.g. dragged in the GUI), K-Means is skipped and those boundaries are used.
    """
    if thresholds is None:
        thresholds = kmeans_thresholds(layer, k, seed)
    return split_by_thresholds(layer, thresholds, inpaint=inpaint)


def lr_split(layer: Layer) -> list[Layer]:
    """Split a layer into its character-right (image left, `<name>-r`) and left (`<name>-l`) parts.

    Returns `[layer]` unchanged when it has a single connected component. Order: [`-r`, `-l`].
    """
    if layer.is_empty:
        raise BadInput(f"layer {layer.name!r} is empty")
    covered = (layer.alpha > 0).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(covered, connectivity=8)
    if count <= 2:  # background + one component
        return [layer]
    areas = stats[1:, cv2.CC_STAT_AREA]
    by_area = np.argsort(-areas, kind="stable") + 1
    seeds = by_area[:2]
    seed_x = centroids[seeds, 0]
    side = np.zeros(count, np.int32)  # side index per component: 0 = seed with smaller x, 1 = other
    right_seed = int(np.argmin(seed_x))  # image left = character's right
    for comp in range(1, count):
        nearest = int(np.argmin(np.abs(seed_x - centroids[comp, 0])))
        side[comp] = 0 if nearest == right_seed else 1
    side_map = side[labels]
    depth = layer.depth_or_constant()
    parts = []
    for index, suffix in ((0, "r"), (1, "l")):
        rgba = layer.rgba.copy()
        rgba[(side_map != index) | (labels == 0), 3] = 0
        sub = _sub_layer(layer, rgba, depth, f"{layer.name}-{suffix}", "lrsplit")
        if sub is not None:
            if layer.depth is None:
                sub = replace(sub, depth=None, depth_value=layer.depth_value)
            parts.append(sub)
    return parts


def _far_to_near(layers: list[Layer]) -> list[Layer]:
    return sorted(layers, key=lambda layer: -layer.depth_value)


def stratify_command(
    doc: DocumentLike,
    uid: str,
    k: int = 2,
    inpaint: str = "opencv",
    thresholds: list[float] | None = None,
    seed: int = 0,
) -> Command:
    """Replace the layer by its depth strata, in its place, far (bottom) → near (top)."""
    layer = doc.layer(uid)
    require_unlocked(layer, "stratify it")
    strata = kmeans_strata(layer, k=k, seed=seed, thresholds=thresholds, inpaint=inpaint)
    return ReplaceLayers([uid], list(reversed(strata)), text=f"Stratify {layer.name} (K={k})")


def lr_split_command(doc: DocumentLike, uid: str) -> Command:
    """Replace the layer by its right/left parts, in its place, far (bottom) → near (top)."""
    layer = doc.layer(uid)
    require_unlocked(layer, "split it")
    parts = lr_split(layer)
    if len(parts) == 1:
        raise BadInput(f"layer {layer.name!r} has a single connected part: nothing to split left/right")
    return ReplaceLayers([uid], _far_to_near(parts), text=f"Split {layer.name} left/right")


def two_largest_components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]] | None:
    """The authors' pick of the two parts of a left/right pair (`official-see-through.md` §4.3): the 8-connected
    components of `mask`, sorted by area with the largest entry (the background, as a rule) skipped.
    Returns (labels, stats, component ids by decreasing area) or None when there are fewer than two components."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8) * 255, connectivity=8)
    if len(stats) <= 2:
        return None
    order = [int(i) for i in np.argsort(stats[:, cv2.CC_STAT_AREA])[::-1][1:]]
    return labels, stats, order


def left_then_right(stats: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """Of two components, the one whose box centre is further left on the image first (the character's right)."""
    centre = stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] / 2
    return (b, a) if centre[b] < centre[a] else (a, b)


def component_box(stats: np.ndarray, index: int) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in stats[index, :4])
    return (x, y, x + w, y + h)


def lr_split_pair(
    rgba: np.ndarray, depth: np.ndarray | None
) -> list[tuple[str, np.ndarray, np.ndarray | None, tuple[int, int]]] | None:
    """The authors' left/right split of a cropped part, for decomposition (the Stratify workspace keeps `lr_split`):
    components of alpha > 10; the two largest become `-r` (box centre further left) and `-l`, each cut to its own
    box with its alpha kept only on the component dilated by a 3×3 ellipse (depth 1 elsewhere); smaller components
    are dropped. Returns [(suffix, rgba, depth, (x, y) offset in the part)] or None when there is nothing to split."""
    found = two_largest_components(rgba[..., 3] > ALPHA_THRESHOLD)
    if found is None:
        return None
    labels, stats, order = found
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3), (1, 1))
    out = []
    for suffix, index in zip(("r", "l"), left_then_right(stats, order[0], order[1])):
        x0, y0, x1, y1 = component_box(stats, index)
        keep = cv2.dilate((labels[y0:y1, x0:x1] == index).astype(np.uint8), kernel)
        part = rgba[y0:y1, x0:x1].copy()
        part[..., 3] *= keep
        part_depth = None if depth is None else 1 - (1 - depth[y0:y1, x0:x1]) * keep
        out.append((suffix, part, part_depth, (x0, y0)))
    return out
