"""Repairs for quality findings: each builds one undoable `Command` from the document as it is now.

The fixes never change pixels outside what the finding names, never touch a layer the finding is not about (apart
from the one neighbour that receives pixels), and build new `Layer` objects rather than editing existing ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from seethrough.core.commands import Macro, ReorderLayers, ReplaceLayers, SetLayerPixels, SetLayerProperty
from seethrough.core.document import ALPHA_THRESHOLD, Layer, crop_to_content, new_uid, representative_depth
from seethrough.core.errors import BadInput
from seethrough.core.quality.checks import motion_px, split_pairs
from seethrough.core.quality.findings import FIXES, Finding, QualitySettings

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.document import DocumentLike

Box = tuple[int, int, int, int]


def fix_command(doc: DocumentLike, finding: Finding, fix: str | None = None) -> Command:
    """The command that applies `fix` (default: the finding's recommended fix) to `doc`."""
    fix = fix or (finding.fixes[0] if finding.fixes else None)
    if fix is None or fix not in finding.fixes:
        raise BadInput(f"{fix!r} is not a fix for this finding (choose from {', '.join(finding.fixes) or 'none'})")
    if fix == "redecompose":
        raise BadInput("re-decomposing a region needs the layer model: use Re-decompose region (or the CLI's "
                       "`redecompose --box`)")
    build = _BUILDERS[fix]
    command = build(doc, finding)
    command.text = f"Fix: {FIXES[fix]}"
    return command


def _layer(doc: DocumentLike, finding: Finding, i: int = 0) -> Layer:
    try:
        return doc.layer(finding.layers[i])
    except (IndexError, KeyError):
        raise BadInput("the layer this finding is about is gone: run the checks again") from None


def _delete(doc: DocumentLike, finding: Finding) -> Command:
    return ReplaceLayers([_layer(doc, finding).uid], [])


def _hide(doc: DocumentLike, finding: Finding) -> Command:
    return SetLayerProperty(_layer(doc, finding).uid, "visible", False)


def _canvas_box(layer: Layer, box: Box | None) -> Box:
    x0, y0, x1, y1 = layer.bbox
    if box is None:
        return (x0, y0, x1, y1)
    return (min(x0, box[0]), min(y0, box[1]), max(x1, box[2]), max(y1, box[3]))


def _in_box(arr: np.ndarray, offset: tuple[int, int], box: Box, fill: float = 0) -> np.ndarray:
    """`arr` (placed at `offset`) cut out of the canvas region `box`."""
    x0, y0, x1, y1 = box
    out = np.full((y1 - y0, x1 - x0, *arr.shape[2:]), fill, arr.dtype)
    ox, oy = offset[0] - x0, offset[1] - y0
    h, w = arr.shape[:2]
    sx0, sy0, sx1, sy1 = max(ox, 0), max(oy, 0), min(ox + w, x1 - x0), min(oy + h, y1 - y0)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0:sy1, sx0:sx1] = arr[sy0 - oy : sy1 - oy, sx0 - ox : sx1 - ox]
    return out


