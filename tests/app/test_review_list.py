"""File ▸ Open Review List… on a real batch's report: Annotate opens the worst-ranked model of the list, a person's
label edit lands in that model's review copy, Next Model in Review List moves on to the next one nobody has changed,
and says when none is left."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from seethrough.core.paths import fixtures_dir
from tests.support.batch_corpus import copy_model, with_extra_key
from tests.support.windows import main_window

FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path, tab="stratify") as w:
        yield w


def _batch_with_two_models_in_review(tmp_path: Path) -> Path:
    from seethrough.annotation.batch.driver import Batch
    from seethrough.annotation.batch.engines import LocalEngine
    from seethrough.annotation.batch.options import BatchOptions

    copy_model(FIXTURES / "Mark", tmp_path / "corpus" / "Mark")
    copy_model(FIXTURES / "Wanko", tmp_path / "corpus" / "Wanko")
    copy_model(FIXTURES / "Wanko", tmp_path / "corpus" / "Wanko 2")
    with_extra_key(tmp_path / "corpus" / "Wanko 2" / "Wanko.model3.json", "second")
    options = BatchOptions(poses=(("neutral", {}),), size=64)
    summary = Batch(tmp_path / "corpus", tmp_path / "dataset", options, LocalEngine(2, 120.0)).run()
    assert (summary.exported, summary.review) == (1, 2)  # a dog's labels are mostly uncertain: both Wankos
    return tmp_path / "dataset" / "review" / "report.json"


def test_open_review_list_then_next_model(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from seethrough.annotation.batch.report import next_for_review

    report = _batch_with_two_models_in_review(tmp_path)
    first = next_for_review(report)
    assert first is not None and first.rank == 1 and first.left == 2 and first.name.startswith("Wanko-")
    ws = window.workspaces["annotate"]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(report), "")))
    window.actions_by_name["Open Review List"].trigger()
    assert window.tabs.currentWidget() is ws
    qtbot.waitUntil(lambda: ws.state is not None and not window.jobs.busy, timeout=60_000)
    assert ws.state.model.path == first.model_file  # the review copy inside the dataset
    assert "rank 1 of 2 (2 left)" in ws.status.text()
    labels = ws.state.document.label_path
    assert labels == first.model_file.with_name("Wanko.labels.json") and labels.is_file()
    assert ws.state.labels.tags()  # the batch's labels, ready to be checked

    # a person relabels a mesh: the label file of the copy changes, so the list counts this model as handled
    mesh = next(m for m in ws.state.mesh_ids if ws.state.labels.tag(m) not in (None, "face"))
    ws.select([mesh])
    ws.mesh_panel.tree.setFocus()
    qtbot.keyClick(ws.mesh_panel.tree, Qt.Key.Key_4)
    assert (ws.state.labels.tag(mesh), ws.state.labels.source(mesh)) == ("face", "human")
    after = next_for_review(report)
    assert after is not None and after.rank == 2 and after.left == 1

    window.actions_by_name["Next Model in Review List"].trigger()
    qtbot.waitUntil(lambda: ws.state is not None and ws.state.model.path == after.model_file
                    and not window.jobs.busy, timeout=60_000)
    assert after.name.startswith("Wanko-") and after.name != first.name
    assert "rank 2 of 2 (1 left)" in ws.status.text()
    assert not ws.open_review_list()  # the only one left is the model open now
    assert "every model of the review list" in ws.status.text()
