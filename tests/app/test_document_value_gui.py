"""The GUI side of the document as a value: a replaced document is one undo step, locked layers are refused with a
message (not an exception out of a slot) and their editors are disabled."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from seethrough.app import errors as app_errors
from seethrough.app.panels.layers_panel import LayersPanel
from seethrough.app.panels.properties_panel import PropertiesPanel
from seethrough.app.session import DocumentSession
from seethrough.core.commands import SetLayerProperty
from seethrough.core.document import Document, Layer


def _layer(name: str, value: int, locked: bool = False) -> Layer:
    return Layer(name, np.full((8, 8, 4), value, np.uint8), (2, 2), depth_value=value / 255, locked=locked)


@pytest.fixture()
def session(qtbot):
    session = DocumentSession()
    session.set_document(Document((16, 16), [_layer("bottom", 60), _layer("kept", 120, True), _layer("top", 200)]))
    return session


def test_replace_content_is_one_undoable_step(session, qtbot):
    doc = session.document
    original = doc.layers
    replaced: list[object] = []
    session.document_replaced.connect(replaced.append)
    result = Document((20, 10), [_layer("decomposed", 90)], source=np.zeros((10, 20, 4), np.uint8),
                      metadata={"decompose": {"steps": 2}})
    session.replace_content(result, "Decompose")
    assert session.document is doc and doc.size == (20, 10) and [la.name for la in doc.layers] == ["decomposed"]
    assert session.current_uid == doc.layers[0].uid and replaced == [doc]
    assert doc.history.can_undo and doc.history.undo_text == "Decompose" and not doc.history.is_clean
    session.undo()
    assert doc.layers == original and doc.size == (16, 16) and doc.source is None and doc.history.is_clean
    assert session.current_uid in {layer.uid for layer in original} and len(replaced) == 2


def test_replace_content_without_a_document_opens_it(qtbot):
    session = DocumentSession()
    content = Document((4, 4), [_layer("only", 10)])
    session.replace_content(content, "Decompose")
    assert session.document is content and not content.history.can_undo


def test_locked_layer_in_the_panels(session, qtbot):
    panel, props = LayersPanel(session), PropertiesPanel(session)
    qtbot.addWidget(panel)
    qtbot.addWidget(props)
    doc = session.document
    kept = doc.find("kept")
    session.set_current(kept.uid)
    assert not panel.buttons["merge"].isEnabled() and not panel.buttons["delete"].isEnabled()
    assert not panel.opacity.isEnabled() and panel.buttons["lock"].toolTip() == "Unlock layer"
    assert not props.name.isEnabled() and not props.opacity.isEnabled() and props.visible.isEnabled()
    row = panel.model.row_of(kept.uid)
    index = panel.model.index(row)
    assert not panel.model.flags(index) & Qt.ItemFlag.ItemIsEditable
    before = doc.layers
    panel.act("delete")  # even if triggered (shortcut, menu), the core refuses and the user is told
    assert doc.layers == before and "locked" in app_errors.last_message and "'kept'" in app_errors.last_message
    app_errors.last_message = ""
    panel.model.setData(index, "renamed", Qt.ItemDataRole.EditRole)
    assert doc.layer(kept.uid).name == "kept" and "locked" in app_errors.last_message
    panel.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not doc.layer(kept.uid).visible  # visibility stays allowed
    session.set_current(doc.find("top").uid)
    before = doc.layers
    panel.act("merge")  # merging into the locked layer below is refused too
    assert doc.layers == before and "'kept'" in app_errors.last_message
    session.push(SetLayerProperty(kept.uid, "locked", False))
    session.set_current(kept.uid)
    assert panel.buttons["delete"].isEnabled() and props.name.isEnabled()
    panel.act("delete")
    assert kept.uid not in {layer.uid for layer in doc.layers}


def test_edit_during_a_slow_save_stays_dirty_and_the_file_is_the_snapshot(session, qtbot, tmp_path, monkeypatch):
    import threading

    from PySide6.QtWidgets import QWidget

    from seethrough.app.file_actions import FileActions
    from seethrough.app.jobs import JobRunner
    from seethrough.core.io import project

    started, release = threading.Event(), threading.Event()
    real_save = project.save_project

    def slow_save(doc, path):  # the test hook: the save waits until the user has edited
        started.set()
        assert release.wait(30)
        real_save(doc, path)

    monkeypatch.setattr(project, "save_project", slow_save)
    window, jobs = QWidget(), JobRunner()
    qtbot.addWidget(window)
    actions = FileActions(session, jobs, window)
    doc = session.document
    top = doc.find("top")
    session.push(SetLayerProperty(top.uid, "name", "saved name"))
    target = tmp_path / "slow.stproj"
    actions._write(target, "project")
    assert started.wait(30)
    session.push(SetLayerProperty(top.uid, "name", "typed during the save"))  # on the UI thread, mid-save
    release.set()
    qtbot.waitUntil(lambda: not jobs.busy, timeout=30_000)
    assert jobs.wait(30_000)
    assert [layer.name for layer in project.load_project(target).layers] == ["bottom", "kept", "saved name"]
    assert not doc.history.is_clean and doc.history.clean_index == 1
    session.undo()
    assert doc.history.is_clean and doc.layer(top.uid).name == "saved name"


def _merge_panel(session, qtbot, monkeypatch, delay: float = 0.0):
    """A layers panel with its own job manager, whose merges record the thread that computes them (and are slowed
    by `delay` seconds, so that the test can edit while one runs)."""
    import threading
    import time

    from seethrough.app.jobs import JobManager
    from seethrough.core import layer_ops

    threads: list[str] = []
    original = layer_ops.merged_layer

    def recorded(lower, upper):
        threads.append(threading.current_thread().name)
        time.sleep(delay)
        return original(lower, upper)

    monkeypatch.setattr(layer_ops, "merged_layer", recorded)
    panel = LayersPanel(session)
    qtbot.addWidget(panel)
    panel.jobs = JobManager(panel, error_parent=panel)
    return panel, threads


def test_merge_down_is_computed_off_the_ui_thread_and_is_one_undo_step(session, qtbot, monkeypatch):
    import threading

    panel, threads = _merge_panel(session, qtbot, monkeypatch)
    doc = session.document
    session.push(SetLayerProperty(doc.find("kept").uid, "locked", False))
    before = doc.layers
    session.set_current(doc.find("top").uid)
    panel.act("merge")
    qtbot.waitUntil(lambda: len(doc.layers) == 2, timeout=30_000)
    assert threads and threading.main_thread().name not in threads
    assert [layer.name for layer in doc.layers] == ["bottom", "kept"] and doc.layers[1].provenance == "merge"
    assert doc.history.undo_text == "Merge top down"
    session.undo()
    assert doc.layers == before
    assert panel.jobs.wait(30_000)


def test_a_layer_edited_while_it_is_merged_is_left_as_edited(session, qtbot, monkeypatch):
    panel, _threads = _merge_panel(session, qtbot, monkeypatch, delay=1.0)
    doc = session.document
    session.push(SetLayerProperty(doc.find("kept").uid, "locked", False))
    top = doc.find("top")
    session.set_current(top.uid)
    app_errors.last_message = ""
    panel.act("merge")
    qtbot.waitUntil(lambda: panel.jobs.busy, timeout=10_000)
    session.push(SetLayerProperty(top.uid, "name", "top (renamed)"))  # an edit made while the merge computes
    after_edit = doc.layers
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=30_000)
    assert doc.layers == after_edit and len(doc.layers) == 3  # nothing merged, the edit kept
    assert "“top” changed while “Merge top down” was computed: nothing was applied" in app_errors.last_message
    assert panel.jobs.wait(30_000)


def test_a_computed_command_applies_while_what_it_read_is_untouched(session):
    """`unchanged_since`: the one rule every job that hands back a command is applied by (merge, split, region
    re-decompose, quality fixes)."""
    from seethrough.core.commands import MoveLayer

    doc = session.document
    bottom, kept, top = (doc.find(name) for name in ("bottom", "kept", "top"))
    snapshot = session.snapshot()
    assert session.unchanged_since(snapshot) and session.unchanged_since(snapshot, [kept.uid, top.uid])
    session.push(SetLayerProperty(bottom.uid, "visible", False))  # an edit elsewhere
    assert session.unchanged_since(snapshot, [kept.uid, top.uid])  # the pair it read is untouched
    assert not session.unchanged_since(snapshot)  # but the document as a whole is not
    session.push(SetLayerProperty(top.uid, "name", "renamed"))  # the layer itself changed
    assert not session.unchanged_since(snapshot, [kept.uid, top.uid])
    session.undo()
    assert session.unchanged_since(snapshot, [kept.uid, top.uid])  # undo restores the very same layer object
    session.push(MoveLayer(bottom.uid, 2))  # kept and top keep their order and stay adjacent
    assert session.unchanged_since(snapshot, [kept.uid, top.uid])
    session.undo()
    session.push(MoveLayer(top.uid, 0))  # top now sits elsewhere relative to kept
    assert not session.unchanged_since(snapshot, [kept.uid, top.uid])
    session.set_document(Document((16, 16), [_layer("other", 10)]))
    assert not session.unchanged_since(snapshot, [kept.uid]) and not session.unchanged_since(snapshot)
