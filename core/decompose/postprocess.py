"""From predicted full-frame layers and depth maps to a layer document (`docs/authors-pipeline.md` §4.1).

Steps, as the authors apply them: drop near-empty predictions; crop each layer to its box; the representative
depth is the median depth over the layer's opaque pixels; nose and mouth take their colours from the source
image (the model's colours there are less faithful) and are kept just in front of the face, ears just behind it;
the drawing order is far to near by representative depth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from seethrough.core.document import ALPHA_THRESHOLD, Document, Layer, crop_to_content, with_representative_depth
from seethrough.core.taxonomy import base_tag

#: a prediction with at most this many pixels of alpha > ALPHA_THRESHOLD is dropped
MIN_PIXELS = 4
#: offset that keeps nose/mouth in front of (and ears behind) the face
FACE_EPSILON = 0.001
IN_FRONT_OF_FACE = ("nose", "mouth", "eyes")
BEHIND_FACE = ("ears",)
COLOURS_FROM_SOURCE = ("nose", "mouth")


def build_document(
    source: np.ndarray,
    layers: Mapping[str, np.ndarray],
    depths: Mapping[str, np.ndarray] | None = None,
    provenance: str = "decompose",
    metadata: dict | None = None,
) -> Document:
    """`source` (H, W, 4) uint8; `layers[tag]` (H, W, 4) uint8 full-frame; `depths[tag]` (H, W) float in [0, 1]."""
    height, width = source.shape[:2]
    depths = depths or {}
    built: list[Layer] = []
    for tag, rgba in layers.items():
        if rgba.shape[:2] != (height, width):
            raise ValueError(f"layer {tag!r} is {rgba.shape[:2]}, expected {(height, width)}")
        if int((rgba[..., 3] > ALPHA_THRESHOLD).sum()) <= MIN_PIXELS:
            continue
        rgba = rgba.copy()
        if base_tag(tag) in COLOURS_FROM_SOURCE:
            rgba[..., :3] = source[..., :3]
        depth = depths.get(tag)
        full_depth = None if depth is None else np.clip(np.asarray(depth, np.float32), 0.0, 1.0)
        pixels, cropped_depth, offset = crop_to_content(rgba, full_depth)
        layer = Layer(tag, pixels, offset=offset, tag=base_tag(tag), depth=cropped_depth, provenance=provenance)
        built.append(with_representative_depth(layer))
    built = _apply_face_rules(built)
    built.sort(key=lambda layer: -layer.depth_value)
    return Document((width, height), built, source=source.copy(), metadata=dict(metadata or {}))


def _apply_face_rules(layers: list[Layer]) -> list[Layer]:
    face = next((layer for layer in layers if layer.tag == "face"), None)
    if face is None:
        return layers
    out = []
    for layer in layers:
        if layer.tag in IN_FRONT_OF_FACE and layer.depth_value > face.depth_value:
            layer = replace(layer, depth_value=face.depth_value - FACE_EPSILON)
        elif layer.tag in BEHIND_FACE:
            layer = replace(layer, depth_value=face.depth_value + FACE_EPSILON)
        out.append(layer)
    return out


# --- the authors' post-processing, on the model canvas (`official-see-through.md` §4.1) ----------------------------

#: a part is kept only with more than MIN_PIXELS pixels of alpha > 10 outside the bottom/right strip of this fraction
EDGE_STRIP = 10
#: the first crop's minimum sizes (the authors swap width and height here; kept, it only pads the first crop)
FIRST_CROP_MIN = (64, 12)
#: tags split left/right when asked (`further_extr`'s `tblr_split`), in the authors' order
LR_SPLIT_TAGS = ("handwear", "eyewhite", "irides", "eyelash", "eyebrow", "ears")
#: names the authors keep in front of / behind the face (exact names: split parts are not included)
IN_FRONT_OF_FACE_NAMES = ("nose", "mouth", "eyes")
BEHIND_FACE_NAMES = ("earr", "earl", "ears")
#: the V2 `eyes` split: (first pair, second pair) of names, each (image left, image right)
EYES_SPLIT = (("eyer", "eyel"), ("browr", "browl"))


@dataclass
class Part:
    """One output layer on the canvas: `rgba`/`depth` cropped at `offset`; `depth` uint8-quantised in [0, 1]."""

    name: str
    rgba: np.ndarray
    depth: np.ndarray | None
    offset: tuple[int, int]
    part_id: int | None = None
    depth_median: float = 0.5


def keep_part(alpha: np.ndarray) -> bool:
    """The authors' drop rule: more than 4 pixels of alpha > 10 outside the bottom/right 10 % strip."""
    strip = max(alpha.shape[:2]) // EDGE_STRIP
    mask = alpha > ALPHA_THRESHOLD
    return int(mask[:-strip, :-strip].sum()) > MIN_PIXELS


