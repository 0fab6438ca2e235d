"""The detectors. Each takes the document (or a snapshot: anything with `size`, `layers`, `source`) and yields
`Finding`s; `run_checks` runs them all. Pure numpy/OpenCV, no Qt; safe to run on a worker thread on a snapshot."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import cv2
import numpy as np

from seethrough.core.compositing import composite
from seethrough.core.document import ALPHA_THRESHOLD, DocumentLike, Layer
from seethrough.core.metrics import comparable_rgb
from seethrough.core.quality.findings import Finding, QualitySettings, box_of

#: (upper, lower): where both are present and overlap, `upper` must be drawn above `lower`
TAG_ORDER_RULES: tuple[tuple[str, str], ...] = (
    ("front hair", "face"),
    ("face", "back hair"),
    ("irides", "eyewhite"),
    ("eyelash", "irides"),
    ("eyelash", "eyewhite"),
    ("mouth", "face"),
    ("nose", "face"),
    ("eyebrow", "face"),
)


#: (detector, what it checks, its share of the work: the order checks dominate on many layers, the pixel-wise ones
#: on big canvases)
_DETECTORS = (("empty and sliver layers", 1), ("holes", 1), ("outside the silhouette", 1), ("reconstruction", 2),
              ("layer order", 3), ("left/right splits", 1), ("exposed cuts", 3))


def run_checks(doc: DocumentLike, settings: QualitySettings | None = None,
               progress: Callable[[float, str], None] | None = None) -> list[Finding]:
    """Every check on the visible layers; findings ordered by check, then severity, then area. `progress(fraction,
    what)` is told before each check (an 8000² document takes a minute or more)."""
    s = settings or QualitySettings()
    ctx = _Context(doc, s)
    findings: list[Finding] = []
    detectors = (_empty_and_slivers, _holes, _outside, _reconstruction, _order, _lr_splits, _exposed_cuts)
    total = sum(weight for _, weight in _DETECTORS)
    done = 0
    for detector, (what, weight) in zip(detectors, _DETECTORS):
        if progress is not None:
            progress(done / total, what)
        findings.extend(detector(ctx))
        done += weight
    if progress is not None:
        progress(1.0, "done")
    return findings


class _Context:
    """What several checks need, computed once: canvas alphas of the visible layers and the input's silhouette."""

    def __init__(self, doc: DocumentLike, settings: QualitySettings) -> None:
        self.doc = doc
        self.s = settings
        self.width, self.height = doc.size
        self.layers = [layer for layer in doc.layers if layer.visible and layer.opacity > 0]
        self._alpha: dict[str, np.ndarray] = {}
        source = None if doc.source is None else np.asarray(doc.source)
        if source is not None and source.shape[:2] != (self.height, self.width):
            source = None
        if source is not None and source.shape[2] == 3:
            source = np.dstack([source, np.full(source.shape[:2], 255, np.uint8)])
        self.source = source
        self.silhouette = None if source is None else source[..., 3] >= settings.source_opaque

    def alpha(self, layer: Layer) -> np.ndarray:
        """The layer's alpha on the canvas as drawn (uint8, the layer mask applied), cached per uid."""
        if layer.uid not in self._alpha:
            self._alpha[layer.uid] = layer.shown_on_canvas((self.width, self.height))[..., 3]
        return self._alpha[layer.uid]

    def covered(self, layers: Sequence[Layer]) -> np.ndarray:
        """Where any of `layers` is more than faintly present."""
        out = np.zeros((self.height, self.width), bool)
        for layer in layers:
            out |= self.alpha(layer) > self.s.covered
        return out


