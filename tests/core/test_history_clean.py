"""The clean (saved) state follows QUndoStack's rules, and a save marks exactly the snapshot it wrote."""

from __future__ import annotations

import pytest

from seethrough.core.commands import History, ReplaceLayers, SetLayerProperty
from seethrough.core.document import Document
from seethrough.core.io.project import load_project, save_project
from tests.core.helpers import solid


@pytest.fixture()
def doc() -> Document:
    return Document((8, 8), [solid("a", (4, 4), (255, 0, 0, 255)), solid("b", (4, 4), (0, 255, 0, 255), (4, 4))])


def _rename(doc: Document, name: str, i: int = 0) -> None:
    doc.history.push(SetLayerProperty(doc.layers[i].uid, "name", name))


def _opacity(doc: Document, value: float, i: int = 0) -> None:
    doc.history.push(SetLayerProperty(doc.layers[i].uid, "opacity", value))


def test_new_document_is_clean(doc: Document) -> None:
    assert doc.history.is_clean and doc.history.clean_index == 0
    _rename(doc, "x")
    assert not doc.history.is_clean and doc.history.clean_index == 0


def test_save_undo_other_edit_is_dirty(doc: Document) -> None:
    _rename(doc, "x")
    doc.history.mark_clean(doc.snapshot())
    assert doc.history.is_clean and doc.history.clean_index == 1
    doc.history.undo()
    assert not doc.history.is_clean and doc.history.clean_index == 1  # still reachable by redo
    _rename(doc, "y", 1)  # a different edit at the same index
    assert doc.history.index == 1
    assert not doc.history.is_clean and doc.history.clean_index is None
    doc.history.undo()
    assert not doc.history.is_clean  # the saved state is gone for good
    doc.history.redo()
    assert not doc.history.is_clean


def test_drag_after_save_is_dirty_and_a_separate_step(doc: Document) -> None:
    _opacity(doc, 0.9)
    _opacity(doc, 0.8)
    assert doc.history.index == 1  # a drag merges into one step
    doc.history.mark_clean(doc.snapshot())
    _opacity(doc, 0.7)
    _opacity(doc, 0.6)
    assert not doc.history.is_clean
    assert doc.history.index == 2  # did not merge into the saved command; the new drag merges with itself
    doc.history.undo()
    assert doc.history.is_clean and doc.layers[0].opacity == pytest.approx(0.8)
    doc.history.undo()
    assert doc.layers[0].opacity == 1.0 and not doc.history.is_clean


def test_edits_made_while_a_save_runs_stay_dirty(doc: Document, tmp_path) -> None:
    _rename(doc, "saved")
    snap = doc.snapshot()  # the save job starts with this
    _rename(doc, "edited during the save", 1)  # the user keeps editing
    save_project(snap, tmp_path / "p.seethrough")  # the job writes the snapshot…
    doc.history.mark_clean(snap)  # …and the UI thread records what was written
    assert not doc.history.is_clean and doc.history.clean_index == 1
    assert [layer.name for layer in load_project(tmp_path / "p.seethrough").layers] == ["saved", "b"]
    doc.history.undo()
    assert doc.history.is_clean  # back to exactly what is on disk


def test_save_during_a_drag_that_merges_stays_dirty(doc: Document) -> None:
    _opacity(doc, 0.9)
    snap = doc.snapshot()
    _opacity(doc, 0.5)  # merges into the same step: the snapshot's state no longer exists
    doc.history.mark_clean(snap)
    assert doc.history.index == snap.position.index
    assert not doc.history.is_clean and doc.history.clean_index is None


def test_undo_back_to_saved_state_is_clean_again(doc: Document) -> None:
    _rename(doc, "x")
    doc.history.set_clean()
    _rename(doc, "y")
    _rename(doc, "z", 1)
    assert not doc.history.is_clean
    doc.history.undo()
    assert not doc.history.is_clean
    doc.history.undo()
    assert doc.history.is_clean
    doc.history.undo()
    assert not doc.history.is_clean


