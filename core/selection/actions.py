"""What can be done with the selected pixels of a layer, each one command (one undo step):

- `delete`: the selected part is erased (a soft selection erases partly: alpha · (1 − s));
- `new-layer`: the selected part is copied (or, with `cut`, cut) to a new layer right above, named `target` or
  "<layer> selection", with the layer's tag, depth map, visibility, opacity and blend mode;
- `to-layer`: the selected part leaves the layer and joins `target` (an existing layer, or a new one of that
  name): it is put over the target's pixels when the layer is above the target in the stack and under them
  otherwise, so where the two layers are neighbours the composite does not change; the target's depth is kept
  where it had pixels and takes the moved pixels' depth where it had none;
- `fill`: `color` painted over the layer with the selection as coverage;
- `restore`: the document's source illustration put back inside the selection (exactly, where fully selected);
- `inpaint`: colour, alpha and depth inside the selection invented from around it (core.inpaint: "opencv", or
  "lama" when installed).

A cut's two parts are split so that "over" puts them back together exactly (core.selection.pixels.cut_alpha).
Locked layers refuse (LayerLocked); the commands check again when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from seethrough.core.colour_padding import pad_transparent_colours
from seethrough.core.commands import Macro, ReplaceLayers, SetLayerPixels, require_unlocked
from seethrough.core.document import Layer, crop_to_content, new_uid, with_representative_depth
from seethrough.core.errors import BadInput
from seethrough.core.layer_refs import find_layer, layer_ref
from seethrough.core.selection import pixels as px
from seethrough.core.selection.commands import selection_of
from seethrough.core.selection.params import SelectionActionParams
from seethrough.core.selection.value import Selection, grow_box, union_boxes

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.document import DocumentLike

Box = tuple[int, int, int, int]
#: pixels of context around the selection that inpainting looks at
INPAINT_CONTEXT = 32


def selection_command(doc: DocumentLike, params: SelectionActionParams) -> Command:
    """The command for one `selection` operation on what is selected in `doc` (a document or snapshot)."""
    selection = selection_of(doc)
    if selection is None:
        raise BadInput(f"selection: nothing is selected to {params.action}")
    assert params.layer is not None
    layer = layer_ref(doc, params.layer, "selection")
    action = params.action
    if action == "delete":
        return delete_command(layer, selection)
    if action == "new-layer":
        return new_layer_command(doc, layer, selection, cut=params.cut, name=params.target)
    if action == "to-layer":
        assert params.target is not None
        return to_layer_command(doc, layer, selection, params.target)
    if action == "fill":
        return fill_command(layer, selection, params.rgb)
    if action == "restore":
        return restore_command(doc, layer, selection)
    return inpaint_command(layer, selection, params.inpainter)


def _selected(layer: Layer, selection: Selection) -> np.ndarray:
    return selection.in_box(layer.bbox)


def _pixels_command(layer: Layer, rgba: np.ndarray, depth: np.ndarray | None, box: Box, text: str) -> SetLayerPixels:
    """The layer's new pixels (and depth) over `box`, cropped to what is not transparent."""
    cropped, cropped_depth, offset = crop_to_content(rgba, depth, box[:2])
    return SetLayerPixels(layer.uid, cropped, offset=offset, depth=cropped_depth, keep_depth=False, text=text)


def delete_command(layer: Layer, selection: Selection) -> Command:
    require_unlocked(layer, "delete pixels from it")
    rgba = px.with_alpha(layer.rgba, px.remaining_alpha(layer.alpha, _selected(layer, selection)))
    return SetLayerPixels(layer.uid, rgba, text=f"Delete selection from {layer.name}")


def _piece(layer: Layer, alpha: np.ndarray, name: str, provenance: str) -> Layer:
    """A new layer of `layer`'s pixels with `alpha`, cropped, keeping tag, depth and the layer's look."""
    rgba, depth, offset = crop_to_content(px.with_alpha(layer.rgba, alpha), layer.depth, layer.offset)
    piece = Layer(name, rgba, offset, tag=layer.tag, depth=depth, depth_value=layer.depth_value,
                  visible=layer.visible, opacity=layer.opacity, provenance=provenance, uid=new_uid(),
                  blend_mode=layer.blend_mode)
    return with_representative_depth(piece) if depth is not None else piece


def _cut(layer: Layer, selection: Selection) -> tuple[np.ndarray, np.ndarray]:
    """(remaining alpha, cut alpha) of `layer` split by the selection."""
    remaining = px.remaining_alpha(layer.alpha, _selected(layer, selection))
    return remaining, px.cut_alpha(layer.alpha, remaining)


def new_layer_command(
    doc: DocumentLike, layer: Layer, selection: Selection, cut: bool = False, name: str | None = None
) -> Command:
    """Copy (or cut) the selected part of `layer` to a new layer right above it."""
    name = name or f"{layer.name} selection"
    index = doc.index_of(layer.uid)
    if not cut:
        piece = _piece(layer, px.copy_alpha(layer.alpha, _selected(layer, selection)), name,
                       f"copy of a selection of {layer.name}")
        _require_pixels(piece, layer)
        return ReplaceLayers([], [piece], index=index + 1, text=f"Copy selection of {layer.name} to a new layer")
    require_unlocked(layer, "cut pixels from it")
    remaining, moved = _cut(layer, selection)
    piece = _piece(layer, moved, name, f"cut from {layer.name}")
    _require_pixels(piece, layer)
    rest = SetLayerPixels(layer.uid, px.with_alpha(layer.rgba, remaining), text="Cut")
    add = ReplaceLayers([], [piece], index=index + 1, text="Paste")
    return Macro([rest, add], text=f"Cut selection of {layer.name} to a new layer")