def _components(mask: np.ndarray, min_px: int) -> Iterator[tuple[np.ndarray, tuple[int, int, int, int], int]]:
    """Connected parts of `mask` of at least `min_px` pixels: (region in its box, box, area), largest first."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    order = sorted(range(1, count), key=lambda i: -int(stats[i, cv2.CC_STAT_AREA]))
    for i in order:
        area = int(stats[i, cv2.CC_STAT_AREA])
        if area < min_px:
            break
        x, y, w, h = (int(v) for v in stats[i, :4])
        yield labels[y : y + h, x : x + w] == i, (x, y, x + w, y + h), area


# --- empty and sliver layers --------------------------------------------------------------------------------------
def _empty_and_slivers(ctx: _Context) -> Iterator[Finding]:
    min_area = max(ctx.s.min_area_px, int(ctx.s.min_area_fraction * ctx.width * ctx.height))
    for layer in ctx.doc.layers:
        mask = layer.shown_rgba[..., 3] > ALPHA_THRESHOLD
        area = int(mask.sum())
        if area == 0:
            yield Finding("empty", "warning", f"layer {layer.name!r} is empty", (layer.uid,), None,
                          ("delete", "hide"), data={"area": 0})
            continue
        thickness = 2.0 * float(cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3).max())
        if area < min_area or thickness < ctx.s.min_thickness_px:
            why = f"{area} px" if area < min_area else f"at most {thickness:.1f} px thick"
            yield Finding("sliver", "warning", f"layer {layer.name!r} is a sliver ({why})", (layer.uid,),
                          box_of(mask, layer.offset), ("merge", "delete", "hide"), mask[_crop(mask)],
                          {"area": area, "thickness": round(thickness, 2)})


def _crop(mask: np.ndarray) -> tuple[slice, slice]:
    box = box_of(mask)
    assert box is not None
    return slice(box[1], box[3]), slice(box[0], box[2])


# --- holes and content outside the silhouette ----------------------------------------------------------------------
def _holes(ctx: _Context) -> Iterator[Finding]:
    if ctx.silhouette is None:
        return
    hole = ctx.silhouette & ~ctx.covered(ctx.layers)
    for region, box, area in _components(hole, ctx.s.hole_min_px):
        yield Finding("hole", "error", f"{area} px of the input are covered by no layer", (), box, ("fill",),
                      region, {"area": area})


def _outside(ctx: _Context) -> Iterator[Finding]:
    if ctx.silhouette is None:
        return
    margin = ctx.s.silhouette_margin_px
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
    allowed = cv2.dilate((ctx.source[..., 3] > 0).astype(np.uint8), kernel) > 0  # type: ignore[index]
    for layer in ctx.layers:
        stray = (ctx.alpha(layer) > ctx.s.covered) & ~allowed
        area = int(stray.sum())
        if area >= ctx.s.hole_min_px:
            box = box_of(stray)
            assert box is not None
            yield Finding("outside", "warning", f"layer {layer.name!r} has {area} px outside the input's silhouette",
                          (layer.uid,), box, ("clip",), stray[box[1] : box[3], box[0] : box[2]], {"area": area})


# --- regions that do not reconstruct the input -----------------------------------------------------------------------
def _reconstruction(ctx: _Context) -> Iterator[Finding]:
    if ctx.source is None or not ctx.layers:
        return
    recon = composite(ctx.layers, (ctx.width, ctx.height))
    a = comparable_rgb(recon).astype(np.float32)
    b = comparable_rgb(ctx.source).astype(np.float32)
    diff = np.abs(a - b).max(axis=2)
    err = np.maximum(diff[:, : ctx.width], diff[:, ctx.width :])
    err = cv2.blur(err, (9, 9))
    bad = err > ctx.s.error_threshold
    if ctx.silhouette is not None:
        bad &= ctx.covered(ctx.layers) | ~ctx.silhouette  # holes are reported by their own check
    min_px = max(ctx.s.hole_min_px, int(ctx.s.error_min_fraction * ctx.width * ctx.height))
    for region, box, area in _components(bad, min_px):
        x0, y0, x1, y1 = box
        mean = float(err[y0:y1, x0:x1][region].mean())
        yield Finding("reconstruction", "warning", f"a region of {area} px differs from the input "
                      f"(mean difference {mean:.0f}/255)", _layers_in(ctx, box), box, ("redecompose",), region,
                      {"area": area, "mean_error": round(mean, 1)})


def _layers_in(ctx: _Context, box: tuple[int, int, int, int]) -> tuple[str, ...]:
    x0, y0, x1, y1 = box
    return tuple(layer.uid for layer in ctx.layers if (ctx.alpha(layer)[y0:y1, x0:x1] > ctx.s.covered).any())


# --- order conflicts ----------------------------------------------------------------------------------------------
def _order(ctx: _Context) -> Iterator[Finding]:
    index = {layer.uid: i for i, layer in enumerate(ctx.doc.layers)}
    flagged: set[frozenset[str]] = set()
    by_tag: dict[str, list[Layer]] = {}
    for layer in ctx.layers:
        tag = layer.tag
        if tag:
            by_tag.setdefault(tag, []).append(layer)
    for upper_tag, lower_tag in TAG_ORDER_RULES:
        for up in by_tag.get(upper_tag, []):
            for low in by_tag.get(lower_tag, []):
                if index[up.uid] > index[low.uid]:
                    continue
                overlap = (ctx.alpha(up) > ctx.s.covered) & (ctx.alpha(low) > ctx.s.covered)
                area = int(overlap.sum())
                if area >= ctx.s.order_min_overlap_px and not _depth_says_behind(ctx, up, low, overlap):
                    flagged.add(frozenset((up.uid, low.uid)))
                    yield Finding("order", "error", f"{up.name!r} is drawn below {low.name!r}, but {upper_tag} "
                                  f"goes in front of {lower_tag}", (up.uid, low.uid), box_of(overlap), ("reorder",),
                                  _region(overlap), {"rule": [upper_tag, lower_tag], "overlap": area})
    yield from _depth_order(ctx, index, flagged)


def _depth_says_behind(ctx: _Context, up: Layer, low: Layer, overlap: np.ndarray) -> bool:
    """Pseudo-depth overrides a tag rule: a front-hair stratum that lies behind the face is right where it is."""
    if up.depth is None or low.depth is None:
        return False
    size = (ctx.width, ctx.height)
    d_up, d_low = up.depth_on_canvas(size)[overlap], low.depth_on_canvas(size)[overlap]
    return float(np.mean(d_up > d_low + ctx.s.depth_margin)) >= ctx.s.depth_majority


def _region(mask: np.ndarray) -> np.ndarray | None:
    box = box_of(mask)
    return None if box is None else mask[box[1] : box[3], box[0] : box[2]]


def _depth_order(ctx: _Context, index: dict[str, int], flagged: set[frozenset[str]]) -> Iterator[Finding]:
    """A layer drawn below another but nearer (by pseudo-depth) over most of where they overlap."""
    with_depth = [layer for layer in ctx.layers if layer.depth is not None]
    bimodal: dict[str, bool] = {}
    for i, low in enumerate(with_depth):
        for up in with_depth[i + 1 :]:  # stack order: `low` is drawn below `up`
            box = _intersection(low.bbox, up.bbox)
            if frozenset((low.uid, up.uid)) in flagged or box is None:
                continue
            a_low, d_low = _window(low, box)
            a_up, d_up = _window(up, box)
            overlap = (a_low > ctx.s.covered) & (a_up > ctx.s.covered)
            area = int(overlap.sum())
            if area < ctx.s.order_min_overlap_px:
                continue
            nearer = float(np.mean(d_low[overlap] < d_up[overlap] - ctx.s.depth_margin))
            if nearer < ctx.s.depth_majority:
                continue
            for layer in (low, up):
                if layer.uid not in bimodal:
                    bimodal[layer.uid] = _bimodal(layer)
            split = low if bimodal[low.uid] else up if bimodal[up.uid] else None
            fixes = ("split-depth", "reorder") if split is not None else ("reorder",)
            local = box_of(overlap)
            assert local is not None
            yield Finding("order", "warning", f"{low.name!r} is drawn below {up.name!r} but is nearer where they "
                          f"overlap ({nearer:.0%} of {area} px)", (low.uid, up.uid),
                          (box[0] + local[0], box[1] + local[1], box[0] + local[2], box[1] + local[3]), fixes,
                          overlap[local[1] : local[3], local[0] : local[2]],
                          {"nearer_fraction": round(nearer, 3), "overlap": area,
                           **({"split": split.uid} if split is not None else {})})


def _intersection(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[2] > box[0] and box[3] > box[1] else None


def _window(layer: Layer, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The layer's alpha and depth inside a canvas box that lies within its own box."""
    x0, y0, x1, y1 = box
    ox, oy = layer.offset
    rows, cols = slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox)
    return layer.shown_rgba[rows, cols, 3], layer.depth_or_constant()[rows, cols]