def _neighbour(doc: DocumentLike, region: np.ndarray, exclude: set[str], candidates: Sequence[Layer] | None = None,
               ring: int = 4) -> Layer | None:
    """The visible layer with the most presence in a ring around `region` (a canvas-sized bool mask)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring + 1, 2 * ring + 1))
    around = (cv2.dilate(region.astype(np.uint8), kernel) > 0) & ~region
    best, best_count = None, 0
    for layer in candidates if candidates is not None else doc.layers:
        if layer.uid in exclude or not layer.visible:
            continue
        count = int((layer.on_canvas(doc.size)[..., 3][around] > ALPHA_THRESHOLD).sum())
        if count > best_count:
            best, best_count = layer, count
    return best


def _pixels_command(layer: Layer, rgba: np.ndarray, depth: np.ndarray | None, box: Box) -> Command:
    cropped, cropped_depth, offset = crop_to_content(rgba, depth, (box[0], box[1]))
    return SetLayerPixels(layer.uid, cropped, offset=offset, depth=cropped_depth, keep_depth=False)


def _merge(doc: DocumentLike, finding: Finding) -> Command:
    from seethrough.core.layer_ops import merged_layer

    sliver = _layer(doc, finding)
    region = sliver.on_canvas(doc.size)[..., 3] > 0
    target = _neighbour(doc, region, {sliver.uid}) or _stack_neighbour(doc, sliver)
    lower, upper = sorted((sliver, target), key=lambda layer: doc.index_of(layer.uid))
    merged = merged_layer(lower, upper)
    merged = replace(merged, name=target.name, tag=target.tag, visible=target.visible)
    return ReplaceLayers([lower.uid, upper.uid], [merged])


def _stack_neighbour(doc: DocumentLike, layer: Layer) -> Layer:
    i = doc.index_of(layer.uid)
    if len(doc.layers) < 2:
        raise BadInput(f"{layer.name!r} is the only layer: nothing to merge it into")
    return doc.layers[i - 1] if i > 0 else doc.layers[i + 1]


def _fill(doc: DocumentLike, finding: Finding) -> Command:
    """Holes: the input shows these pixels, so the neighbour gets exactly the input's colours there."""
    if doc.source is None or finding.box is None:
        raise BadInput("filling a hole needs the input image")
    hole = finding.canvas_region(doc.size)
    target = _neighbour(doc, hole, set())
    source = np.asarray(doc.source)
    if source.shape[2] == 3:
        source = np.dstack([source, np.full(source.shape[:2], 255, np.uint8)])
    if target is None:  # an island: a layer of its own
        x0, y0, x1, y1 = finding.box
        rgba = np.where(hole[y0:y1, x0:x1, None], source[y0:y1, x0:x1], 0).astype(np.uint8)
        layer = Layer(name="filled hole", rgba=rgba, offset=(x0, y0), provenance="quality-fill")
        return ReplaceLayers([], [layer])
    box = _canvas_box(target, finding.box)
    rgba = _in_box(target.rgba, target.offset, box)
    here = _in_box(hole, (0, 0), box, fill=False)
    x0, y0, x1, y1 = box
    rgba[here] = source[y0:y1, x0:x1][here]
    depth = None
    if target.depth is not None:
        depth = _in_box(target.depth, target.offset, box, fill=target.depth_value)
        depth[here] = representative_depth(target)
    return _pixels_command(target, rgba, depth, box)


def _clip(doc: DocumentLike, finding: Finding) -> Command:
    if doc.source is None:
        raise BadInput("clipping to the silhouette needs the input image")
    layer = _layer(doc, finding)
    stray = _in_box(finding.canvas_region(doc.size), (0, 0), layer.bbox, fill=False)
    rgba = layer.rgba.copy()
    rgba[stray, 3] = 0
    return _pixels_command(layer, rgba, None if layer.depth is None else layer.depth.copy(), layer.bbox)


def _reorder(doc: DocumentLike, finding: Finding) -> Command:
    """Put `layers[0]` directly above `layers[1]`."""
    moving, reference = _layer(doc, finding, 0), _layer(doc, finding, 1)
    order = [layer.uid for layer in doc.layers if layer.uid != moving.uid]
    order.insert(order.index(reference.uid) + 1, moving.uid)
    return ReorderLayers(order)


def _split_depth(doc: DocumentLike, finding: Finding) -> Command:
    """`layers[0]` is drawn below `layers[1]` but partly nearer: split whichever of the two has two depth strata.

    Splitting `layers[0]`: its near stratum goes above `layers[1]`. Splitting `layers[1]`: its far stratum goes
    below `layers[0]`. The other stratum keeps the layer's place.
    """
    from seethrough.core.stratify import kmeans_strata

    low, up = _layer(doc, finding, 0), _layer(doc, finding, 1)
    split_uid = finding.data.get("split", low.uid)
    layer = low if split_uid == low.uid else up
    strata = kmeans_strata(layer, k=2, inpaint="opencv")
    if len(strata) < 2:
        return _reorder(doc, finding)
    near, far = strata[0], strata[-1]
    if layer is low:
        return Macro([ReplaceLayers([low.uid], [far]), ReplaceLayers([], [near], index=doc.index_of(up.uid) + 1)])
    return Macro([ReplaceLayers([up.uid], [near]), ReplaceLayers([], [far], index=doc.index_of(low.uid))])


def _pair(doc: DocumentLike, finding: Finding) -> tuple[str, list[Layer]]:
    layers = [_layer(doc, finding, i) for i in range(len(finding.layers))]
    for base, sides in split_pairs(layers).items():
        return base, sorted(sides.values(), key=lambda layer: doc.index_of(layer.uid))
    raise BadInput("this finding names no left/right pair")


