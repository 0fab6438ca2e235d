"""Command builders for the Layers panel: merge down, duplicate, delete, sort by depth, set mask.

Each function only *builds* a command from the current document; push it with `doc.history.push(cmd)`, so the
GUI and the CLI share the undo log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seethrough.core.commands import ReorderLayers, ReplaceLayers, SetLayerPixels, require_unlocked
from seethrough.core.compositing import composite_region
from seethrough.core.document import Layer, crop_to_content, new_uid, with_representative_depth
from seethrough.core.errors import BadInput

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.document import DocumentLike


def merged_layer(lower: Layer, upper: Layer) -> Layer:
    """`upper` over `lower` baked into one layer covering both boxes.

    Both opacities are baked into the pixels (the result has opacity 1) and visibility is ignored (the user
    asked to merge these two). Name, visibility and lock come from the lower layer; its tag too unless it has
    none. Depth per pixel = the nearer (min) where both cover, whichever covers otherwise (1 = far elsewhere).
    """
    x0 = min(lower.bbox[0], upper.bbox[0])
    y0 = min(lower.bbox[1], upper.bbox[1])
    x1 = max(lower.bbox[2], upper.bbox[2])
    y1 = max(lower.bbox[3], upper.bbox[3])
    box = (x0, y0, x1, y1)
    rgba = composite_region([lower, upper], box, only_visible=False)
    depth = None
    if lower.depth is not None or upper.depth is not None:
        depth = np.full((y1 - y0, x1 - x0), np.inf, np.float32)
        for layer in (lower, upper):
            lx, ly = layer.offset[0] - x0, layer.offset[1] - y0
            region = depth[ly : ly + layer.height, lx : lx + layer.width]
            mine = np.where(layer.alpha > 0, layer.depth_or_constant(), np.inf)
            np.minimum(region, mine, out=region)
        depth[~np.isfinite(depth)] = 1.0
    cropped, cropped_depth, offset = crop_to_content(rgba, depth, (x0, y0))
    merged = Layer(
        name=lower.name,
        rgba=cropped,
        offset=offset,
        tag=lower.tag if lower.tag is not None else upper.tag,
        depth=cropped_depth,
        depth_value=min(lower.depth_value, upper.depth_value),
        visible=lower.visible,
        opacity=1.0,
        locked=lower.locked,
        provenance="merge",
        uid=new_uid(),
    )
    return with_representative_depth(merged) if merged.depth is not None else merged


def merge_down_pair(doc: DocumentLike, uid: str) -> tuple[Layer, Layer]:
    """The (lower, upper) layers that merging `uid` down would join; raises at once when it cannot be merged (the
    bottom layer, or either layer locked), before any pixel is computed."""
    index = doc.index_of(uid)
    if index == 0:
        raise BadInput(f"layer {doc.layers[0].name!r} is the bottom layer: nothing below to merge into")
    lower, upper = doc.layers[index - 1], doc.layers[index]
    for layer in (lower, upper):
        require_unlocked(layer, "merge it")
    return lower, upper


def merge_down_command(doc: DocumentLike, uid: str) -> Command:
    """Merge the layer into the one below it (one undo step). Computing the merged pixels takes seconds at 2048²:
    the GUI calls this in a job on a snapshot."""
    lower, upper = merge_down_pair(doc, uid)
    return ReplaceLayers([lower.uid, upper.uid], [merged_layer(lower, upper)], text=f"Merge {upper.name} down")


def duplicate_command(doc: DocumentLike, uid: str) -> Command:
    """A copy (new uid, name + " copy") right above the layer."""
    index = doc.index_of(uid)
    layer = doc.layers[index]
    copy = layer.copy(uid=new_uid(), name=f"{layer.name} copy", provenance="duplicate")
    return ReplaceLayers([], [copy], index=index + 1, text=f"Duplicate {layer.name}")


def delete_command(doc: DocumentLike, uid: str) -> Command:
    layer = doc.layer(uid)
    require_unlocked(layer, "delete it")
    return ReplaceLayers([uid], [], text=f"Delete {layer.name}")


def sort_by_depth_command(doc: DocumentLike) -> Command:
    """Reorder the stack far (bottom) → near (top) by representative depth; ties keep the current order."""
    return ReorderLayers([layer.uid for layer in doc.layers_by_depth()], text="Sort layers by depth")


def set_mask_command(doc: DocumentLike, uid: str, alpha: np.ndarray) -> Command:
    """Replace the layer's alpha. `alpha` is uint8 (or bool) in the layer's box, or canvas-sized (then cropped)."""
    layer = doc.layer(uid)
    require_unlocked(layer, "edit its mask")
    alpha = np.asarray(alpha)
    if alpha.dtype == bool:
        alpha = alpha.astype(np.uint8) * 255
    if alpha.ndim != 2 or alpha.dtype != np.uint8:
        raise BadInput(f"a mask must be a 2-D uint8 or bool array, got {alpha.shape} {alpha.dtype}")
    if alpha.shape == (doc.height, doc.width) and alpha.shape != layer.rgba.shape[:2]:
        x0, y0, x1, y1 = layer.bbox
        box_alpha = np.zeros(layer.rgba.shape[:2], np.uint8)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, doc.width), min(y1, doc.height)
        if cx1 > cx0 and cy1 > cy0:
            box_alpha[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] = alpha[cy0:cy1, cx0:cx1]
        alpha = box_alpha
    if alpha.shape != layer.rgba.shape[:2]:
        raise BadInput(f"mask {alpha.shape} matches neither layer box {layer.rgba.shape[:2]} nor the canvas")
    rgba = layer.rgba.copy()
    rgba[..., 3] = alpha
    return SetLayerPixels(uid, rgba, text=f"Edit mask of {layer.name}")
