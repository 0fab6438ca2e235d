"""Save and export dialogs start where a user would save: Annotate's ground-truth PSD as the model's name beside it,
its dataset export in the dataset exported to last (else beside the models), Train's output folder at the run's
folder (or the nearest one that exists). The dialogs are replaced by stand-ins that record where they were asked to
start (as tests/app/test_main_window.py does); the buttons are the real ones. (Preview's animation export:
tests/app/test_preview_recording.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QPushButton

from seethrough.app.save_names import stem_of, suggested_path
from seethrough.app.session import DocumentSession
from seethrough.core.paths import fixtures_dir

FIXTURES = fixtures_dir()


def _button(parent, text: str) -> QPushButton:
    return next(b for b in parent.findChildren(QPushButton) if b.text() == text)


def test_names_are_the_documents_without_its_suffixes(tmp_path):
    assert stem_of("Mark.model3.json") == "Mark" and stem_of("char.stproj") == "char" and stem_of("") == "untitled"
    (tmp_path / "hero.gif").write_bytes(b"")
    (tmp_path / "hero-2.gif").write_bytes(b"")
    assert suggested_path("hero.stproj", ".gif", folder=tmp_path, free=True) == tmp_path / "hero-3.gif"
    assert suggested_path("hero.stproj", ".gif", folder=tmp_path) == tmp_path / "hero.gif"  # the dialog asks
    assert suggested_path("hero.png", ".psd", beside=tmp_path / "art" / "hero.png", folder=tmp_path / "gone") == \
        suggested_path("hero.png", ".psd")  # neither folder exists: the last folder used (here: home)


def test_train_output_browse_starts_at_the_runs_folder_and_sets_it(qtbot, tmp_path, monkeypatch):
    from seethrough.app.workspaces.train import TrainWorkspace

    ws = TrainWorkspace(DocumentSession())
    qtbot.addWidget(ws)
    runs = tmp_path / "runs"
    runs.mkdir()
    ws.output_edit.setText(str(runs / "not-yet" / "run"))  # a run writes its folder when it starts
    asked: list[str] = []
    chosen = runs / "first"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, caption, start, *a, **k: (asked.append(start), str(chosen))[1])
    ws.output_browse.click()
    assert asked == [str(runs)]  # the nearest folder of the current output that exists
    assert ws.output_edit.text() == str(chosen)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, caption, start, *a, **k: (asked.append(start), "")[1])
    chosen.mkdir()
    ws.output_browse.click()  # cancelled: the field keeps what it had
    assert asked[1] == str(chosen) and ws.output_edit.text() == str(chosen)
    ws.process.kill()


@pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")
def test_annotate_exports_suggest_the_models_name_and_the_last_dataset(qtbot, tmp_path, monkeypatch):
    from tests.support.windows import main_window

    models = tmp_path / "models"
    shutil.copytree(FIXTURES / "Mark", models / "Mark")
    with main_window(qtbot, tmp_path, size=(1500, 1000), tab="annotate") as window:
        ws = window.workspaces["annotate"]
        ws.open_model(models / "Mark" / "Mark.model3.json")
        qtbot.waitUntil(lambda: ws.state is not None and not window.jobs.busy, timeout=60_000)

        saved: list[str] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            lambda parent, caption, start, *a, **k: (saved.append(start), ("", ""))[1])
        _button(ws.pose_panel, "Export PSD…").click()
        assert saved == [str(models / "Mark" / "Mark.psd")]  # the model's name, beside it

        folders: list[str] = []
        dataset = tmp_path / "dataset"
        dataset.mkdir()
        answers = iter([str(dataset), ""])
        monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                            lambda parent, caption, start, *a, **k: (folders.append(start), next(answers))[1])
        _button(ws.pose_panel, "Export dataset…").click()  # nothing labelled: the export says so, writes nothing
        qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60_000)
        _button(ws.pose_panel, "Export dataset…").click()
        # first beside the models; then the dataset exported to last (a dataset grows model by model)
        assert folders == [str(models), str(dataset)]
        assert not any(Path(dataset).iterdir())