def _unsplit(doc: DocumentLike, finding: Finding) -> Command:
    from seethrough.core.layer_ops import merged_layer

    base, sides = _pair(doc, finding)
    merged = sides[0] if len(sides) == 1 else merged_layer(sides[0], sides[1])
    merged = replace(merged, name=base, uid=new_uid(), provenance="unsplit")
    return ReplaceLayers([layer.uid for layer in sides], [merged])


def character_axis(doc: DocumentLike) -> float:
    """The x of the character's vertical axis: the face's centre when there is a face, else the silhouette's."""
    faces = [layer for layer in doc.layers if layer.tag == "face" and not layer.is_empty]
    mask: np.ndarray | None
    if faces:
        mask = faces[0].on_canvas(doc.size)[..., 3] > ALPHA_THRESHOLD
    elif doc.source is not None:
        mask = np.asarray(doc.source)[..., 3] > ALPHA_THRESHOLD if np.asarray(doc.source).shape[2] == 4 else None
    else:
        mask = None
    if mask is None or not mask.any():
        return doc.width / 2
    return float(np.nonzero(mask)[1].mean())


def _resplit(doc: DocumentLike, finding: Finding) -> Command:
    """Merge the two sides and cut along the character's axis (image left = the character's right)."""
    from seethrough.core.layer_ops import merged_layer

    base, sides = _pair(doc, finding)
    whole = sides[0] if len(sides) == 1 else merged_layer(sides[0], sides[1])
    axis = character_axis(doc)
    xs = np.arange(whole.width) + whole.offset[0]
    parts = []
    for suffix, keep in (("r", xs < axis), ("l", xs >= axis)):
        rgba = whole.rgba.copy()
        rgba[:, ~keep, 3] = 0
        depth = None if whole.depth is None else whole.depth
        cropped, cropped_depth, offset = crop_to_content(rgba, depth, whole.offset)
        if cropped.size == 0:
            raise BadInput(f"{base!r} lies on one side of the character's axis: nothing to split")
        part = Layer(name=f"{base}-{suffix}", rgba=cropped, offset=offset, tag=sides[0].tag, depth=cropped_depth,
                     depth_value=whole.depth_value, visible=whole.visible, opacity=whole.opacity,
                     provenance="resplit")
        parts.append(replace(part, depth_value=representative_depth(part)))
    return ReplaceLayers([layer.uid for layer in sides], parts)


def _inpaint_below(doc: DocumentLike, finding: Finding) -> Command:
    """Extend the layer under the cut into the band that motion uncovers, with colours inpainted from itself."""
    from seethrough.core.colour_padding import pad_transparent_colours
    from seethrough.core.inpaint import get_inpainter

    moving = _layer(doc, finding)
    band = finding.canvas_region(doc.size)
    below = doc.layers[: doc.index_of(moving.uid)]
    target = _neighbour(doc, band, {moving.uid}, candidates=below, ring=motion_px(doc.size, QualitySettings()) * 2)
    if target is None:
        raise BadInput(f"nothing is drawn under {moving.name!r} near the cut: there is no layer to extend")
    box = _canvas_box(target, finding.box)
    rgba = _in_box(target.rgba, target.offset, box)
    need = _in_box(band, (0, 0), box, fill=False) & (rgba[..., 3] <= ALPHA_THRESHOLD)
    own = rgba[..., 3] > ALPHA_THRESHOLD
    padded = rgba.copy()
    padded[..., 3] = np.where(own, 255, 0).astype(np.uint8)
    base = (pad_transparent_colours(padded) * 255.0 + 0.5).astype(np.uint8)
    filled = get_inpainter("opencv")(np.ascontiguousarray(base), need)
    rgba[need, :3] = filled[need]
    rgba[need, 3] = 255
    depth = None
    if target.depth is not None:
        depth = _in_box(target.depth, target.offset, box, fill=target.depth_value)
        depth[need] = representative_depth(target)
    return _pixels_command(target, rgba, depth, box)


_BUILDERS = {
    "delete": _delete,
    "hide": _hide,
    "merge": _merge,
    "fill": _fill,
    "clip": _clip,
    "reorder": _reorder,
    "split-depth": _split_depth,
    "resplit": _resplit,
    "unsplit": _unsplit,
    "inpaint-below": _inpaint_below,
}
