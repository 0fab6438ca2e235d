"""The annotation domain as a value: an immutable label set, changed only by commands on the annotation document's
one history (every label edit kind undoes and redoes, and the label file follows), O(1) snapshots, label operations
with declared parameters (JSON round trip, refusals with the key's path), results applied only while the labels are
those of their snapshot, and workers that render their own model copy at the snapshot's pose."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seethrough.annotation.document import AnnotationDocument, ChangeLabels
from seethrough.annotation.label_operations import (
    LABEL_OPERATIONS,
    AcceptLabels,
    AssignTag,
    AutoLabel,
    ClearTags,
    PropagateLabels,
    SetExcludedParts,
    commit,
    parse_label_operation,
    perform,
)
from seethrough.annotation.labels import LabelEntry, LabelSet, LabelStore
from seethrough.core.errors import BadInput
from seethrough.core.operations import Stale
from seethrough.core.paths import fixtures_dir

IDS = ("Face", "Hair", "Eye", "Mouth")
FIXTURES = fixtures_dir()


def _document(tmp_path: Path) -> AnnotationDocument:
    return AnnotationDocument(LabelSet(IDS), label_path=tmp_path / "m.labels.json", model_id="abc")


def _on_disk(doc: AnnotationDocument) -> dict[str, str]:
    assert doc.label_path is not None
    entries = json.loads(doc.label_path.read_text(encoding="utf-8"))["entries"]
    return {mid: e["tag"] for mid, e in entries.items()}


def test_a_label_set_is_a_value() -> None:
    labels = LabelSet(IDS)
    changed = labels.with_changes(labels.changes({"Face": ("face", "human")}))
    assert labels.tags() == {} and changed.tags() == {"Face": "face"}  # the original is untouched
    assert changed.entry("Face") == LabelEntry("face", "human", changed.entry("Face").time)
    with pytest.raises(TypeError):
        changed.entries["Hair"] = LabelEntry("back hair", "human")  # type: ignore[index]
    with pytest.raises(AttributeError):
        changed.taxonomy_version = "v2"  # type: ignore[misc]
    same = changed.changes({"Face": ("face", "human")})
    assert same == {} and changed.with_changes(same) is changed  # nothing to change: the very same set
    with pytest.raises(BadInput, match="NotAMesh"):
        labels.changes({"NotAMesh": ("face", "human")})


def test_snapshots_share_the_values_and_do_not_follow_edits(tmp_path: Path) -> None:
    doc = _document(tmp_path)
    doc.set_pose({"ParamAngleX": 10.0})
    snap = doc.snapshot()
    assert snap.labels is doc.labels and snap.pose is doc.pose  # O(1): the immutable values themselves
    perform(doc, AssignTag(("Face",), "face"))
    doc.set_pose({"ParamAngleX": -10.0})
    doc.set_hidden({"Hair"})
    assert snap.labels.tags() == {} and dict(snap.pose) == {"ParamAngleX": 10.0} and snap.hidden == frozenset()
    assert doc.labels.tags() == {"Face": "face"} and doc.hidden == {"Hair"}
    assert snap.position != doc.snapshot().position


def test_every_label_edit_kind_undoes_and_redoes_on_the_one_history(tmp_path: Path) -> None:
    doc = _document(tmp_path)
    path = doc.label_path
    assert path is not None and not path.exists()  # nothing is written before an edit
    steps: list[tuple[object, dict[str, str]]] = []
    perform(doc, AssignTag(("Face", "Hair"), "face"))
    steps.append(("Tag as face", {"Face": "face", "Hair": "face"}))
    perform(doc, ClearTags(("Hair",)))
    steps.append(("Clear labels", {"Face": "face"}))
    doc.history.push(ChangeLabels(doc.labels.changes({"Eye": ("eyewhite", "eye-split", 0.4)}, provider="layout"),
                                  text="Auto-label"))
    steps.append(("Auto-label", {"Face": "face", "Eye": "eyewhite"}))
    perform(doc, AcceptLabels(("Eye", "Mouth")))  # Mouth is unlabelled: skipped
    steps.append(("Accept labels", {"Face": "face", "Eye": "eyewhite"}))
    assert doc.labels.source("Eye") == "human" and doc.labels.provider("Eye") is None
    perform(doc, SetExcludedParts(("PartBG",)))
    assert doc.labels.excluded_parts == {"PartBG"}
    assert doc.history.count == 5 and doc.history.undo_text == "Set excluded parts"
    assert json.loads(path.read_text(encoding="utf-8"))["excluded_parts"] == ["PartBG"]

    assert doc.history.undo() and doc.labels.excluded_parts == frozenset()
    for text, tags in reversed(steps):
        assert doc.labels.tags() == tags == _on_disk(doc)  # autosaved after every history change
        assert doc.history.undo_text == text
        assert doc.history.undo()
    assert doc.labels.tags() == {} == _on_disk(doc) and not doc.history.can_undo
    for text, tags in steps:
        assert doc.history.redo_text == text and doc.history.redo()
        assert doc.labels.tags() == tags == _on_disk(doc)
    assert doc.labels.source("Eye") == "human"


def test_a_store_keeps_no_undo_log_of_its_own(tmp_path: Path) -> None:
    store = LabelStore.open(tmp_path / "m.labels.json", IDS)
    store.set_tag(["Face"], "face")
    store.apply({"Hair": ("back hair", "name-match", 0.9)}, provider="layout")
    assert not hasattr(store, "undo") and store.history.count == 2
    assert store.history is store.document.history
    assert store.history.undo() and store.tags() == {"Face": "face"}
    assert LabelStore.open(tmp_path / "m.labels.json", IDS).tags() == {"Face": "face"}


def test_a_result_for_an_old_snapshot_is_refused_as_stale(tmp_path: Path) -> None:
    doc = _document(tmp_path)
    op = AssignTag(("Face",), "face")
    snap = doc.snapshot()
    plan = op.plan(snap)
    perform(doc, ClearTags(("Hair",)))  # nothing to clear: no step, the labels are the same set
    assert doc.labels is snap.labels
    perform(doc, AssignTag(("Eye",), "irides"))  # the labels changed meanwhile
    with pytest.raises(Stale, match="the labels changed while “Tag as face” was computed: nothing was applied"):
        commit(doc, snap, op, plan)
    assert doc.labels.tags() == {"Eye": "irides"} and doc.history.count == 1
    doc.set_pose({"ParamAngleX": 30.0})  # a pose change alone does not make a result stale
    fresh = doc.snapshot()
    doc.set_pose({"ParamAngleX": 0.0})
    assert commit(doc, fresh, op, op.plan(fresh)) is not None and doc.labels.tag("Face") == "face"


def test_operations_are_typed_and_serialisable() -> None:
    ops = [AssignTag(("Face",), "face"), ClearTags(("Face", "Hair")), AcceptLabels(("Eye",)),
           SetExcludedParts(("PartBG",)), AutoLabel(provider="layout", vote_poses=2), PropagateLabels(Path("a.json"))]
    assert {op.op for op in ops} == set(LABEL_OPERATIONS)
    for op in ops:
        assert parse_label_operation(json.loads(json.dumps(op.to_json()))) == op
    assert AutoLabel().to_json() == {"op": "auto-label"}  # defaults are left out
    with pytest.raises(BadInput, match=r"^vote_poses: 9 is out of range \(must be between 0 and 8\)$"):
        AutoLabel(vote_poses=9)
    with pytest.raises(BadInput, match=r"^operations\[2\]\.vote_poses: -1 is out of range"):
        parse_label_operation({"op": "auto-label", "vote_poses": -1}, "operations[2].")
    with pytest.raises(BadInput, match=r"^meshes: 0 items"):
        AssignTag((), "face")
    with pytest.raises(BadInput, match="unknown label operation 'paint'"):
        parse_label_operation({"op": "paint"})
    with pytest.raises(BadInput, match="tags: 'v9' is not one of v3, v2"):
        parse_label_operation({"op": "auto-label", "tags": "v9"})
    with pytest.raises(BadInput, match="'hat' is not a v3 tag"):
        AssignTag(("Face",), "hat").plan(AnnotationDocument(LabelSet(IDS)).snapshot())


needs_fixtures = pytest.mark.skipif(not (FIXTURES / "Hiyori").is_dir(), reason=f"Live2D fixtures not in {FIXTURES}")


@needs_fixtures
def test_auto_label_is_for_the_snapshot_pose_and_never_reads_the_live_model(tmp_path: Path) -> None:
    from seethrough.annotation.auto_label import label_automatically
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.session import open_labels

    folder = shutil.copytree(FIXTURES / "Hiyori", tmp_path / "Hiyori")
    live = load_model(folder / "Hiyori.model3.json")
    doc, warning = open_labels(live)
    assert warning == ""
    turned = {"ParamAngleX": 30.0, "ParamBodyAngleX": 10.0}
    doc.set_pose({**doc.pose, **turned})
    snap = doc.snapshot()
    doc.set_pose({p.id: p.default for p in live.parameters})  # the user turns back while the job would run
    live.core = None  # the live model cannot even be posed or read any more: a worker reading it would fail
    plan = AutoLabel().plan(snap)

    def reference(pose: dict[str, float]) -> dict[str, tuple[str, str]]:
        model = load_model(folder / "Hiyori.model3.json")
        model.set_parameters(pose)
        model.update()
        changes = label_automatically(model, LabelSet(snap.mesh_ids)).changes
        return {mid: (e.tag, e.source) for mid, e in changes.items() if e is not None}

    got = {mid: (e.tag, e.source) for mid, e in plan.command.changes.items() if e is not None}
    assert got == reference(turned)  # the snapshot's pose, rendered from the worker's own copy
    assert got != reference({})  # and the pose matters on Hiyori: the default pose labels some meshes otherwise
    assert commit(doc, snap, AutoLabel(), plan) is not None  # the labels are unchanged: the result applies
    assert doc.labels.tags() == {mid: tag for mid, (tag, _) in got.items()}
    assert doc.history.undo() and doc.labels.tags() == {}


@needs_fixtures
def test_propagation_reads_its_own_model_copy(tmp_path: Path) -> None:
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.session import open_labels

    source = shutil.copytree(FIXTURES / "Mark", tmp_path / "source" / "Mark") / "Mark.model3.json"
    target = shutil.copytree(FIXTURES / "Mark", tmp_path / "target" / "Mark") / "Mark.model3.json"
    ids = [m.id for m in load_model(source).artmeshes]
    LabelStore.open(source.with_name("Mark.labels.json"), ids).set_tag(["Face"], "face")
    live = load_model(target)
    doc, _ = open_labels(live)
    live.artmeshes, live.parts = [], {}  # a worker reading the live model's meshes would find none
    plan = perform(doc, PropagateLabels(source))
    assert plan.report.by_id == 1 and doc.labels.tags() == {"Face": "face"}
    assert doc.history.undo_text == "Propagate labels from Mark.model3.json"


@needs_fixtures
def test_a_model_changed_on_disk_is_refused_by_a_worker(tmp_path: Path) -> None:
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.session import open_labels

    path = shutil.copytree(FIXTURES / "Mark", tmp_path / "Mark") / "Mark.model3.json"
    doc, _ = open_labels(load_model(path))
    snap = doc.snapshot()
    shutil.rmtree(path.parent)
    shutil.copytree(FIXTURES / "Hiyori", path.parent)
    (path.parent / "Hiyori.model3.json").rename(path)
    with pytest.raises(BadInput, match="changed on disk since it was opened"):
        snap.load_model()
