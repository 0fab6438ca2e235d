"""A stroke as one command: (document, StrokeParams) → SetLayerPlanes (a mask stroke: SetLayerMask), one undo step.

`stroke_command` is a pure function of what it reads: the layer(s) the stroke names, the document's source image
(restore) and the stroke's parameters. The GUI, which lays the dabs live with a `StrokeEngine`, hands that engine
in so the dabs are not laid twice; a replay lays them from the points, through the same code.
"""

from __future__ import annotations

from seethrough.core.brush.apply import move_pixels, paint_depth, paint_pixels, paint_value
from seethrough.core.brush.engine import StrokeEngine
from seethrough.core.brush.params import StrokeParams
from seethrough.core.commands import Command, SetLayerPlanes, require_unlocked
from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import BadInput
from seethrough.core.layer_mask import LayerMask
from seethrough.core.mask_ops import SetLayerMask

#: the undo text of each tool
STROKE_TEXT = {
    "paint": "Paint",
    "erase": "Erase",
    "restore": "Restore from the illustration",
    "move-to-layer": "Move to layer",
    "mask": "Paint layer mask",
    "depth": "Paint depth",
}


def resolve_layer(doc: DocumentLike, ref: str) -> Layer:
    """The layer with this uid, else the first one with this name from the top of the stack."""
    for layer in doc.layers:
        if layer.uid == ref:
            return layer
    for layer in reversed(doc.layers):
        if layer.name == ref:
            return layer
    raise BadInput(f"stroke: no layer named {ref!r}")


def stroke_command(doc: DocumentLike, params: StrokeParams, engine: StrokeEngine | None = None) -> Command:
    """The command that applies the stroke; refuses (`BadInput`, `LayerLocked`) before laying a dab when it cannot.

    `engine`: the finished engine that laid `params.points` live (the GUI); by default they are laid here.
    """
    layer = resolve_layer(doc, params.layer)
    require_unlocked(layer, "paint on it")
    target = None
    if params.tool == "move-to-layer":
        assert params.target is not None  # StrokeParams requires it
        target = resolve_layer(doc, params.target)
        if target.uid == layer.uid:
            raise BadInput(f"stroke: the target layer {params.target!r} is the layer itself")
        require_unlocked(target, "move pixels into it")
    elif params.tool == "restore" and doc.source is None:
        raise BadInput("stroke: the document has no source illustration to restore from")
    elif params.tool == "mask" and layer.layer_mask is None:
        raise BadInput(f"stroke: layer {layer.name!r} has no layer mask: add one first")
    if engine is None:
        engine = StrokeEngine.run(params, doc.size)
    elif not engine.finished or tuple(engine.points) != params.points:
        raise ValueError("the engine must be the finished one that laid these points")
    if params.tool == "mask":
        return mask_stroke_command(layer, engine, params)
    if target is not None:
        above = doc.index_of(layer.uid) > doc.index_of(target.uid)
        edits = list(move_pixels(layer, target, engine.mask, params, layer_above=above))
    elif params.tool == "depth":
        edits = [paint_depth(layer, engine.mask, params)]
    else:
        edits = [paint_pixels(layer, engine.mask, params, doc.source)]
    return SetLayerPlanes(edits, text=STROKE_TEXT[params.tool])


def mask_stroke_command(layer: Layer, engine: StrokeEngine, params: StrokeParams) -> SetLayerMask:
    """The layer's mask (canvas coordinates) painted towards `params.value` (0 hides, 1 shows); it grows where the
    stroke leaves its box. The pixels are untouched."""
    mask = layer.layer_mask
    assert mask is not None
    plane = paint_value(mask.plane, engine.mask, (0, 0), params.value, params.opacity, grow=True)
    return SetLayerMask(layer.uid, LayerMask(plane, mask.enabled), text=STROKE_TEXT["mask"])