def test_redo_reaches_the_saved_state(doc: Document) -> None:
    _rename(doc, "x")
    _rename(doc, "y")
    doc.history.set_clean()
    doc.history.undo()
    doc.history.undo()
    assert not doc.history.is_clean and doc.history.clean_index == 2
    doc.history.redo()
    assert not doc.history.is_clean
    doc.history.redo()
    assert doc.history.is_clean
    # a save of a snapshot the user has since undone: clean once redone
    doc.history.undo()
    snap_before = doc.snapshot()
    doc.history.redo()
    doc.history.undo()
    doc.history.mark_clean(snap_before)
    assert doc.history.is_clean
    doc.history.redo()
    assert not doc.history.is_clean and doc.history.clean_index == 1


def test_transactions_are_one_step_for_the_clean_state(doc: Document) -> None:
    doc.history.set_clean()
    with doc.history.transaction("two renames"):
        _rename(doc, "x")
        assert not doc.history.is_clean  # mid-transaction the content differs from what is saved
        snap_inside = doc.snapshot()
        _rename(doc, "y", 1)
    assert not doc.history.is_clean and doc.history.index == 1
    doc.history.undo()
    assert doc.history.is_clean
    doc.history.redo()
    doc.history.mark_clean(snap_inside)  # a half-done transaction was never a state of the history
    assert not doc.history.is_clean and doc.history.clean_index is None
    doc.history.set_clean()
    with pytest.raises(RuntimeError), doc.history.transaction("fails"):
        _rename(doc, "z")
        raise RuntimeError("boom")
    assert doc.history.is_clean and doc.layers[0].name == "x"


def test_drag_does_not_merge_into_a_saved_transaction(doc: Document) -> None:
    with doc.history.transaction("drag"):
        _opacity(doc, 0.5)
    doc.history.set_clean()
    _opacity(doc, 0.4)
    assert doc.history.index == 2 and not doc.history.is_clean


def test_history_limit_dropping_the_clean_command(doc: Document) -> None:
    doc.history.limit = 3
    doc.history.set_clean()  # clean = the empty history
    for i in range(3):
        _rename(doc, f"n{i}")
    assert doc.history.clean_index == 0
    _rename(doc, "n3")  # the first step is dropped: the saved state can no longer be reached
    assert doc.history.index == 3 and doc.history.clean_index is None
    while doc.history.undo():
        pass
    assert doc.layers[0].name == "n0" and not doc.history.is_clean


def test_history_limit_keeps_a_later_clean_state(doc: Document) -> None:
    doc.history.limit = 3
    _rename(doc, "n0")
    _rename(doc, "n1")
    doc.history.set_clean()
    assert doc.history.clean_index == 2
    _rename(doc, "n2")
    _rename(doc, "n3")  # drops n0: the saved state moves down one index
    assert doc.history.clean_index == 1
    doc.history.undo()
    doc.history.undo()
    assert doc.history.is_clean and doc.layers[0].name == "n1"
    _rename(doc, "m")  # drops nothing (2 done), clears the redo
    doc.history.undo()
    assert doc.history.is_clean


def test_failed_command_changes_nothing(doc: Document) -> None:
    doc.history.set_clean()
    with pytest.raises(KeyError):
        doc.history.push(ReplaceLayers(["no such uid"], []))
    assert doc.history.is_clean and doc.history.index == 0 and len(doc.layers) == 2


def test_clear_and_reset_clean(doc: Document) -> None:
    _rename(doc, "x")
    old = doc.snapshot()
    doc.history.clear()
    assert doc.history.is_clean and not doc.history.can_undo
    doc.history.mark_clean(old)  # a snapshot from before the clear names no state of this history
    assert not doc.history.is_clean
    doc.history.set_clean()
    doc.history.reset_clean()
    assert not doc.history.is_clean and doc.history.clean_index is None


def test_history_events_on_clean_changes(doc: Document) -> None:
    events: list[str] = []
    doc.subscribe(lambda event, payload: events.append(event))
    _rename(doc, "x")
    events.clear()
    doc.history.set_clean()
    assert events == ["history"]
    assert isinstance(doc.history, History) and doc.history.position.index == 1
