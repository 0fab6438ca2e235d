"""One model identity for label files, the same in Annotate and on the command line (`annotation.model_identity`):
a file saved by Annotate's code opens on the CLI (`live2d label`, `live2d psd --labels`, `live2d export --labels`)
and the other way round; files written by older versions with either old identity (made here with the old formulas)
are recognised, never rewritten by being opened, and get the current identity on their next save; a file of
another model is refused in one line and left untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.annotation.label_operations import AssignTag, perform
from seethrough.annotation.labels import LabelStore, read_label_file
from seethrough.annotation.loader import load_model
from seethrough.annotation.model_identity import model_identity
from seethrough.annotation.session import open_labels
from seethrough.core.errors import BadInput
from seethrough.core.paths import fixtures_dir

REPO = Path(__file__).resolve().parents[2]
FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not in {FIXTURES}")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)


@pytest.fixture()
def mark(tmp_path: Path) -> Path:
    return shutil.copytree(FIXTURES / "Mark", tmp_path / "Mark") / "Mark.model3.json"


def _ids(model_file: Path) -> list[str]:
    return [m.id for m in load_model(model_file).artmeshes]


def old_gui_identity(ids: list[str]) -> str:
    """What Annotate wrote before: sha1 of the ids, each followed by a NUL."""
    return hashlib.sha1(b"".join(i.encode("utf-8") + b"\0" for i in ids)).hexdigest()


def old_cli_identity(moc: Path, ids: list[str]) -> str:
    """What `live2d label` wrote before: sha1 of the moc bytes, then of the ids."""
    return hashlib.sha1(moc.read_bytes() + b"".join(i.encode("utf-8") + b"\0" for i in ids)).hexdigest()


def _old_file(path: Path, model_id: str) -> str:
    text = json.dumps({"schema_version": 1, "model_id": model_id, "taxonomy_version": "v3", "excluded_parts": [],
                       "entries": {"Face": {"tag": "face", "source": "human", "time": 1.0}}})
    path.write_text(text, encoding="utf-8")
    return text


def _stored_id(path: Path) -> str:
    return json.loads(path.read_text(encoding="utf-8"))["model_id"]


def test_the_identity_is_the_moc_bytes_and_the_ids(mark: Path) -> None:
    ids = _ids(mark)
    identity = model_identity(load_model(mark))
    assert identity.current == old_cli_identity(mark.with_name("Mark.moc3"), ids)
    assert identity.legacy == (old_gui_identity(ids),)


def test_a_label_file_saved_by_annotate_opens_on_the_cli_and_back(mark: Path, tmp_path: Path) -> None:
    doc, warning = open_labels(load_model(mark))  # what Annotate opens a model with
    assert warning == "" and doc.label_path == mark.with_name("Mark.labels.json")
    perform(doc, AssignTag(("Face",), "face"))
    saved = doc.label_path.read_text(encoding="utf-8")
    assert _stored_id(doc.label_path) == model_identity(load_model(mark)).current

    run = _cli("live2d", "label", str(mark), "--json")  # writes the same file, next to the model
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["output"] == str(doc.label_path)
    entries = json.loads(doc.label_path.read_text(encoding="utf-8"))["entries"]
    assert entries["Face"]["source"] == "human" and len(entries) == 30  # the person's label kept, the rest filled
    assert json.loads(saved)["model_id"] == _stored_id(doc.label_path)

    back, warning = open_labels(load_model(mark))  # and Annotate opens what the CLI wrote
    assert warning == "" and back.labels.source("Face") == "human" and back.labels.labelled() == 30
    psd = _cli("live2d", "psd", str(mark), "-o", str(tmp_path / "m.psd"), "--labels", str(doc.label_path),
               "--size", "256")
    assert psd.returncode == 0, psd.stderr


@pytest.mark.parametrize("formula", ["gui", "cli"])
def test_old_label_files_are_recognised_and_upgraded_on_the_next_save(mark: Path, tmp_path: Path,
                                                                        formula: str) -> None:
    ids = _ids(mark)
    old_id = old_gui_identity(ids) if formula == "gui" else old_cli_identity(mark.with_name("Mark.moc3"), ids)
    path = mark.with_name("Mark.labels.json")
    text = _old_file(path, old_id)
    current = model_identity(load_model(mark)).current

    doc, warning = open_labels(load_model(mark))  # Annotate
    assert warning == "" and doc.labels.tag("Face") == "face"
    assert path.read_text(encoding="utf-8") == text  # opening never rewrites
    assert LabelStore.open(path, ids, model_identity(load_model(mark))).tag("Face") == "face"
    found = read_label_file(path, ids, model_identity(load_model(mark)))
    assert found.stored_id == old_id and found.current == (formula == "cli")  # the CLI's formula is the identity
    psd = _cli("live2d", "psd", str(mark), "-o", str(tmp_path / "m.psd"), "--labels", str(path), "--size", "256")
    assert psd.returncode == 0, psd.stderr
    assert path.read_text(encoding="utf-8") == text

    perform(doc, AssignTag(("Face",), "neck"))  # the first edit saves with the identity
    assert _stored_id(path) == current and doc.labels.tag("Face") == "neck"
    if formula == "gui":  # the CLI recognises the old GUI file too, and writes the identity
        _old_file(path, old_id)
        run = _cli("live2d", "label", str(mark), "--provider", "none")
        assert run.returncode == 0, run.stderr
        assert _stored_id(path) == current
        assert json.loads(path.read_text(encoding="utf-8"))["entries"]["Face"]["source"] == "human"


def test_a_label_file_of_another_model_is_refused_and_left_untouched(mark: Path, tmp_path: Path) -> None:
    ids = _ids(mark)  # the same ids, but made on another moc (e.g. a template's ids): not this model's labels
    path = mark.with_name("Mark.labels.json")
    text = _old_file(path, hashlib.sha1(b"another moc" + "".join(i + "\0" for i in ids).encode()).hexdigest())
    with pytest.raises(BadInput, match="is for another model"):
        LabelStore.open(path, ids, model_identity(load_model(mark)))
    run = _cli("live2d", "psd", str(mark), "-o", str(tmp_path / "m.psd"), "--labels", str(path))
    assert run.returncode == 2 and "another model" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    doc, warning = open_labels(load_model(mark))  # Annotate labels into a side file
    assert "another model" in warning and doc.label_path != path and doc.labels.tags() == {}
    perform(doc, AssignTag(("Face",), "face"))
    assert path.read_text(encoding="utf-8") == text and doc.label_path.is_file()
