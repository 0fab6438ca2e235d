"""The editing operations of the log format (stroke, select, selection, transform, mask, new-layer) read from JSON,
applied to the sample, recorded in the history and replayed to the same document."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.errors import BadInput
from seethrough.core.operations import history_log, parse_log, perform, resolve_layer
from seethrough.core.sample import build_sample_document

LOG = {"format": "seethrough-operations", "version": 1, "operations": [
    {"op": "new-layer", "name": "touch-up", "above": "face", "tag": "face", "depth": 0.45},
    {"op": "stroke", "layer": "touch-up", "tool": "paint", "color": "#ff0000", "size": 30, "hardness": 1.0,
     "points": [[300, 300, 1.0], [360, 300, 1.0]]},
    {"op": "select", "shape": "rect", "box": [330, 380, 440, 470]},
    {"op": "selection", "action": "delete", "layer": "face"},
    {"op": "select", "action": "none"},
    {"op": "transform", "layer": "headwear", "translate": [12, -5]},
    {"op": "mask", "layer": "eyebrow", "action": "add"},
    {"op": "mask", "layer": "eyebrow", "action": "disable"},
]}


def _content(doc) -> list:
    return [(x.name, x.offset, x.rgba.tobytes(), None if x.layer_mask is None else x.layer_mask.enabled)
            for x in doc.layers]


def test_the_editing_operations_do_what_they_say_and_replay():
    doc = build_sample_document()
    face_before = resolve_layer(doc, "face")
    hat_before = resolve_layer(doc, "headwear")
    for op in parse_log(LOG):
        perform(doc, op)

    touch_up = resolve_layer(doc, "touch-up")
    assert doc.index_of(touch_up.uid) == doc.index_of(resolve_layer(doc, "face").uid) + 1
    painted = touch_up.on_canvas(doc.size)
    assert painted[300, 330, 3] == 255 and tuple(painted[300, 330, :3]) == (255, 0, 0)
    assert painted[500, 330, 3] == 0  # only under the brush

    face = resolve_layer(doc, "face").on_canvas(doc.size)
    before = face_before.on_canvas(doc.size)
    assert before[380:470, 330:440, 3].any() and not face[380:470, 330:440, 3].any()  # deleted inside the box
    outside = np.ones(face.shape[:2], bool)
    outside[380:470, 330:440] = False
    assert np.array_equal(face[outside], before[outside])  # and nothing outside it
    assert doc.selection is None or not doc.selection.any()

    hat = resolve_layer(doc, "headwear")
    assert hat.offset == (hat_before.offset[0] + 12, hat_before.offset[1] - 5)
    assert resolve_layer(doc, "eyebrow").layer_mask is not None
    assert resolve_layer(doc, "eyebrow").layer_mask.enabled is False

    log, warnings = history_log(doc.history)
    assert warnings == [] and [e["op"] for e in log["operations"]] == [e["op"] for e in LOG["operations"]]
    again = build_sample_document()
    for op in parse_log(log):
        perform(again, op)
    assert _content(again) == _content(doc)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"op": "stroke", "layer": "face", "tool": "paint", "points": []}, "points: 0 items"),
        ({"op": "stroke", "layer": "face", "tool": "paint", "points": [[1, 2, 1]], "size": 5000},
         "size: 5000.0 is out of range (must be between 1 and 1000)"),
        ({"op": "stroke", "layer": "face", "tool": "move-to-layer", "points": [[1, 2]]}, "needs a target"),
        ({"op": "select", "shape": "rect"}, "needs a box"),
        ({"op": "select", "shape": "rect", "action": "invert", "box": [0, 0, 1, 1]}, "either a shape or an action"),
        ({"op": "select", "shape": "wand", "at": [1, 1], "tolerance": 300}, "tolerance: 300 is out of range"),
        ({"op": "selection", "action": "fill", "layer": "face"}, "fill needs a color"),
        ({"op": "transform", "layer": "face", "rotate": float("inf")}, "rotate: inf is not a finite number"),
        ({"op": "mask", "layer": "face", "action": "explode"}, "action: 'explode' is not one of"),
    ],
)
def test_bad_editing_operations_are_refused_with_their_key(entry, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_log({"format": "seethrough-operations", "version": 1, "operations": [entry]})
