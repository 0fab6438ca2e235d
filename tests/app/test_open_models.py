"""A Live2D model opens in Annotate however it is given: on the command line (`seethrough-gui X.model3.json`),
through File ▸ Open, or dropped on the window; Annotate → Stratify shows Stratify and names the undo step."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from seethrough.core.paths import fixtures_dir

FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


@pytest.fixture()
def mark(tmp_path):
    shutil.copytree(FIXTURES / "Mark", tmp_path / "Mark")
    return tmp_path / "Mark" / "Mark.model3.json"


def _close(window, qtbot) -> None:
    window.jobs.wait(60_000)
    window.workspaces["annotate"].poser.wait(30_000)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible() and not window.jobs.threads_alive(), timeout=60_000)
    window.deleteLater()


def _annotating(window, model) -> bool:
    annotate = window.workspaces["annotate"]
    return (window.tabs.currentWidget() is annotate and annotate.state is not None
            and annotate.state.model.path.resolve() == model.resolve())


def test_a_model_on_the_command_line_opens_in_annotate(qtbot, tmp_path, mark):
    from seethrough.app.application import create_main_window

    window = create_main_window(tmp_path / "settings.ini", open_path=mark)
    window.show()
    try:
        qtbot.waitUntil(lambda: _annotating(window, mark), timeout=60_000)
        assert window.session.document is not None  # the other workspaces show the sample meanwhile
    finally:
        _close(window, qtbot)


def test_file_open_and_a_drop_open_a_model_in_annotate(qtbot, tmp_path, mark):
    from tests.support.windows import main_window

    with main_window(qtbot, tmp_path, tab="stratify") as window:
        before = window.session.document
        window.files.open(mark)
        qtbot.waitUntil(lambda: _annotating(window, mark), timeout=60_000)
        assert window.session.document is before  # the layer document is left alone

        window.tabs.setCurrentWidget(window.workspaces["preview"])
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(mark))])
        drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                          Qt.KeyboardModifier.NoModifier)
        annotate = window.workspaces["annotate"]
        first = annotate.state
        window.dropEvent(drop)
        qtbot.waitUntil(lambda: _annotating(window, mark) and annotate.state is not first and not window.jobs.busy,
                        timeout=60_000)

        annotate.auto_label()
        qtbot.waitUntil(lambda: annotate.last_report is not None and not window.jobs.busy, timeout=120_000)
        annotate.open_in_stratify()  # rendered in the job runner
        qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.workspaces["stratify"], timeout=60_000)
        assert window.session.document.history.undo_text == "Open Mark.model3.json in Stratify"
