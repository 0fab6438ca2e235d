"""Nothing the user makes is lost: a save writes its snapshot and edits made meanwhile stay unsaved; quitting or
opening with unsaved edits asks, and Cancel keeps everything; a Decompose result is one undo step; closing while
Decompose runs stops it cleanly; after a kill -9 the next start offers the autosave and restores the edits."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

import seethrough.core.io.project as project
from seethrough.app.application import create_main_window
from seethrough.app.autosave import autosave_dir, orphaned_autosaves
from seethrough.app.jobs import JobState
from seethrough.app.prompts import RecoverPrompt, SaveAnswer, SaveChangesPrompt
from seethrough.core.commands import SetLayerProperty
from seethrough.core.io.project import load_project
from tests.support.tiny_models import build_layer_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def window(qtbot, tmp_path):
    w = create_main_window(tmp_path / "settings" / "s.ini")  # closed below, not by qtbot (see test_main_window)
    w.show()
    qtbot.waitUntil(lambda: w.session.document is not None, timeout=30_000)
    yield w
    w.jobs.cancel_all()
    w.jobs.wait(120_000)
    w._discard_confirmed = True  # the test's own prompts are done: close without asking
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible() and not w.jobs.threads_alive(), timeout=120_000)
    w.deleteLater()


def _rename(window, name: str, new: str) -> None:
    window.session.push(SetLayerProperty(window.session.document.find(name).uid, "name", new))


def _answers(monkeypatch, answer: SaveAnswer) -> list[str]:
    asked: list[str] = []

    def ask(cls, parent, name, action):
        asked.append(action)
        return answer

    monkeypatch.setattr(SaveChangesPrompt, "ask", classmethod(ask))
    return asked


def test_edit_during_a_slow_save_stays_unsaved_and_the_file_is_the_snapshot(window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "char.stproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    writing = threading.Event()
    encode = project.encode_png

    def slow_encode(*args, **kwargs):  # the test hook: every layer PNG takes a while
        writing.set()
        time.sleep(0.05)
        return encode(*args, **kwargs)

    monkeypatch.setattr(project, "encode_png", slow_encode)
    saved_names = [layer.name for layer in window.session.document.layers]
    window.actions_by_name["Save As"].trigger()
    assert writing.wait(30)
    _rename(window, "face", "face during save")  # while the file is being written
    window.jobs.wait(60_000)
    assert [layer.name for layer in load_project(target).layers] == saved_names
    assert window.session.path == target
    assert window.session.is_dirty and "•" in window.windowTitle()
    window.session.undo()  # back to exactly what was saved: clean again
    assert not window.session.is_dirty


def test_quit_and_open_with_unsaved_edits_ask_and_cancel_keeps_everything(window, qtbot, tmp_path, monkeypatch):
    asked = _answers(monkeypatch, SaveAnswer.CANCEL)
    _rename(window, "face", "my face")
    doc = window.session.document
    window.close()
    assert window.isVisible() and asked == ["quit"]
    other = tmp_path / "other.stproj"
    project.save_project(doc.snapshot(), other)
    window.files.open(other)
    window.files.open_sample()
    window.jobs.wait(30_000)
    assert asked == ["quit", "open other.stproj", "open the sample"]
    assert window.session.document is doc and doc.find("my face") is not None and window.session.is_dirty


def test_save_from_the_prompt_then_quits(window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "saved.stproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    _answers(monkeypatch, SaveAnswer.SAVE)
    _rename(window, "face", "kept face")
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    assert load_project(target).find("kept face") is not None


@pytest.fixture(scope="module")
def layer_model(tmp_path_factory):
    return build_layer_model(tmp_path_factory.mktemp("models") / "layers", "v3")


def _tiny_image():
    img = np.zeros((48, 64, 4), np.uint8)
    img[..., :3] = 180
    img[4:44, 16:48, 3] = 255
    return img


def _setup_decompose(window, layer_model, steps: int):
    decompose = window.workspaces["decompose"]
    decompose.layer_model.setText(str(layer_model))
    decompose.with_depth.setChecked(False)  # the layer model alone: seconds on a CPU
    decompose.resolution.setValue(64)
    decompose.depth_resolution.setValue(64)
    decompose.steps.setValue(steps)
    decompose.device.setCurrentText("cpu")
    decompose.set_image(_tiny_image())
    assert decompose.run_button.isEnabled(), decompose.status.text()
    return decompose


def test_decompose_result_replaces_the_document_as_one_undo_step(window, qtbot, layer_model):
    _rename(window, "face", "my face")
    before = window.session.document.snapshot()
    decompose = _setup_decompose(window, layer_model, steps=1)
    decompose.run()
    qtbot.waitUntil(lambda: decompose.job.state is JobState.FINISHED, timeout=300_000)
    doc = window.session.document
    assert doc.size == (64, 48) and doc.find("my face") is None and window.session.path is None
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert doc.size == before.size and [layer.uid for layer in doc.layers] == [layer.uid for layer in before.layers]
    assert doc.find("my face") is not None


def test_closing_while_decompose_runs_stops_it_without_abort(window, qtbot, layer_model, monkeypatch, screens):
    from seethrough.core.decompose import engine

    original = engine.DecomposeEngine.decompose
    stepping = threading.Event()

    def slowed(self, image, options, progress=None, is_cancelled=None):  # the test hook: slow steps
        def slow_check():
            stepping.set()
            time.sleep(0.3)
            return bool(is_cancelled and is_cancelled())
        return original(self, image, options, progress=progress, is_cancelled=slow_check)

    monkeypatch.setattr(engine.DecomposeEngine, "decompose", slowed)
    decompose = _setup_decompose(window, layer_model, steps=50)
    doc_before = window.session.document.snapshot()
    decompose.run()
    assert stepping.wait(300)
    window.tabs.setCurrentWidget(decompose)
    window.docks["Jobs"].raise_()
    qtbot.waitUntil(lambda: ("Decompose", "running") in window.jobs_panel.rows(), timeout=30_000)
    assert window.grab().save(str(screens / "jobs-panel-decompose.png"))
    window.close()
    assert window.isVisible() and "stopping" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=120_000)
    assert not window.jobs.threads_alive()
    assert decompose.job.state is JobState.CANCELLED
    after = window.session.document.snapshot()
    assert len(after.layers) == len(doc_before.layers)
    assert all(a is b for a, b in zip(after.layers, doc_before.layers))  # not a pixel of the document changed


def _run_child(mode: str, settings: Path, until: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-m", "tests.support.crash_app", mode, str(settings)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    deadline = time.monotonic() + 240
    for line in child.stdout:  # type: ignore[union-attr]
        if line.strip() == until:
            return child
        if time.monotonic() > deadline:
            break
    child.kill()
    raise AssertionError(f"the child app never said {until}")


@pytest.mark.parametrize(("mode", "until", "expected"), [
    ("mid-edit", "EDITING", "face (edited)"),
    ("mid-save", "SAVING", "face (edited)"),  # the half-written second autosave never replaces the first
])
def test_kill_9_then_start_offers_and_restores_the_autosave(qtbot, tmp_path, monkeypatch, mode, until, expected):
    settings = tmp_path / "settings" / "s.ini"
    child = _run_child(mode, settings, until)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert len(orphaned_autosaves()) == 1
    offered = []
    monkeypatch.setattr(RecoverPrompt, "ask", classmethod(lambda cls, parent, name, when: offered.append(name)
                                                          or True))
    w = create_main_window(settings)
    try:
        assert offered == ["sample"]
        doc = w.session.document
        names = [layer.name for layer in doc.layers]
        assert expected in names and "face" not in names
        assert w.session.is_dirty and "•" in w.windowTitle()
        assert orphaned_autosaves() == []  # recovered: offered once, not again at the next start
    finally:
        w.jobs.wait(30_000)
        w._discard_confirmed = True
        w.close()
        qtbot.waitUntil(lambda: not w.isVisible() and not w.jobs.threads_alive(), timeout=30_000)
        w.deleteLater()  # not left alive for the rest of the test process
    assert not (autosave_dir() / f"{w.autosave.id}.stproj").exists()  # a normal close leaves no autosave


def test_a_long_job_is_followed_by_an_autosave_and_saving_removes_it(window, qtbot, tmp_path, monkeypatch):
    _rename(window, "face", "autosaved face")
    window.jobs.submit("long work", lambda p, c: time.sleep(2.2))  # any main-lane job of ≥ 2 s
    project_file = window.autosave.project
    qtbot.waitUntil(lambda: project_file.exists() and window.autosave.record.exists(), timeout=60_000)
    window.jobs.wait(60_000)
    assert load_project(project_file).find("autosaved face") is not None
    assert orphaned_autosaves() == []  # this process is alive: nothing to recover
    target = tmp_path / "kept.stproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.actions_by_name["Save As"].trigger()
    qtbot.waitUntil(lambda: not project_file.exists() and target.exists(), timeout=60_000)
