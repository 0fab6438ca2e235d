"""The Preview's toolbar and its animation export dialog, driven through the widgets: recording a path moves no
button, a stray click on Record (or a take cancelled with Esc) keeps the path recorded before, and the export
dialog suggests a free file name and remembers its settings from one export to the next."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QPushButton

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.preview import PreviewWorkspace
from seethrough.app.workspaces.preview_export import AnimationExportDialog
from tests.app.test_preview import character_document


@pytest.fixture
def workspace(qtbot, tmp_path):
    session = DocumentSession()
    session.set_document(character_document())
    session.mark_saved(session.snapshot(), tmp_path / "hero.stproj")  # as if saved there: the name to suggest
    ws = PreviewWorkspace(session)
    qtbot.addWidget(ws)
    ws.resize(900, 520)
    ws.show()
    qtbot.waitExposed(ws)
    qtbot.waitUntil(lambda: ws.view.rig is not None and len(ws.renderer) == len(session.document.layers))
    yield ws
    ws.jobs.stopping()
    assert ws.jobs.wait(60_000)


def _toolbar(ws: PreviewWorkspace) -> dict[str, tuple[int, int, int, int]]:
    """Where the toolbar's buttons are, once the layout has caught up (it runs on a posted event)."""
    QApplication.processEvents()
    return {b.text() if b is not ws.record_button else "record": b.geometry().getRect()
            for b in (ws.play_button, ws.reset_button, ws.record_button, ws.export_button)}


def _draw_path(ws: PreviewWorkspace, qtbot, points: int) -> None:
    """Move the mouse over the preview `points` times (each move is one sample while recording)."""
    view = ws.view
    moves: list[tuple[float, float]] = []
    view.pointer_moved.connect(lambda x, y: moves.append((x, y)))
    for i in range(points):
        QTest.mouseMove(view, QPoint(20 + i * (view.width() - 40) // max(points - 1, 1), view.height() // 2 + i))
        qtbot.waitUntil(lambda i=i: len(moves) >= i + 1)


def _browse(dialog: AnimationExportDialog) -> None:
    next(b for b in dialog.findChildren(QPushButton) if b.text() == "…").click()


def _click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_recording_moves_no_button_and_a_stray_record_click_keeps_the_path(workspace, qtbot, monkeypatch):
    ws = workspace
    before = _toolbar(ws)
    _click(ws.record_button)
    assert ws.recorder.recording and _toolbar(ws)["record"] == before["record"]
    _draw_path(ws, qtbot, 8)
    _click(ws.record_button)  # stop: the take becomes the recorded path
    assert _toolbar(ws) == before  # not one button moved while the texts changed
    path = list(ws.recorder.samples)
    assert len(path) == 8 and not ws.recorder.recording
    assert "8 samples" in ws.path_label.text()
    export_at = ws.export_button.geometry()

    # a click meant for Export lands on Record: a new take starts, but the recorded path is still there...
    _click(ws.record_button)
    assert ws.recorder.recording and ws.recorder.samples == path
    assert _toolbar(ws) == before and ws.export_button.geometry() == export_at
    shown: dict[str, object] = {}

    def look(dialog: AnimationExportDialog) -> int:
        shown.update(motion=dialog.path.currentText(), samples=list(dialog.recorder.samples))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(AnimationExportDialog, "exec", look)
    _click(ws.export_button)  # ...and the click on Export ends the empty take and offers the recorded path
    assert shown == {"motion": "recorded", "samples": path}
    assert not ws.recorder.recording and not ws.record_button.isChecked() and ws.recorder.samples == path
    assert _toolbar(ws) == before

    # a take with samples can still be cancelled (Esc): the path recorded before stays
    _click(ws.record_button)
    _draw_path(ws, qtbot, 3)
    qtbot.waitUntil(lambda: "Recording: 3 samples" in ws.path_label.text())  # the readout, a few times a second
    QTest.keyClick(ws.view, Qt.Key.Key_Escape)
    assert not ws.recorder.recording and not ws.record_button.isChecked() and ws.recorder.samples == path

    # a take with samples, stopped, is the new path
    _click(ws.record_button)
    _draw_path(ws, qtbot, 5)
    _click(ws.record_button)
    assert len(ws.recorder.samples) == 5 and ws.recorder.samples != path
    assert _toolbar(ws) == before


def test_the_export_dialog_remembers_its_settings(workspace, qtbot, tmp_path, monkeypatch):
    ws = workspace
    target = tmp_path / "renders" / "hero.gif"
    target.parent.mkdir()

    def first(dialog: AnimationExportDialog) -> int:  # the user's choices, made in the widgets
        dialog.output.setText(str(target))
        dialog.path.setCurrentText("nod")
        dialog.seconds.setValue(0.5)
        dialog.fps.setValue(6)
        dialog.longest_side.setValue(64)
        dialog.background.setCurrentText("#000000")
        dialog.loop.setValue(3)
        dialog.overwrite.setChecked(True)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(AnimationExportDialog, "exec", first)
    ws.export_dialog()
    qtbot.waitUntil(lambda: target.exists() and not ws.export_job.state.active, timeout=120_000)
    with Image.open(target) as im:
        assert im.n_frames == 3 and max(im.size) == 64

    seen: dict[str, object] = {}

    def second(dialog: AnimationExportDialog) -> int:
        seen.update(output=Path(dialog.output.text()).parent, motion=dialog.path.currentText(),
                    seconds=dialog.seconds.value(), fps=dialog.fps.value(), side=dialog.longest_side.value(),
                    background=dialog.background.currentText(), loop=dialog.loop.value(),
                    overwrite=dialog.overwrite.isChecked())
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(AnimationExportDialog, "exec", second)
    ws.export_dialog()
    assert seen == {
        "output": target.parent, "motion": "nod", "seconds": 0.5, "fps": 6, "side": 64, "background": "#000000",
        "loop": 3,
        "overwrite": False,  # asked every time: a remembered "replace" would replace a file nobody chose
    }


def test_the_export_dialog_suggests_a_free_name_beside_the_document_then_in_the_last_folder(
        workspace, qtbot, tmp_path, monkeypatch):
    ws = workspace
    out = tmp_path / "renders"
    out.mkdir()
    browsed: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, caption, start, *a, **k: (browsed.append(start), (str(out / "hero.gif"), ""))[1])

    def first(dialog: AnimationExportDialog) -> int:
        _browse(dialog)  # the file dialog starts at the suggestion; the user picks renders/hero.gif
        dialog.seconds.setValue(0.5)
        dialog.fps.setValue(4)
        dialog.longest_side.setValue(32)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(AnimationExportDialog, "exec", first)
    ws.export_dialog()
    assert browsed == [str(tmp_path / "hero.mp4")]  # the document's name, beside its file, as a video
    qtbot.waitUntil(lambda: (out / "hero.gif").exists() and not ws.export_job.state.active, timeout=120_000)

    monkeypatch.setattr(AnimationExportDialog, "exec", lambda dialog: (_browse(dialog), 0)[1])
    ws.export_dialog()
    assert browsed[1] == str(out / "hero-2.gif")  # the last folder and type, under a name that is still free
