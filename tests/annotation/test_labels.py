"""LabelStore: round trip, undo/redo, validation on load, provenance (schema 2, schema 1 files still read), and
autosave that survives kill -9."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.annotation.labels import SCHEMA_VERSION, LabelStore
from seethrough.core.errors import BadInput, NewerSchema

REPO = Path(__file__).resolve().parents[2]
IDS = [f"ArtMesh{i}" for i in range(10)]


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.labels.json"
    s = LabelStore.open(path, IDS)
    s.set_tag(["ArtMesh1", "ArtMesh2"], "face")
    s.apply({"ArtMesh3": ("front hair", "name-match")})
    s.set_excluded_parts(["PartBG"])
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION and data["model_id"] == s.model_id
    t = LabelStore.open(path, IDS)
    assert t.tags() == {"ArtMesh1": "face", "ArtMesh2": "face", "ArtMesh3": "front hair"}
    assert t.source("ArtMesh3") == "name-match" and t.source("ArtMesh1") == "human"
    assert t.excluded_parts == {"PartBG"}


def test_undo_redo(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    s = LabelStore.open(path, IDS)
    s.set_tag(["ArtMesh1"], "face")
    s.set_tag(["ArtMesh1", "ArtMesh2"], "neck")
    s.apply({"ArtMesh4": ("mouth", "name-match"), "ArtMesh5": ("nose", "sibling-vote")})
    s.clear(["ArtMesh2"])
    assert s.tag("ArtMesh2") is None
    assert s.history.undo() and s.tag("ArtMesh2") == "neck"
    assert s.history.undo() and s.tag("ArtMesh4") is None and s.tag("ArtMesh5") is None  # batch = one step
    assert s.history.undo() and s.tag("ArtMesh1") == "face" and s.tag("ArtMesh2") is None
    assert LabelStore.open(path, IDS).tags() == {"ArtMesh1": "face"}  # undo is autosaved too
    assert s.history.redo() and s.tag("ArtMesh2") == "neck"
    s.set_tag(["ArtMesh9"], "ears")
    assert not s.history.can_redo
    assert s.history.undo() and s.history.undo() and s.history.undo() and not s.history.undo()
    assert s.tags() == {}


def test_automatic_labels_name_their_provider_and_schema_1_files_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    old = {"schema_version": 1, "model_id": "x", "taxonomy_version": "v3", "excluded_parts": [],
           "entries": {"ArtMesh1": {"tag": "face", "source": "name-match", "time": 1.0, "confidence": 0.9},
                       "ArtMesh2": {"tag": "neck", "source": "human", "time": 2.0}}}
    path.write_text(json.dumps(old), encoding="utf-8")
    s = LabelStore.open(path, IDS)
    assert s.tags() == {"ArtMesh1": "face", "ArtMesh2": "neck"} and s.provider("ArtMesh1") is None
    assert path.read_text(encoding="utf-8") == json.dumps(old)  # reading never rewrites
    s.apply({"ArtMesh1": ("face", "name-match", 0.9), "ArtMesh3": ("mouth", "seed-layout", 0.4),
             "ArtMesh2": ("neck", "human")}, provider="layout")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == 2 == SCHEMA_VERSION
    assert data["entries"]["ArtMesh1"]["provider"] == "layout"  # same label, now with its provider
    assert data["entries"]["ArtMesh3"] == {**data["entries"]["ArtMesh3"], "source": "seed-layout", "provider": "layout"}
    assert "provider" not in data["entries"]["ArtMesh2"]  # a person's label has no provider
    assert LabelStore.open(path, IDS).provider("ArtMesh3") == "layout"


def test_none_clears_a_label_in_the_same_undo_step(tmp_path: Path) -> None:
    s = LabelStore.open(tmp_path / "m.json", IDS)
    s.apply({"ArtMesh1": ("objects", "no-evidence", 0.1), "ArtMesh2": ("face", "name-match", 0.9)})
    assert s.apply({"ArtMesh1": None, "ArtMesh2": ("face", "name-match", 0.9), "ArtMesh3": None}) == 1
    assert s.tags() == {"ArtMesh2": "face"}
    assert s.history.undo() and s.tag("ArtMesh1") == "objects"


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "entries": {}}))
    with pytest.raises(NewerSchema):
        LabelStore.open(path, IDS)


def test_corrupt_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    raw = b'{"schema_version": 1, "entries": {"ArtMesh1": '
    path.write_bytes(raw)
    with pytest.raises(BadInput, match="untouched"):
        LabelStore.open(path, IDS)
    assert path.read_bytes() == raw


def test_foreign_ids_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    other = LabelStore.open(path, ["D_EYE_L", "D_EYE_R", "ArtMesh1"])
    other.set_tag(["D_EYE_L", "D_EYE_R", "ArtMesh1"], "irides")
    before = path.read_bytes()
    with pytest.raises(BadInput, match="D_EYE_L"):
        LabelStore.open(path, IDS)
    assert path.read_bytes() == before


def test_unknown_id_edit_refused(tmp_path: Path) -> None:
    s = LabelStore.open(tmp_path / "m.json", IDS)
    with pytest.raises(BadInput):
        s.set_tag(["nope"], "face")


_KILLER = """
import os, signal
from seethrough.annotation.labels import LabelStore
ids = [f"ArtMesh{{i}}" for i in range({n})]
s = LabelStore.open({path!r}, ids)
for i in range({n}):
    s.set_tag([ids[i]], "face" if i % 2 else "neck")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_autosave_survives_kill(tmp_path: Path) -> None:
    n = 40
    path = tmp_path / "killed.labels.json"
    code = _KILLER.format(n=n, path=str(path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    json.loads(path.read_text(encoding="utf-8"))  # valid JSON
    s = LabelStore.open(path, [f"ArtMesh{i}" for i in range(n)])
    assert len(s.tags()) >= n - 1
    assert s.tag("ArtMesh1") == "face" and s.tag("ArtMesh0") == "neck"
    assert not list(tmp_path.glob(".*.tmp"))
