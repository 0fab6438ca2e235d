"""Layers-panel commands: merge down, duplicate, delete, sort, set mask — and their undo/redo."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.commands import SetLayerProperty
from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput
from seethrough.core.layer_ops import (
    delete_command,
    duplicate_command,
    merge_down_command,
    set_mask_command,
    sort_by_depth_command,
)
from tests.core.helpers import check_undo_redo, solid


def make_doc() -> Document:
    rng = np.random.default_rng(0)
    lower = Layer(
        "body",
        rng.integers(0, 256, (10, 12, 4), dtype=np.uint8),
        (2, 3),
        tag=None,
        depth=np.full((10, 12), 0.6, np.float32),
        depth_value=0.6,
    )
    upper = Layer(
        "arm",
        rng.integers(0, 256, (6, 8, 4), dtype=np.uint8),
        (9, 8),
        tag="handwear",
        depth=np.full((6, 8), 0.3, np.float32),
        depth_value=0.3,
        opacity=0.7,
    )
    top = solid("hat", (4, 4), (0, 0, 0, 255), depth=0.1, tag="headwear")
    return Document((24, 20), [lower, upper, top])


def test_merge_down_bakes_the_pair() -> None:
    doc = make_doc()
    lower, upper = doc.layers[0], doc.layers[1]
    expected = composite([lower, upper], size=doc.size)
    check_undo_redo(doc, merge_down_command(doc, upper.uid))
    assert len(doc.layers) == 2
    merged = doc.layers[0]
    assert merged.name == "body" and merged.tag == "handwear" and merged.opacity == 1.0
    assert merged.bbox == (2, 3, 17, 14)
    assert np.array_equal(composite([merged], size=doc.size), expected)
    # depth: the nearer where both cover, each layer's own elsewhere
    assert merged.depth[9 - 3, 10 - 2] == pytest.approx(0.3)
    assert merged.depth[0, 0] == pytest.approx(0.6)
    assert merged.depth[-1, -1] == pytest.approx(0.3)
    with pytest.raises(BadInput):
        merge_down_command(doc, doc.layers[0].uid)


def test_merge_down_keeps_lower_tag() -> None:
    doc = make_doc()
    doc.history.push(SetLayerProperty(doc.layers[0].uid, "tag", "topwear"))
    doc.history.push(merge_down_command(doc, doc.layers[1].uid))
    assert doc.layers[0].tag == "topwear"


def test_duplicate_delete_sort() -> None:
    doc = make_doc()
    arm = doc.layers[1]
    check_undo_redo(doc, duplicate_command(doc, arm.uid))
    copy = doc.layers[2]
    assert copy.name == "arm copy" and copy.uid != arm.uid and np.array_equal(copy.rgba, arm.rgba)
    assert copy.rgba is arm.rgba and not copy.rgba.flags.writeable  # immutable pixels are shared, not copied
    check_undo_redo(doc, delete_command(doc, copy.uid))
    assert [x.name for x in doc.layers] == ["body", "arm", "hat"]
    doc.history.push(SetLayerProperty(doc.layers[0].uid, "depth_value", 0.05))
    check_undo_redo(doc, sort_by_depth_command(doc))
    assert [x.name for x in doc.layers] == ["arm", "hat", "body"]


def test_set_mask_box_and_canvas_sized() -> None:
    doc = make_doc()
    body = doc.layers[0]
    alpha = np.zeros((10, 12), np.uint8)
    alpha[2:5, 3:7] = 255
    check_undo_redo(doc, set_mask_command(doc, body.uid, alpha))
    assert np.array_equal(doc.layers[0].alpha, alpha) and doc.layers[0].depth is not None
    canvas = np.zeros((20, 24), bool)
    canvas[3:5, 2:4] = True
    doc.history.push(set_mask_command(doc, body.uid, canvas))
    assert int((doc.layers[0].alpha == 255).sum()) == 4 and doc.layers[0].alpha[0, 0] == 255
    with pytest.raises(BadInput):
        set_mask_command(doc, body.uid, np.zeros((3, 3), np.uint8))
