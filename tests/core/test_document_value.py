"""The document as a value: frozen layers with read-only arrays, O(1) snapshots that later edits never touch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from seethrough.core.commands import (
    MoveLayer,
    ReplaceDocument,
    ReplaceLayers,
    SetLayerPixels,
    SetLayerProperty,
)
from seethrough.core.compositing import composite
from seethrough.core.document import Document, DocumentLike, DocumentSnapshot, Layer, frozen_array
from seethrough.core.io.project import load_project, save_project
from seethrough.core.io.psd_export import export_png_folder, export_psd
from seethrough.core.io.psd_import import import_psd
from seethrough.core.layer_ops import merge_down_command
from seethrough.core.metrics import reconstruction_check
from seethrough.core.parallax import ParallaxRig
from seethrough.core.stratify import stratify_command
from tests.core.helpers import snapshot as rows
from tests.core.helpers import solid


def _doc() -> Document:
    rng = np.random.default_rng(3)
    a = Layer("a", rng.integers(0, 256, (6, 8, 4), dtype=np.uint8), (1, 1), depth=np.full((6, 8), 0.8, np.float32))
    b = Layer("b", rng.integers(0, 256, (5, 5, 4), dtype=np.uint8), (3, 2), depth=np.full((5, 5), 0.2, np.float32))
    source = rng.integers(0, 256, (12, 16, 4), dtype=np.uint8)
    return Document((16, 12), [a, b], source=source, metadata={"name": "x", "pose": {"angle": 1}})


def test_layer_fields_cannot_be_assigned() -> None:
    layer = _doc().layers[0]
    for name, value in [("name", "y"), ("rgba", np.zeros((1, 1, 4), np.uint8)), ("offset", (0, 0)),
                        ("depth", None), ("depth_value", 0.1), ("visible", False), ("locked", True)]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(layer, name, value)
    assert layer.name == "a" and layer.visible


def test_layer_arrays_are_read_only() -> None:
    doc = _doc()
    layer = doc.layers[0]
    before = layer.rgba.copy()
    with pytest.raises(ValueError, match="read-only"):
        layer.rgba[0, 0] = 0
    with pytest.raises(ValueError, match="read-only"):
        layer.rgba[..., 3] += 1
    with pytest.raises(ValueError, match="read-only"):
        layer.depth[:] = 0.0  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        layer.alpha[:] = 0  # a view of the pixels is read-only too
    with pytest.raises(ValueError, match="read-only"):
        np.multiply(layer.rgba, 2, out=layer.rgba)
    with pytest.raises(ValueError):
        layer.rgba.flags.writeable = True  # a view of frozen memory cannot be thawed
    assert np.array_equal(layer.rgba, before)
    with pytest.raises(ValueError, match="read-only"):
        doc.source[0, 0, 0] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        doc.metadata["name"] = "z"  # type: ignore[index]


def test_layer_takes_over_owned_arrays_and_copies_foreign_views() -> None:
    owned = np.zeros((4, 4, 4), np.uint8)
    layer = Layer("owned", owned)
    assert np.shares_memory(layer.rgba, owned) and not owned.flags.writeable  # handed over: no copy, now frozen
    big = np.zeros((8, 8, 4), np.uint8)
    view = Layer("view", big[2:6, 2:6])
    assert not np.shares_memory(view.rgba, big)  # a view into someone's writeable buffer is copied
    big[3, 3] = 255
    assert view.rgba.max() == 0
    shared = Layer("slice", layer.rgba[1:3])  # a read-only view of frozen memory is shared
    assert np.shares_memory(shared.rgba, layer.rgba)
    assert frozen_array(layer.rgba) is layer.rgba


def test_pickled_and_deep_copied_layers_stay_frozen() -> None:
    import copy
    import pickle

    layer = _doc().layers[0]
    for twin in (pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)):
        assert twin.uid == layer.uid and np.array_equal(twin.rgba, layer.rgba)
        assert np.array_equal(twin.depth, layer.depth)
        with pytest.raises(ValueError, match="read-only"):
            twin.rgba[0, 0] = 0
        with pytest.raises(dataclasses.FrozenInstanceError):
            twin.name = "x"  # type: ignore[misc]


def test_replace_builds_a_new_layer_and_leaves_the_old_one() -> None:
    layer = _doc().layers[0]
    renamed = dataclasses.replace(layer, name="renamed")
    assert layer.name == "a" and renamed.name == "renamed" and renamed.uid == layer.uid
    assert renamed.rgba is layer.rgba  # O(1): the read-only pixels are shared


def test_snapshot_is_o1_and_shares_everything() -> None:
    doc = _doc()
    snap = doc.snapshot()
    assert isinstance(snap, DocumentSnapshot) and isinstance(snap, DocumentLike) and isinstance(doc, DocumentLike)
    assert snap.layers == doc.layers and all(a is b for a, b in zip(snap.layers, doc.layers, strict=True))
    assert snap.source is doc.source and snap.metadata is doc.metadata and snap.size == doc.size
    for mine, theirs in zip(snap.layers, doc.layers, strict=True):
        assert mine.rgba is theirs.rgba and np.shares_memory(mine.rgba, theirs.rgba)
    assert snap.position == doc.history.position
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.layers = ()  # type: ignore[misc]


def test_snapshot_unaffected_by_later_commands() -> None:
    doc = _doc()
    snap = doc.snapshot()
    frozen_rows = rows(doc)
    a, b = doc.layers
    doc.history.push(SetLayerProperty(a.uid, "name", "renamed"))
    doc.history.push(SetLayerProperty(a.uid, "opacity", 0.3))
    doc.history.push(SetLayerPixels(b.uid, np.full((2, 2, 4), 9, np.uint8), offset=(0, 0)))
    doc.history.push(MoveLayer(b.uid, 0))
    doc.history.push(merge_down_command(doc, doc.layers[1].uid))
    doc.history.push(ReplaceLayers([], [solid("new", (3, 3), (1, 2, 3, 255))]))
    doc.history.push(ReplaceDocument((4, 4), [solid("only", (4, 4), (9, 9, 9, 255))], None, {"other": 1}))
    assert doc.size == (4, 4) and len(doc.layers) == 1 and doc.source is None
    assert rows(snap) == frozen_rows  # type: ignore[arg-type]
    assert snap.size == (16, 12) and snap.metadata["name"] == "x" and snap.source is not None
    assert [layer.name for layer in snap.layers] == ["a", "b"]


def test_read_side_functions_take_a_snapshot(tmp_path) -> None:
    doc = _doc()
    snap = doc.snapshot()
    assert np.array_equal(composite(snap), composite(doc))
    save_project(snap, tmp_path / "snap.seethrough")
    doc.history.push(SetLayerProperty(doc.layers[0].uid, "name", "after"))
    loaded = load_project(tmp_path / "snap.seethrough")
    assert [layer.name for layer in loaded.layers] == ["a", "b"]  # exactly what the snapshot held
    assert np.array_equal(loaded.layers[0].rgba, snap.layers[0].rgba)
    assert dict(loaded.metadata) == {"name": "x", "pose": {"angle": 1}}
    command = stratify_command(snap, snap.layers[1].uid, k=1, inpaint="none")  # builders read a snapshot too
    assert isinstance(command, ReplaceLayers)
    export_psd(snap, tmp_path / "snap.psd")
    assert [layer.name for layer in import_psd(tmp_path / "snap.psd").layers] == ["a", "b"]
    export_png_folder(snap, tmp_path / "pngs")
    assert sorted(p.name for p in (tmp_path / "pngs").glob("*.png"))
    assert reconstruction_check(snap).mean_abs == reconstruction_check(doc.snapshot()).mean_abs
    assert ParallaxRig(snap).pose()


def test_replace_document_undoes_and_redoes_everything() -> None:
    doc = _doc()
    before = doc.snapshot()
    other = Document((5, 7), [solid("z", (5, 7), (1, 1, 1, 255))], source=np.zeros((7, 5, 4), np.uint8),
                     metadata={"decompose": {"seed": 1}})
    events: list[str] = []
    doc.subscribe(lambda event, payload: events.append(event))
    doc.history.push(ReplaceDocument.of(other, "Decompose"))
    assert doc.size == (5, 7) and doc.layers == other.layers and doc.metadata["decompose"] == {"seed": 1}
    assert doc.history.undo_text == "Decompose" and "document" in events and "layers" in events
    doc.history.undo()
    assert doc.size == before.size and doc.layers == before.layers and doc.source is before.source
    assert doc.metadata is before.metadata
    doc.history.redo()
    assert doc.size == (5, 7) and doc.layers == other.layers and doc.source is other.source