def _bimodal(layer: Layer) -> bool:
    """Whether the layer's depth has two clearly separated clusters (then a depth split beats a reorder)."""
    from seethrough.core.stratify import kmeans_thresholds

    mask = layer.mask
    if layer.depth is None or int(mask.sum()) < 32:
        return False
    values = layer.depth[mask]
    try:
        (threshold,) = kmeans_thresholds(layer, 2)
    except Exception:  # a degenerate layer is simply not bimodal
        return False
    near, far = values[values <= threshold], values[values > threshold]
    if len(near) < 0.1 * len(values) or len(far) < 0.1 * len(values):
        return False
    spread = float(np.std(near) + np.std(far)) + 1e-6
    return float(np.median(far) - np.median(near)) > 2.0 * spread


# --- left/right splits --------------------------------------------------------------------------------------------
def split_pairs(layers: Sequence[Layer]) -> dict[str, dict[str, Layer]]:
    """Layers named `<base>-r` / `<base>-l` grouped by base (a side may be missing)."""
    pairs: dict[str, dict[str, Layer]] = {}
    for layer in layers:
        if len(layer.name) > 2 and layer.name[-2:] in ("-r", "-l"):
            pairs.setdefault(layer.name[:-2], {})[layer.name[-1]] = layer
    return pairs


