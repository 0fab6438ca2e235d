"""The document's command log: every edit undoes and redoes exactly."""

import numpy as np
import pytest

from seethrough.core.commands import MoveLayer, ReorderLayers, ReplaceLayers, SetLayerPixels, SetLayerProperty
from seethrough.core.document import Document, Layer, crop_to_content, place, representative_depth


def _layer(name: str, value: int, depth: float) -> Layer:
    rgba = np.full((4, 6, 4), value, np.uint8)
    return Layer(name, rgba, offset=(1, 2), tag=name, depth=np.full((4, 6), depth, np.float32), depth_value=depth)


@pytest.fixture()
def doc() -> Document:
    return Document((16, 12), [_layer("a", 10, 0.9), _layer("b", 20, 0.5), _layer("c", 30, 0.1)])


def _state(doc: Document):
    return [(layer.uid, layer.name, layer.opacity, layer.visible, layer.rgba.tobytes()) for layer in doc.layers]


def test_undo_redo_every_command(doc):
    events = []
    doc.subscribe(lambda e, p: events.append(e))
    a, b, c = doc.layers
    new = _layer("n", 99, 0.3)
    commands = [
        SetLayerProperty(b.uid, "name", "renamed"),
        SetLayerProperty(a.uid, "visible", False),
        MoveLayer(c.uid, 0),
        ReorderLayers([b.uid, a.uid, c.uid]),
        ReplaceLayers([a.uid, b.uid], [new], text="merge"),
        SetLayerPixels(c.uid, np.zeros((2, 2, 4), np.uint8), offset=(5, 5)),
    ]
    snapshots = [_state(doc)]
    for command in commands:
        doc.history.push(command)
        snapshots.append(_state(doc))
    for expected in reversed(snapshots[:-1]):
        assert doc.history.undo()
        assert _state(doc) == expected
    assert not doc.history.undo()
    for expected in snapshots[1:]:
        assert doc.history.redo()
        assert _state(doc) == expected
    assert {"layers", "layer", "history"} <= set(events)


def test_opacity_drags_merge_into_one_step(doc):
    uid = doc.layers[0].uid
    for value in (0.9, 0.7, 0.5):
        doc.history.push(SetLayerProperty(uid, "opacity", value))
    assert doc.history.index == 1
    doc.history.undo()
    assert doc.layers[0].opacity == 1.0


def test_transaction_groups_and_rolls_back(doc):
    a, b, _ = doc.layers
    with doc.history.transaction("two renames"):
        doc.history.push(SetLayerProperty(a.uid, "name", "x"))
        doc.history.push(SetLayerProperty(b.uid, "name", "y"))
    assert doc.history.index == 1 and doc.history.undo_text == "two renames"
    doc.history.undo()
    assert [layer.name for layer in doc.layers[:2]] == ["a", "b"]
    with pytest.raises(RuntimeError), doc.history.transaction("fails"):
        doc.history.push(SetLayerProperty(a.uid, "name", "z"))
        raise RuntimeError("boom")
    assert doc.layers[0].name == "a" and doc.history.index == 0


def test_new_push_clears_redo_and_clean_state(doc):
    uid = doc.layers[0].uid
    doc.history.set_clean()
    doc.history.push(SetLayerProperty(uid, "name", "q"))
    assert not doc.history.is_clean
    doc.history.undo()
    assert doc.history.is_clean and doc.history.can_redo
    doc.history.push(SetLayerProperty(uid, "locked", True))
    assert not doc.history.can_redo


def test_unknown_property_rejected(doc):
    with pytest.raises(ValueError):
        SetLayerProperty(doc.layers[0].uid, "rgba", None)


def test_layer_validation_and_geometry():
    with pytest.raises(ValueError):
        Layer("bad", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError):
        Layer("bad", np.zeros((4, 4, 4), np.uint8), depth=np.zeros((3, 3)))
    layer = _layer("x", 200, 0.4)
    assert layer.bbox == (1, 2, 7, 6)
    canvas = layer.on_canvas((8, 8))
    assert canvas[2:6, 1:7, 3].min() == 200 and canvas[:2].max() == 0


def test_place_clips_outside_canvas():
    arr = np.arange(16, dtype=np.uint8).reshape(4, 4)
    out = place(arr, (-2, 3), (3, 5))
    np.testing.assert_array_equal(out[3:5, 0:2], arr[0:2, 2:4])
    assert out[:3].sum() == 0


def test_crop_to_content_and_median_depth():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[2:5, 3:9, 3] = 255
    depth = np.zeros((10, 10), np.float32)
    depth[2:5, 3:9] = 0.25
    depth[4, 3:9] = 0.75
    cropped, d, offset = crop_to_content(rgba, depth)
    assert cropped.shape == (3, 6, 4) and offset == (3, 2)
    layer = Layer("x", cropped, offset=offset, depth=d)
    assert representative_depth(layer) == pytest.approx(0.25)
