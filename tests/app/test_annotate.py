"""The Annotate workspace on the fixture models: open, group by part, hide a part, pick a fragment on the canvas,
assign a tag with a number key, undo, auto-label, export a dataset — with screenshots."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from app.workspaces.annotate.state import AnnotationState
from core.paths import fixtures_dir

FIXTURES = fixtures_dir()
SCREENS = Path(__file__).resolve().parents[2] / "out" / "screens"
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


@pytest.fixture()
def mark(tmp_path):
    copy = tmp_path / "Mark"
    shutil.copytree(FIXTURES / "Mark", copy)
    return copy / "Mark.model3.json"


@pytest.fixture()
def window(qtbot, tmp_path):
    from app.application import create_main_window

    w = create_main_window(tmp_path / "settings" / "s.ini")
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    qtbot.waitUntil(lambda: w.session.document is not None, timeout=10_000)
    w.tabs.setCurrentWidget(w.workspaces["annotate"])
    yield w
    w.jobs.wait(60_000)
    w.close()


def _open(window, qtbot, path):
    ws = window.workspaces["annotate"]
    ws.open_model(path)
    qtbot.waitUntil(lambda: ws.state is not None, timeout=60_000)
    return ws


def test_label_edit_workflow(window, qtbot, mark, tmp_path):
    ws = _open(window, qtbot, mark)
    state = ws.state
    assert len(state.model.artmeshes) == 30
    ws.grouping.setCurrentIndex(1)  # by part hierarchy
    groups = [ws.tree_model.item(r).text() for r in range(ws.tree_model.rowCount())]
    hair_row = next(i for i, g in enumerate(groups) if "PartHairFront" in g or "前髪" in g)
    before = state.composite().copy()
    ws.tree_model.item(hair_row).setCheckState(Qt.CheckState.Unchecked)
    assert state.hidden and (state.composite() != before).any()  # hiding a part changes the render
    qtbot.wait(50)
    ws.tree_model.item(hair_row).setCheckState(Qt.CheckState.Checked)
    assert not state.hidden

    ws.refresh_view()
    face = state.model.artmesh("Face")
    ys, xs = (state.raster.fragments["Face"][..., 3] > 0.5).nonzero()
    hits = state.meshes_at(int(xs.mean()), int(ys.mean()))
    assert hits and "Face" in hits
    ws.select([hits[0]])
    chosen = hits[0]
    qtbot.keyClick(ws, Qt.Key.Key_4)  # 4 = "face" in the palette
    assert state.store.tag(chosen) == "face" and state.store.source(chosen) == "human"
    assert face is not None
    window.undo_action.trigger()  # Ctrl+Z while Annotate is active undoes the label edit
    assert state.store.tag(chosen) is None
    window.redo_action.trigger()
    assert state.store.tag(chosen) == "face"

    ws.auto_label()
    qtbot.waitUntil(lambda: state.coverage()[0] == 30 and not window.jobs.busy, timeout=60_000)
    assert state.store.tag(chosen) == "face"  # the human label survived auto-labelling
    assert ws.fragment_preview.pixmap() is not None and ws.tag_preview.pixmap() is not None

    out = tmp_path / "dataset"
    ws.export_dataset(out)
    window.jobs.wait(120_000)
    qtbot.waitUntil(lambda: (out / "dataset.json").exists(), timeout=120_000)
    from training.data import LayerDataset

    assert len(LayerDataset(out, split=None)) == 9
    SCREENS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SCREENS / "annotate-mark.png"))


def test_click_on_canvas_selects_and_alt_click_cycles(window, qtbot, mark):
    ws = _open(window, qtbot, mark)
    ws.refresh_view()
    state = ws.state
    ys, xs = (state.raster.fragments["Face"][..., 3] > 0.5).nonzero()
    x, y = int(xs.mean()), int(ys.mean())
    pix = ws.canvas.pixmap()
    ox, oy = (ws.canvas.width() - pix.width()) / 2, (ws.canvas.height() - pix.height()) / 2
    pos = QPoint(int(ox + (x + 0.5) * ws.canvas._scale), int(oy + (y + 0.5) * ws.canvas._scale))
    qtbot.mouseClick(ws.canvas, Qt.MouseButton.LeftButton, pos=pos)
    first = state.selected[0]
    qtbot.mouseClick(ws.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier, pos=pos)
    hits = state.meshes_at(*ws.canvas.image_point(pos.x(), pos.y()))
    assert first == hits[0]
    if len(hits) > 1:
        assert state.selected[0] == hits[1]


def test_hiyori_screenshot_and_open_in_stratify(window, qtbot, tmp_path):
    copy = tmp_path / "Hiyori"
    shutil.copytree(FIXTURES / "Hiyori", copy)
    ws = _open(window, qtbot, copy / "Hiyori.model3.json")
    ws.auto_label()
    qtbot.waitUntil(lambda: ws.state.coverage()[0] >= 120 and not window.jobs.busy, timeout=60_000)
    ws.refresh_view()
    SCREENS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(tmp_path / "annotate.png"))
    shutil.copy(tmp_path / "annotate.png", SCREENS / "annotate-hiyori.png")
    ws.open_in_stratify()
    assert "face" in [layer.tag for layer in window.session.document.layers]


def test_broken_model_gives_a_message_and_keeps_working(window, qtbot, tmp_path):
    import app.errors

    bad = tmp_path / "bad.model3.json"
    bad.write_text("{ nope")
    ws = window.workspaces["annotate"]
    app.errors.last_message = ""
    ws.open_model(bad)
    qtbot.waitUntil(lambda: "not valid JSON" in app.errors.last_message, timeout=30_000)
    assert ws.state is None


def test_state_label_file_location(tmp_path, mark):
    state = AnnotationState.open(mark, size=256)
    assert state.store.path == mark.with_name("Mark.labels.json")
