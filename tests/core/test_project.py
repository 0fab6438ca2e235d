"""`.stproj` project files: exact round trip, newer-schema refusal, corrupt files, atomicity."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from seethrough.core.commands import SetLayerProperty
from seethrough.core.document import Document
from seethrough.core.errors import BadInput, NewerSchema
from seethrough.core.io import project as project_module
from seethrough.core.io.open_any import open_document, save_document
from seethrough.core.io.project import PLAIN_SCHEMA_VERSION, SCHEMA_VERSION, load_project, save_project
from tests.core.io_helpers import make_doc, with_layer

FIELDS = ("name", "tag", "offset", "depth_value", "visible", "opacity", "locked", "provenance", "uid")


def assert_same_document(a, b, check_uid: bool = True) -> None:
    assert a.size == b.size
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers, strict=True):
        for f in FIELDS:
            if f == "uid" and not check_uid:
                continue
            assert getattr(la, f) == getattr(lb, f), f
        np.testing.assert_array_equal(la.rgba, lb.rgba)
        if la.depth is None:
            assert lb.depth is None
        else:
            assert lb.depth.dtype == np.float32
            np.testing.assert_array_equal(la.depth, lb.depth)


def test_round_trip_is_exact(tmp_path):
    doc = with_layer(make_doc(), 1, depth=None)  # one layer without a per-pixel map
    path = tmp_path / "char.stproj"
    save_project(doc, path)
    back = load_project(path)
    assert_same_document(doc, back)
    np.testing.assert_array_equal(back.source, doc.source)
    assert back.metadata == doc.metadata
    assert not back.history.can_undo
    assert sorted(p.name for p in tmp_path.iterdir()) == ["char.stproj"]


def test_zip_layout(tmp_path):
    doc = make_doc()
    save_project(doc, tmp_path / "p.stproj")
    with zipfile.ZipFile(tmp_path / "p.stproj") as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("project.json"))
    assert manifest["schema_version"] == PLAIN_SCHEMA_VERSION == 1 and SCHEMA_VERSION == 2  # no masks: version 1
    assert manifest["canvas"] == [96, 80]
    assert "source.png" in names
    for layer in doc.layers:
        assert f"layers/{layer.uid}.png" in names
        assert f"layers/{layer.uid}_depth.npy" in names
    assert [e["name"] for e in manifest["layers"]] == [layer.name for layer in doc.layers]


def test_history_is_not_saved_but_edits_are(tmp_path):
    doc = make_doc()
    doc.history.push(SetLayerProperty(doc.layers[0].uid, "name", "renamed"))
    save_project(doc, tmp_path / "p.stproj")
    back = load_project(tmp_path / "p.stproj")
    assert back.layers[0].name == "renamed"
    assert not back.history.can_undo


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.stproj"
    save_project(make_doc(), path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["project.json"])
    manifest["schema_version"] = SCHEMA_VERSION + 1
    members["project.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(NewerSchema, match="newer See-through Studio"):
        load_project(path)
    with pytest.raises(NewerSchema):
        open_document(path)


def test_corrupt_zip_and_missing_member(tmp_path):
    path = tmp_path / "bad.stproj"
    save_project(make_doc(), path)
    data = path.read_bytes()
    (tmp_path / "cut.stproj").write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput):
        load_project(tmp_path / "cut.stproj")
    (tmp_path / "junk.stproj").write_bytes(b"not a zip at all")
    with pytest.raises(BadInput, match="corrupt zip"):
        load_project(tmp_path / "junk.stproj")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    victim = next(n for n in members if n.endswith("_depth.npy"))
    with zipfile.ZipFile(tmp_path / "missing.stproj", "w") as zf:
        for n, d in members.items():
            if n != victim:
                zf.writestr(n, d)
    with pytest.raises(BadInput, match="missing"):
        load_project(tmp_path / "missing.stproj")


def test_failed_save_keeps_old_project(tmp_path, monkeypatch):
    path = tmp_path / "p.stproj"
    save_project(make_doc(), path)
    before = path.read_bytes()
    doc = make_doc()
    bad = Document(doc.size, doc.layers, source=doc.source, metadata={"bad": object()})  # not JSON-serialisable
    with pytest.raises(BadInput):
        save_project(bad, path)
    real_encode, calls = project_module.encode_png, []

    def encode_then_fail(rgba):  # an encoder failure mid-zip, after the first layer was written
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("encoder failed")
        return real_encode(rgba)

    monkeypatch.setattr(project_module, "encode_png", encode_then_fail)
    with pytest.raises(ValueError):
        save_project(make_doc(), path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.stproj"]


def test_save_document_dispatch(tmp_path):
    doc = make_doc()
    save_document(doc, tmp_path / "x.stproj")
    assert_same_document(doc, open_document(tmp_path / "x.stproj"))
