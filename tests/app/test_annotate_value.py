"""Annotate on the annotation document, driven through its widgets on Mark: every label edit kind (palette, clear,
auto-label, propagation, review accept and fix) is one step of the one history that Edit ▸ Undo/Redo walk, with
the label file following; the workers never read the live model, and a result computed while the labels changed is
refused; label files are shared with the command line, old ones recognised without being rewritten on opening."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from seethrough.annotation.model import Live2DModel
from seethrough.annotation.model_identity import model_identity
from seethrough.core.paths import fixtures_dir
from tests.support.windows import main_window

REPO = Path(__file__).resolve().parents[2]
FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


@pytest.fixture()
def mark(tmp_path: Path) -> Path:
    return shutil.copytree(FIXTURES / "Mark", tmp_path / "Mark") / "Mark.model3.json"


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path, size=(1500, 1000), tab="annotate") as w:
        yield w


def _open(window, qtbot, path: Path):
    ws = window.workspaces["annotate"]
    before = ws.state
    ws.open_model(path)
    qtbot.waitUntil(lambda: ws.state is not None and ws.state is not before and not window.jobs.busy,
                    timeout=60_000)
    return ws


def _labels(ws) -> dict[str, tuple[str, str]]:
    return {mid: (e.tag, e.source) for mid, e in ws.state.labels.entries.items()}


def _on_disk(ws) -> dict[str, tuple[str, str]]:
    entries = json.loads(ws.state.document.label_path.read_text(encoding="utf-8"))["entries"]
    return {mid: (e["tag"], e["source"]) for mid, e in entries.items()}


def _wait_jobs(window, qtbot) -> None:
    qtbot.waitUntil(lambda: not window.jobs.busy and not window.workspaces["annotate"].poser.busy, timeout=120_000)


def test_every_label_edit_kind_is_one_step_of_the_one_history(window, qtbot, mark, tmp_path):
    ws = _open(window, qtbot, mark)
    edits = []

    def edit(name: str, do: Callable[[], object]) -> None:
        before = _labels(ws)
        do()
        _wait_jobs(window, qtbot)
        after = _labels(ws)
        assert after != before, name
        assert _on_disk(ws) == after, name  # autosaved
        edits.append((name, before, after))

    ws.select(["Face"])
    ws.canvas.setFocus()
    edit("palette key", lambda: qtbot.keyClick(ws.canvas, Qt.Key.Key_4))  # "face" on page 1
    assert ws.state.labels.tag("Face") == "face"
    clear = next(a for a in ws.mesh_panel.context_menu().findChildren(QAction) if a.text() == "Clear tag")
    edit("clear", clear.trigger)
    assert ws.state.labels.tag("Face") is None
    edit("auto-label", ws.auto_button.click)
    assert ws.state.coverage() == (30, 30) and ws.last_report.coverage == 1.0
    other = shutil.copytree(FIXTURES / "Mark", tmp_path / "other" / "Mark") / "Mark.model3.json"
    from seethrough.annotation.labels import LabelStore

    LabelStore.open(other.with_name("Mark.labels.json"), ws.state.mesh_ids).set_tag(["Face", "Body"], "neck")
    edit("propagation", lambda: ws.propagate_from(other))
    assert ws.state.labels.tag("Body") == "neck" and ws.last_report.by_id == 2
    ws.review.list.setCurrentRow(0)
    top = ws.review.current()
    edit("review accept", lambda: qtbot.keyClick(ws.canvas, Qt.Key.Key_Return))
    assert ws.state.labels.source(top.id) == "human"
    second = ws.review.current()
    assert ws.state.selected == [second.id]
    edit("review fix", lambda: qtbot.keyClick(ws.canvas, Qt.Key.Key_1))
    assert ws.state.labels.entry(second.id).tag == ws.tag_palette.tags[0]
    history = ws.state.document.history
    assert history.count == len(edits) == 6

    for name, before, _after in reversed(edits):  # Edit ▸ Undo walks the one history back, the file follows
        assert window.undo_action.text() == "Undo label edit"
        window.undo_action.trigger()
        assert _labels(ws) == before == _on_disk(ws), name
    assert not history.can_undo and _labels(ws) == {}
    for name, _before, after in edits:
        window.redo_action.trigger()
        assert _labels(ws) == after == _on_disk(ws), name
    assert ws.review.items == [] or all(it.id != top.id for it in ws.review.items)  # the view follows too


def test_workers_never_read_the_live_model_and_stale_results_are_refused(window, qtbot, mark, tmp_path):
    from seethrough.app import errors as app_errors

    ws = _open(window, qtbot, mark)
    live = ws.state.model
    read_off_the_ui_thread: list[str] = []

    class Watched(Live2DModel):
        def __getattribute__(self, name: str) -> object:
            if threading.current_thread() is not threading.main_thread():
                read_off_the_ui_thread.append(name)
            return super().__getattribute__(name)

    live.__class__ = Watched  # every attribute read of the live model is seen
    before = ws.state.composite()

    ws.auto_label()  # a job on a snapshot; meanwhile a person tags the face
    ws.select(["Face"])
    ws.tag_palette.buttons["neck"].click()
    _wait_jobs(window, qtbot)
    assert "the labels changed while “Auto-label” was computed: nothing was applied" in app_errors.last_message
    assert _labels(ws) == {"Face": ("neck", "human")} and ws.state.document.history.count == 1

    ws.auto_button.click()
    _wait_jobs(window, qtbot)
    assert ws.state.coverage() == (30, 30)
    slider = ws.pose_panel.sliders["ParamAngleX"]
    slider.setValue(slider.maximum())  # a pose render
    qtbot.waitUntil(lambda: abs(live.parameter_values()["ParamAngleX"] - 30) < 1e-3, timeout=10_000)
    assert (ws.state.composite() != before).any()
    ws.review.seed_box.setChecked(True)  # the seed map
    qtbot.waitUntil(lambda: not ws.review.overlay_item.pixmap().isNull(), timeout=60_000)
    ws.export_psd(tmp_path / "m.psd")
    _wait_jobs(window, qtbot)
    ws.export_dataset(tmp_path / "dataset", size=128)
    _wait_jobs(window, qtbot)
    ws.open_in_stratify()
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.workspaces["stratify"], timeout=60_000)
    assert (tmp_path / "m.psd").is_file() and (tmp_path / "dataset" / "dataset.json").is_file()
    assert read_off_the_ui_thread == []


def test_label_files_are_shared_with_the_cli_and_old_ones_are_recognised(window, qtbot, mark):
    from seethrough.app import errors as app_errors

    path = mark.with_name("Mark.labels.json")
    ws = _open(window, qtbot, mark)
    ids = ws.state.mesh_ids
    old = hashlib.sha1(b"".join(i.encode("utf-8") + b"\0" for i in ids)).hexdigest()  # the GUI's old identity
    text = json.dumps({"schema_version": 1, "model_id": old, "taxonomy_version": "v3", "excluded_parts": [],
                       "entries": {"Face": {"tag": "face", "source": "human", "time": 1.0}}})
    path.write_text(text, encoding="utf-8")
    app_errors.last_message = ""
    ws = _open(window, qtbot, mark)
    assert app_errors.last_message == "" and _labels(ws) == {"Face": ("face", "human")}
    assert path.read_text(encoding="utf-8") == text  # opening never rewrites a user's file
    ws.select(["Mouth1"])
    ws.tag_palette.buttons["mouth"].click()
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["model_id"] == model_identity(ws.state.model).current  # the first save writes the identity
    assert stored["entries"]["Face"]["tag"] == "face" and stored["entries"]["Mouth1"]["source"] == "human"

    run = subprocess.run([sys.executable, str(REPO / "main.py"), "live2d", "label", str(mark)], capture_output=True,
                         text=True, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr
    ws = _open(window, qtbot, mark)  # what the CLI wrote opens here, the person's labels kept
    assert app_errors.last_message == "" and ws.state.document.label_path == path
    assert ws.state.labels.source("Mouth1") == "human" and ws.state.coverage() == (30, 30)