def _lr_splits(ctx: _Context) -> Iterator[Finding]:
    for base, sides in split_pairs(ctx.doc.layers).items():
        areas = {side: int(layer.mask.sum()) for side, layer in sides.items()}
        uids = tuple(layer.uid for layer in sides.values())
        missing = [side for side in "rl" if areas.get(side, 0) == 0]
        box = _union_box([layer.bbox for layer in sides.values() if not layer.is_empty])
        if missing:
            which = "right" if missing == ["r"] else "left" if missing == ["l"] else "both"
            yield Finding("lr-split", "error", f"the left/right split of {base!r} left the {which} side empty",
                          uids, box, ("resplit", "unsplit"), data={"areas": areas})
            continue
        ratio = max(areas.values()) / max(min(areas.values()), 1)
        if ratio > ctx.s.lr_max_ratio:
            yield Finding("lr-split", "warning", f"the two sides of {base!r} differ {ratio:.1f}× in area",
                          uids, box, ("resplit", "unsplit"), data={"areas": areas, "ratio": round(ratio, 2)})


def _union_box(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


# --- hard cuts that motion will expose ---------------------------------------------------------------------------
def motion_px(size: tuple[int, int], settings: QualitySettings) -> int:
    return max(2, round(settings.motion_fraction * max(size)))


def _exposed_cuts(ctx: _Context) -> Iterator[Finding]:
    """Where a layer's edge lies inside the character with nothing drawn under it: moving the layer in the preview
    opens a hole there."""
    if ctx.silhouette is None:
        return
    shift = motion_px((ctx.width, ctx.height), ctx.s)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shift + 1, 2 * shift + 1))
    interior = cv2.erode(ctx.silhouette.astype(np.uint8), kernel) > 0
    masks = [ctx.alpha(layer) > ctx.s.covered for layer in ctx.layers]
    above = [np.zeros((ctx.height, ctx.width), bool) for _ in masks]
    for i in range(len(masks) - 2, -1, -1):
        above[i] = above[i + 1] | masks[i + 1]
    below = np.zeros((ctx.height, ctx.width), bool)
    for layer, mine, covered_above in zip(ctx.layers, masks, above):
        band = mine & ~(cv2.erode(mine.astype(np.uint8), kernel) > 0)
        exposed = band & interior & ~below & ~covered_above
        for region, box, area in _components(exposed, max(ctx.s.hole_min_px, shift * 4)):
            yield Finding("exposed-cut", "info", f"moving {layer.name!r} by {shift} px uncovers {area} px with "
                          "nothing under them", (layer.uid,), box, ("inpaint-below",), region,
                          {"area": area, "shift": shift})
        below |= mine

