"""From predicted full-frame layers and depth maps to a layer document (`docs/authors-pipeline.md` §4.1).

Steps, as the authors apply them: drop near-empty predictions; crop each layer to its box; the representative
depth is the median depth over the layer's opaque pixels; nose and mouth take their colours from the source
image (the model's colours there are less faithful) and are kept just in front of the face, ears just behind it;
the drawing order is far to near by representative depth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

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