def _first_crop(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    w, h = int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1
    x1, y1 = x0 + w, y0 + h
    grow = FIRST_CROP_MIN[0] - h  # sic: the height is compared with the minimum width
    if grow > 0:
        if x0 >= grow:
            x0 -= grow
        else:
            x1 += grow
    grow = FIRST_CROP_MIN[1] - w
    if grow > 0:
        if y0 >= grow:
            y0 -= grow
        else:
            y1 += grow
    return x0, y0, x1, y1


def authors_parts(
    canvas: np.ndarray,
    layers: Mapping[str, np.ndarray],
    depths: Mapping[str, np.ndarray] | None,
    order: list[str],
    lr_split: bool = False,
) -> list[Part]:
    """Full-canvas layers (uint8 RGBA) and uint8 depth maps → the parts of the authors' PSD, far to near.

    `order`: the tags in the authors' part order (the depth stage's key order). Steps: drop rule and first crop;
    V2 `eyes` split into eyes and brows (≥ 4 components; with 2–3 components the authors lose `eyes`, as here);
    optional left/right split; nose and mouth colours from the canvas; crop to alpha > 10, median depth over
    alpha > 10; face rules by exact name; stable sort by median depth, far first."""
    from seethrough.core.stratify import component_box, left_then_right, lr_split_pair, two_largest_components

    parts: dict[str, Part] = {}
    part_id = 0
    for tag in order:
        rgba = layers.get(tag)
        if rgba is None or not keep_part(rgba[..., 3]):
            continue
        x0, y0, x1, y1 = _first_crop(rgba[..., 3] > ALPHA_THRESHOLD)
        depth = None if depths is None else depths[tag][y0:y1, x0:x1].astype(np.float32) / 255
        parts[tag] = Part(tag, rgba[y0:y1, x0:x1].copy(), depth, (x0, y0), part_id)
        part_id += 1

    def cut(part: Part, box: tuple[int, int, int, int], name: str) -> Part:
        bx0, by0, bx1, by1 = box
        depth = None if part.depth is None else part.depth[by0:by1, bx0:bx1]
        return Part(name, part.rgba[by0:by1, bx0:bx1].copy(), depth, (part.offset[0] + bx0, part.offset[1] + by0))

    if "eyes" in parts:
        eyes = parts.pop("eyes")
        found = two_largest_components(eyes.rgba[..., 3] > ALPHA_THRESHOLD)
        if found is None:
            parts["eyes"] = eyes
        elif len(found[2]) >= 4:
            _, stats, comps = found
            for (left_name, right_name), pair in zip(EYES_SPLIT, (comps[:2], comps[2:4])):
                for name, index in zip((left_name, right_name), left_then_right(stats, *pair)):
                    parts[name] = cut(eyes, component_box(stats, index), name)

    if lr_split:
        for tag in LR_SPLIT_TAGS:
            if tag not in parts:
                continue
            part = parts.pop(tag)
            pieces = lr_split_pair(part.rgba, part.depth)
            if pieces is None:
                parts[tag] = part
                continue
            for suffix, rgba, depth, (dx, dy) in pieces:
                name = f"{tag}-{suffix}"
                parts[name] = Part(name, rgba, depth, (part.offset[0] + dx, part.offset[1] + dy))

    for name in COLOURS_FROM_SOURCE:
        if name in parts:
            part = parts[name]
            x, y = part.offset
            h, w = part.rgba.shape[:2]
            part.rgba[..., :3] = canvas[y : y + h, x : x + w, :3]

    for part in parts.values():
        mask = part.rgba[..., 3] > ALPHA_THRESHOLD
        if part.depth is not None:
            part.depth_median = float(np.median(part.depth[mask]))
        ys, xs = np.nonzero(mask)
        bx0, by0, bx1, by1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
        part.rgba = part.rgba[by0:by1, bx0:bx1]
        if part.depth is not None:
            part.depth = np.round(np.clip(part.depth[by0:by1, bx0:bx1], 0, 1) * 255).astype(np.uint8) / np.float32(255)
        part.offset = (part.offset[0] + bx0, part.offset[1] + by0)

    face = parts.get("face")
    if face is not None:
        for name in IN_FRONT_OF_FACE_NAMES:
            if name in parts and parts[name].depth_median > face.depth_median:
                parts[name].depth_median = face.depth_median - FACE_EPSILON
        for name in BEHIND_FACE_NAMES:
            if name in parts:
                parts[name].depth_median = face.depth_median + FACE_EPSILON
    return sorted(parts.values(), key=lambda part: part.depth_median, reverse=True)


#: tags of the parts the V2 `eyes` split makes
SPLIT_EYE_TAGS = {"eyer": "eyes", "eyel": "eyes", "browr": "eyes", "browl": "eyes"}


def part_tag(name: str) -> str:
    """The body-part tag of a part name (`handwear-r` → handwear, `browl` → eyes)."""
    return SPLIT_EYE_TAGS.get(name) or base_tag(name)
