"""The Annotate workspace on the fixture models, driven through its widgets: open, group by part, hide a part,
click and Alt-click on the canvas, rubber band, a number key, undo, auto-label, context-menu visibility,
propagation, pose sliders, dataset export — with screenshots (the `screens` fixture)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from seethrough.annotation.session import AnnotationState
from seethrough.app.workspaces.annotate.mesh_model import BY_PART, MESH_IDS_ROLE
from seethrough.core.paths import fixtures_dir
from tests.support.windows import main_window

FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


def _copy(tmp_path: Path, name: str) -> Path:
    shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path / name / f"{name}.model3.json"


def _screenshot(widget, screens: Path, name: str) -> None:
    assert widget.grab().save(str(screens / name))


@pytest.fixture()
def mark(tmp_path):
    return _copy(tmp_path, "Mark")


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path, size=(1500, 1000), tab="annotate") as w:
        yield w


def _open(window, qtbot, path):
    ws = window.workspaces["annotate"]
    ws.open_model(path)
    qtbot.waitUntil(lambda: ws.state is not None and not window.jobs.busy, timeout=60_000)
    return ws


def _centre_of(state, mesh_id):
    """A pixel where `mesh_id` is the visible top-most fragment."""
    top = state.top_map()
    rank = [m.id for m in state.raster.order].index(mesh_id)
    ys, xs = np.nonzero(top == rank)
    i = len(xs) // 2
    return int(xs[i]), int(ys[i])


def _click(ws, qtbot, x, y, modifier=Qt.KeyboardModifier.NoModifier):
    pos = ws.canvas.view_position(x, y).toPoint()
    qtbot.mouseClick(ws.canvas.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def _wait_for_label_job(window, qtbot, ws, before):
    qtbot.waitUntil(lambda: not window.jobs.busy and ws.last_report is not before, timeout=60_000)


def test_label_edit_workflow(window, qtbot, mark, tmp_path, screens):
    ws = _open(window, qtbot, mark)
    state = ws.state
    assert len(state.model.artmeshes) == 30
    assert ws.mesh_panel.model.rowCount() >= 1

    # group by the part hierarchy; unchecking a part hides its meshes and changes the render
    ws.mesh_panel.set_grouping(BY_PART)
    model = ws.mesh_panel.model
    hair = model.group_index("PartHairFront")
    assert hair.isValid() and model.data(hair, MESH_IDS_ROLE)
    before = ws.canvas.image_item.pixmap().toImage()
    proxy_hair = ws.mesh_panel.proxy.mapFromSource(hair)
    ws.mesh_panel.proxy.setData(proxy_hair, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert set(model.data(hair, MESH_IDS_ROLE)) <= state.hidden
    qtbot.waitUntil(lambda: ws.canvas.image_item.pixmap().toImage() != before, timeout=5_000)
    head = model.group_index("PartHead")  # the parent shows a partial check
    assert model.data(head, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
    ws.mesh_panel.proxy.setData(proxy_hair, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert not state.hidden
    _screenshot(ws, screens, "annotate-mark-by-part.png")

    # click on the face selects the top-most fragment there; the list follows
    x, y = _centre_of(state, "Face")
    _click(ws, qtbot, x, y)
    assert state.selected == ["Face"]
    assert ws.mesh_panel.selected_ids() == ["Face"]
    assert ws.previews.fragment.pixmap() is not None and not ws.previews.fragment.pixmap().isNull()

    # number key 4 assigns "face" (v3 palette, page 1) to the selection; Ctrl+Z undoes, Ctrl+Shift+Z redoes
    ws.mesh_panel.tree.setFocus()
    qtbot.keyClick(ws.mesh_panel.tree, Qt.Key.Key_4)
    assert state.labels.tag("Face") == "face" and state.labels.source("Face") == "human"
    assert json.loads(state.document.label_path.read_text())["entries"]["Face"]["tag"] == "face"  # autosaved
    qtbot.keyClick(ws.mesh_panel.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.labels.tag("Face") is None
    qtbot.keyClick(ws.mesh_panel.tree, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert state.labels.tag("Face") == "face"

    # auto-label in the worker: everything labelled, the human label kept, one undo step
    ws.auto_button.click()
    _wait_for_label_job(window, qtbot, ws, None)
    assert state.coverage() == (30, 30)
    assert state.labels.tag("Face") == "face" and state.labels.source("Face") == "human"
    assert ws.last_report.coverage == 1.0
    ws.undo()
    assert state.coverage() == (1, 30)
    ws.redo()
    assert state.coverage() == (30, 30)

    # filters: unlabelled only shows nothing now; "labelled by rule human" shows only the face
    ws.mesh_panel.rule.setCurrentText("human")
    shown = _visible_mesh_ids(ws)
    assert shown == ["Face"]
    ws.mesh_panel.rule.setCurrentIndex(0)
    ws.mesh_panel.search.setText("^Eye")
    assert _visible_mesh_ids(ws) and all(m.startswith("Eye") for m in _visible_mesh_ids(ws))
    ws.mesh_panel.search.setText("(")  # a bad regex says so and filters nothing
    assert "bad regex" in ws.mesh_panel.message.text()
    ws.mesh_panel.search.setText("")

    # context menu actions: hide the selected tag, show all
    ws.change_visibility("hide-tags")
    assert {m for m in state.mesh_ids if state.labels.tag(m) == "face"} <= state.hidden
    ws.change_visibility("show-all")
    assert not state.hidden
    menu = ws.mesh_panel.context_menu()
    assert [a.text() for a in menu.actions() if a.text()][:2] == ["Set tag", "Hide selected tags"]

    ws.select([])
    _screenshot(ws, screens, "annotate-mark-labelled.png")

    out = tmp_path / "dataset"
    ws.export_dataset(out, size=256)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=120_000)
    from seethrough.core.dataset_layout import read_dataset, validate_dataset

    assert validate_dataset(out) == []
    assert len(read_dataset(out).samples) == len(ws.pose_panel.poses) == 9


def _visible_mesh_ids(ws):
    proxy, out = ws.mesh_panel.proxy, []

    def walk(parent):
        for row in range(proxy.rowCount(parent)):
            index = proxy.index(row, 0, parent)
            if proxy.rowCount(index):
                walk(index)
            else:
                out.extend(index.data(MESH_IDS_ROLE))

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    return out


def test_alt_click_cycles_and_rubber_band(window, qtbot, mark, screens):
    ws = _open(window, qtbot, mark)
    state = ws.state
    # a pixel with several fragments stacked
    x, y = max(((px, py) for py in range(0, state.frame.height, 8) for px in range(0, state.frame.width, 8)),
               key=lambda p: len(state.meshes_at(*p)))
    x, y = ws.canvas.image_point(QPointF(ws.canvas.view_position(x, y).toPoint()))  # the pixel a click lands on
    hits = state.meshes_at(x, y)
    assert len(hits) >= 2
    _click(ws, qtbot, x, y)
    assert state.selected == [state.pick(x, y)]
    seen = []
    for _ in hits:
        _click(ws, qtbot, x, y, Qt.KeyboardModifier.AltModifier)
        seen.append(state.selected[0])
    assert seen == hits  # near → far, one per Alt-click
    assert ws.canvas.tint_item.pixmap().isNull() is False
    _screenshot(ws.canvas, screens, "annotate-mark-see-through.png")

    # rubber band over the whole model selects every shown fragment with pixels; Ctrl+click toggles one off
    a = ws.canvas.view_position(-1, -1).toPoint()
    b = ws.canvas.view_position(state.frame.width, state.frame.height).toPoint()
    viewport = ws.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(viewport, pos=(a + b) / 2)
    qtbot.mouseMove(viewport, pos=b)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)
    drawn = [mid for mid in state.mesh_ids if (state.raster.crops[mid][0][..., 3] > 0.1).any()]
    assert sorted(state.selected) == sorted(drawn)
    assert sorted(ws.mesh_panel.selected_ids()) == sorted(drawn)
    fx, fy = _centre_of(state, "Face")
    _click(ws, qtbot, fx, fy, Qt.KeyboardModifier.ControlModifier)
    assert "Face" not in state.selected and len(state.selected) == len(drawn) - 1


def test_pose_slider_rerenders_and_propagation(window, qtbot, mark, tmp_path):
    ws = _open(window, qtbot, mark)
    state = ws.state
    before = state.composite()
    slider = ws.pose_panel.sliders["ParamAngleX"]
    slider.setValue(slider.maximum())
    qtbot.waitUntil(lambda: abs(state.model.parameter_values()["ParamAngleX"] - 30) < 1e-3, timeout=5_000)
    assert (state.composite() != before).any()
    ws.pose_panel.sweep.setCurrentRow(0)  # neutral
    qtbot.waitUntil(lambda: abs(state.model.parameter_values()["ParamAngleX"]) < 1e-3, timeout=5_000)

    # the pose worker renders the latest request: a burst of three renders at most twice and ends on the last
    rendered = []
    ws.poser.rendered.connect(lambda result: rendered.append(result[1]["ParamAngleX"]))
    for value in (-30.0, 10.0, 20.0):
        ws.set_pose({"ParamAngleX": value})
    qtbot.waitUntil(lambda: not ws.poser.busy and rendered and rendered[-1] == 20.0, timeout=10_000)
    assert rendered in ([-30.0, 20.0], [20.0]) and state.model.parameter_values()["ParamAngleX"] == 20.0
    # they ran in the window's job system: the Jobs panel lists them and quitting waits for them like any job
    assert ws.poser.runner is window.jobs
    assert any(job.title == "Pose" and job.lane == "pose" for job in window.jobs.jobs())
    x, y = _centre_of(state, "Face")  # picking follows the installed raster
    assert state.pick(x, y) == "Face"

    # another copy of Mark, labelled, is the source: labels copy over by id
    other = _copy(tmp_path / "other", "Mark")
    from seethrough.annotation.labels import LabelStore

    source = LabelStore.open(other.with_name("Mark.labels.json"), state.mesh_ids)
    source.set_tag(["Face"], "face")
    source.set_tag(["HairBack"] if "HairBack" in state.mesh_ids else state.mesh_ids[:1], "back hair", "name-match")
    ws.propagate_from(other)
    _wait_for_label_job(window, qtbot, ws, None)
    assert state.labels.tag("Face") == "face"
    assert ws.last_report.by_id == 2
    ws.undo()
    assert state.labels.tag("Face") is None


def test_hiyori_screenshot_and_open_in_stratify(window, qtbot, tmp_path, screens):
    ws = _open(window, qtbot, _copy(tmp_path, "Hiyori"))
    ws.auto_label()
    _wait_for_label_job(window, qtbot, ws, None)
    assert ws.state.coverage()[0] >= 120
    x, y = _centre_of(ws.state, ws.state.pick(ws.state.frame.width // 2, ws.state.frame.height // 5)
                      or ws.state.mesh_ids[0])
    _click(ws, qtbot, x, y)
    ws.mesh_panel.set_grouping(BY_PART)
    _screenshot(window, screens, "annotate-hiyori-window.png")
    _screenshot(ws, screens, "annotate-hiyori.png")
    ws.open_in_stratify()  # rendered in the job runner from a copy of the model
    qtbot.waitUntil(lambda: window.session.document is not None and not window.jobs.busy
                    and "face" in [layer.tag for layer in window.session.document.layers], timeout=60_000)


def test_broken_model_gives_a_message_and_keeps_working(window, qtbot, tmp_path, mark):
    from seethrough.app import errors as app_errors

    bad = tmp_path / "bad.model3.json"
    bad.write_text("{ nope")
    ws = window.workspaces["annotate"]
    app_errors.last_message = ""
    ws.open_model(bad)
    qtbot.waitUntil(lambda: "not valid JSON" in app_errors.last_message and not window.jobs.busy, timeout=30_000)
    assert ws.state is None
    (mark.parent / "Mark.2048" / "texture_00.png").unlink()  # a missing texture
    ws.open_model(mark)
    qtbot.waitUntil(lambda: "texture" in app_errors.last_message and not window.jobs.busy, timeout=30_000)
    assert ws.state is None
    ws.open_model(_copy(tmp_path / "ok", "Mark"))  # still usable
    qtbot.waitUntil(lambda: ws.state is not None, timeout=30_000)


def test_label_file_of_another_model_is_left_untouched(window, qtbot, mark):
    from seethrough.app import errors as app_errors

    foreign = mark.with_name("Mark.labels.json")
    text = json.dumps({"schema_version": 1, "model_id": "x", "entries": {"NotAMesh": {"tag": "face",
                                                                                      "source": "human"}}})
    foreign.write_text(text)
    ws = _open(window, qtbot, mark)
    assert "another model" in app_errors.last_message
    ws.select(["Face"])
    ws.assign("face")
    assert foreign.read_text() == text  # never overwritten
    assert ws.state.document.label_path != foreign and ws.state.document.label_path.is_file()


def test_state_label_file_location(tmp_path, mark):
    state = AnnotationState.open(mark, size=256)
    assert state.document.label_path == mark.with_name("Mark.labels.json")


def test_export_psd_and_cancel_an_export(window, qtbot, mark, tmp_path):
    from seethrough.app import errors as app_errors
    from seethrough.core.dataset_layout import read_dataset, validate_dataset

    ws = _open(window, qtbot, mark)
    ws.auto_label()
    _wait_for_label_job(window, qtbot, ws, None)
    psd = tmp_path / "mark.psd"
    ws.export_psd(psd)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60_000)
    from psd_tools import PSDImage

    names = [layer.name for layer in PSDImage.open(psd).descendants()]
    assert "face" in names and "front hair" in names

    out = tmp_path / "cancelled"
    ws.export_dataset(out, size=256)
    assert ws.pose_panel.cancel.isVisibleTo(ws)
    # cancel once the export runs (a job cancelled while still queued never starts, and writes nothing)
    qtbot.waitUntil(lambda: any(job.state.value == "running" for job in window.jobs.active()), timeout=30_000)
    ws.pose_panel.cancel.click()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60_000)
    assert app_errors.last_message.startswith("Cancelled")
    assert not ws.pose_panel.cancel.isVisibleTo(ws)
    # what was written stays a valid dataset; cancelled before its first sample was done, nothing is left at all
    if out.exists():
        assert validate_dataset(out) == [] and len(read_dataset(out).samples) < 9
    else:
        assert not any(p.name.startswith("cancelled") for p in tmp_path.iterdir())


def test_model_warnings_are_shown_in_the_status_bar(window, qtbot, tmp_path):
    path = _copy(tmp_path, "Mark")
    spec = json.loads(path.read_text(encoding="utf-8"))
    spec["FileReferences"]["Expressions"] = [{"Name": "smile", "File": "missing.exp3.json"}]  # optional, absent
    path.write_text(json.dumps(spec), encoding="utf-8")
    ws = _open(window, qtbot, path)
    assert ws.state.model.warnings
    assert "1 model warning" in ws.status.text()
    assert "missing.exp3.json" in ws.status.toolTip()
    ws.open_model(_copy(tmp_path / "clean", "Mark"))
    qtbot.waitUntil(lambda: ws.state.model.path != path and not window.jobs.busy, timeout=60_000)
    assert "warning" not in ws.status.text() and ws.status.toolTip() == ""