def _require_pixels(piece: Layer, layer: Layer) -> None:
    if piece.rgba.size == 0:
        raise BadInput(f"selection: the selection holds no pixels of layer {layer.name!r}")


def to_layer_command(doc: DocumentLike, layer: Layer, selection: Selection, target_ref: str) -> Command:
    """Move the selected part of `layer` into the layer `target_ref` (made when no layer has that name)."""
    target = find_layer(doc, target_ref)
    if target is None:
        command = new_layer_command(doc, layer, selection, cut=True, name=target_ref)
        command.text = f"Move selection of {layer.name} to a new layer {target_ref}"
        return command
    if target.uid == layer.uid:
        raise BadInput(f"selection: {layer.name!r} is both the layer and the target")
    require_unlocked(layer, "move pixels out of it")
    require_unlocked(target, "move pixels into it")
    remaining, moved = _cut(layer, selection)
    if not moved.any():
        raise BadInput(f"selection: the selection holds no pixels of layer {layer.name!r}")
    box = union_boxes(target.bbox, layer.bbox)
    piece = px.region(px.with_alpha(layer.rgba, moved), layer.offset, box)
    mine = px.layer_rgba(target, box)
    above = doc.index_of(layer.uid) > doc.index_of(target.uid)
    rgba = px.over(piece, mine) if above else px.over(mine, piece)
    depth = None
    if target.depth is not None or layer.depth is not None:
        depth = np.where(mine[..., 3] > 0, px.layer_depth(target, box), px.layer_depth(layer, box))
    take = _pixels_command(target, rgba, depth, box, "Take pixels")
    give = SetLayerPixels(layer.uid, px.with_alpha(layer.rgba, remaining), text="Give pixels")
    return Macro([give, take], text=f"Move selection from {layer.name} to {target.name}")


def _changed_region(layer: Layer, selection: Selection) -> Box:
    """Where an edit that can add pixels inside the selection works: the layer's box and the selection's."""
    return union_boxes(layer.bbox, selection.extent)


def _depth_with_new_area(layer: Layer, box: Box) -> np.ndarray | None:
    """The layer's depth map over `box`, its representative depth where it had no pixels (None without a map)."""
    if layer.depth is None:
        return None
    return px.layer_depth(layer, box, fill=layer.depth_value)


def fill_command(layer: Layer, selection: Selection, rgb: tuple[int, int, int]) -> Command:
    require_unlocked(layer, "fill it")
    box = _changed_region(layer, selection)
    rgba = px.fill_colour(px.layer_rgba(layer, box), rgb, selection.in_box(box))
    return _pixels_command(layer, rgba, _depth_with_new_area(layer, box), box, f"Fill selection on {layer.name}")


def restore_command(doc: DocumentLike, layer: Layer, selection: Selection) -> Command:
    """Put the source illustration back inside the selection: exactly its pixels where fully selected."""
    if doc.source is None:
        raise BadInput("selection: the document has no source illustration to restore from")
    require_unlocked(layer, "restore pixels into it")
    box = _changed_region(layer, selection)
    source = px.region(np.asarray(doc.source), (0, 0), box)
    rgba = px.mix(px.layer_rgba(layer, box), source, selection.in_box(box))
    return _pixels_command(layer, rgba, _depth_with_new_area(layer, box), box,
                           f"Restore the illustration on {layer.name}")


def inpaint_command(layer: Layer, selection: Selection, inpainter: str = "opencv") -> Command:
    """Invent the selected part of `layer` from its surroundings (colour with `inpainter`, alpha and depth with
    OpenCV), mixed in by the selection's strength."""
    from seethrough.core.inpaint import get_inpainter

    require_unlocked(layer, "inpaint it")
    fill = get_inpainter(inpainter)
    whole = _changed_region(layer, selection)
    box = grow_box(selection.extent, INPAINT_CONTEXT, whole)
    base = px.layer_rgba(layer, box)
    amount = selection.in_box(box)
    invented = _inpainted(base, amount > 0, fill)
    rgba = px.layer_rgba(layer, whole)
    x, y = box[0] - whole[0], box[1] - whole[1]
    rgba[y : y + base.shape[0], x : x + base.shape[1]] = px.mix(base, invented, amount)
    depth = _depth_with_new_area(layer, whole)
    if depth is not None:
        hole = (amount > 0).astype(np.uint8)
        part = depth[y : y + base.shape[0], x : x + base.shape[1]]
        levels = np.rint(np.clip(part, 0.0, 1.0) * 65535.0).astype(np.uint16)  # OpenCV inpaints 16-bit depth
        part[...] = cv2.inpaint(levels, hole, 5, cv2.INPAINT_TELEA).astype(np.float32) / 65535.0
    return _pixels_command(layer, rgba, depth, whole, f"Inpaint selection on {layer.name}")


def _inpainted(rgba: np.ndarray, hole: np.ndarray, fill: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """`rgba` with the hole invented: colour by `fill` on the padded colours (no black from transparency),
    alpha by OpenCV."""
    colours = np.clip(np.rint(pad_transparent_colours(rgba) * 255.0), 0, 255).astype(np.uint8)
    out = np.empty_like(rgba)
    out[..., :3] = fill(colours, hole)
    out[..., 3] = cv2.inpaint(np.ascontiguousarray(rgba[..., 3]), hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)
    return out
