"""A locked layer's pixels, mask, name and existence cannot change; visibility, lock and order still can."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.commands import (
    LAYER_PROPERTIES,
    UNLOCKED_PROPERTIES,
    MoveLayer,
    ReplaceLayers,
    SetLayerPixels,
    SetLayerProperty,
)
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput, LayerLocked
from seethrough.core.layer_ops import (
    delete_command,
    duplicate_command,
    merge_down_command,
    set_mask_command,
    sort_by_depth_command,
)
from seethrough.core.stratify import lr_split_command, stratify_command
from tests.core.helpers import snapshot


def _two_blobs(name: str, locked: bool) -> Layer:
    """Two separate squares (so it can be split left/right) with two depth levels (so it can be stratified)."""
    rgba = np.zeros((12, 30, 4), np.uint8)
    rgba[2:10, 2:10] = (200, 50, 50, 255)
    rgba[2:10, 20:28] = (50, 50, 200, 255)
    depth = np.full((12, 30), 0.8, np.float32)
    depth[:, 15:] = 0.2
    return Layer(name, rgba, (1, 1), tag="handwear", depth=depth, depth_value=0.5, locked=locked)


@pytest.fixture()
def doc() -> Document:
    return Document((32, 16), [_two_blobs("below", False), _two_blobs("kept", True), _two_blobs("above", False)])


def _refused(doc: Document, build) -> LayerLocked:
    """The operation raises LayerLocked naming the locked layer in one line, and the document is unchanged."""
    before, index = snapshot(doc), doc.history.index
    with pytest.raises(LayerLocked) as info:
        doc.history.push(build())
    message = str(info.value)
    assert "'kept'" in message and "locked" in message and "\n" not in message
    assert isinstance(info.value, BadInput)
    assert snapshot(doc) == before and doc.history.index == index and not doc.history.can_redo
    return info.value


def test_merge_refused_both_ways(doc: Document) -> None:
    kept = doc.layers[1]
    _refused(doc, lambda: merge_down_command(doc, kept.uid))  # locked layer merged into the one below
    _refused(doc, lambda: merge_down_command(doc, doc.layers[2].uid))  # a layer merged into the locked one


def test_delete_replace_stratify_split_refused(doc: Document) -> None:
    uid = doc.layers[1].uid
    _refused(doc, lambda: delete_command(doc, uid))
    _refused(doc, lambda: ReplaceLayers([uid], []))
    _refused(doc, lambda: ReplaceLayers([doc.layers[0].uid, uid], [_two_blobs("new", False)]))
    _refused(doc, lambda: stratify_command(doc, uid, k=2, inpaint="none"))
    _refused(doc, lambda: stratify_command(doc, uid, k=2, inpaint="opencv"))  # inpainting the far stratum
    _refused(doc, lambda: lr_split_command(doc, uid))


def test_pixel_and_mask_edits_refused(doc: Document) -> None:
    layer = doc.layers[1]
    _refused(doc, lambda: SetLayerPixels(layer.uid, np.zeros((2, 2, 4), np.uint8)))
    _refused(doc, lambda: set_mask_command(doc, layer.uid, np.zeros(layer.rgba.shape[:2], bool)))


@pytest.mark.parametrize("prop", sorted(LAYER_PROPERTIES - UNLOCKED_PROPERTIES))
def test_protected_properties_refused(doc: Document, prop: str) -> None:
    value = {"name": "renamed", "tag": "face", "opacity": 0.5, "depth_value": 0.1, "provenance": "x",
             "blend_mode": "multiply"}[prop]
    _refused(doc, lambda: SetLayerProperty(doc.layers[1].uid, prop, value))


def test_refusal_inside_a_transaction_rolls_back(doc: Document) -> None:
    before = snapshot(doc)
    with pytest.raises(LayerLocked), doc.history.transaction("several"):
        doc.history.push(SetLayerProperty(doc.layers[0].uid, "name", "first"))
        doc.history.push(delete_command(doc, doc.layers[1].uid))
    assert snapshot(doc) == before and doc.history.index == 0


def test_visibility_lock_order_and_copy_stay_allowed(doc: Document) -> None:
    kept = doc.layers[1]
    doc.history.push(SetLayerProperty(kept.uid, "visible", False))
    assert not doc.layer(kept.uid).visible
    doc.history.push(MoveLayer(kept.uid, 2))
    doc.history.push(sort_by_depth_command(doc))
    doc.history.push(duplicate_command(doc, kept.uid))  # a copy is a new layer; the original is untouched
    assert len(doc.layers) == 4
    doc.history.push(SetLayerProperty(kept.uid, "locked", False))  # unlocking is allowed…
    doc.history.push(SetLayerProperty(kept.uid, "name", "renamed"))  # …and then the edit is
    assert doc.layer(kept.uid).name == "renamed"
    doc.history.push(delete_command(doc, kept.uid))
    assert kept.uid not in {layer.uid for layer in doc.layers}
    while doc.history.undo():
        pass
    assert doc.layer(kept.uid) is kept  # undo restores the very same (locked) layer value


def test_snapshot_builders_refuse_too(doc: Document) -> None:
    snap = doc.snapshot()
    with pytest.raises(LayerLocked, match="'kept'"):
        stratify_command(snap, snap.layers[1].uid, k=2, inpaint="none")
