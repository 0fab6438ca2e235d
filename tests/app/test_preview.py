"""The Preview workspace on a real (small) layered character: mouse parallax, hiding, timer, controls, screenshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.preview import PreviewWorkspace
from seethrough.core.commands import SetLayerProperty
from seethrough.core.document import Document, Layer, crop_to_content
from seethrough.core.parallax import batch_runs


def _ellipse(size: tuple[int, int], box: tuple[int, int, int, int], color: tuple[int, int, int]) -> np.ndarray:
    """A full-canvas RGBA ellipse with a 2-px soft edge filling `box` = (x0, y0, x1, y1)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    rx, ry = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
    d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    alpha = np.clip((1.0 - d) * min(rx, ry) / 2, 0, 1)
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3] = color
    rgba[..., 3] = (alpha * 255).astype(np.uint8)
    return rgba


def character_document() -> Document:
    """A simple drawn character: 11 tagged layers, far → near, each cropped to its box."""
    size = (240, 320)
    parts = [
        ("back hair", [(50, 30, 190, 230)], (90, 50, 40), 0.9),
        ("bottomwear", [(75, 230, 165, 310)], (40, 40, 90), 0.7),
        ("topwear", [(65, 150, 175, 250)], (60, 110, 200), 0.6),
        ("neck", [(105, 130, 135, 165)], (240, 200, 180), 0.58),
        ("handwear", [(40, 200, 75, 235), (165, 200, 200, 235)], (240, 200, 180), 0.4),
        ("face", [(75, 50, 165, 145)], (250, 215, 195), 0.5),
        ("eyewhite", [(90, 85, 112, 105), (128, 85, 150, 105)], (255, 255, 255), 0.47),
        ("irides", [(96, 88, 108, 104), (134, 88, 146, 104)], (60, 120, 60), 0.45),
        ("mouth", [(110, 118, 130, 126)], (200, 80, 90), 0.45),
        ("front hair", [(65, 35, 175, 85), (65, 45, 90, 120), (150, 45, 175, 120)], (120, 70, 50), 0.3),
        ("objects", [(175, 120, 225, 170)], (230, 190, 40), 0.1),
    ]
    layers = []
    for tag, boxes, color, depth in parts:
        rgba = np.zeros((size[1], size[0], 4), np.uint8)
        for box in boxes:
            part = _ellipse(size, box, color)
            rgba = np.where(part[..., 3:] > rgba[..., 3:], part, rgba)
        cropped, _, offset = crop_to_content(rgba)
        layers.append(Layer(name=tag, tag=tag, rgba=cropped, offset=offset, depth_value=depth, provenance="test"))
    return Document(size, layers)


def _frame(ws: PreviewWorkspace) -> QImage:
    return ws.view.grab().toImage()


def _pixels(image: QImage) -> np.ndarray:
    """A copy of the pixels as (h, w, 4) RGBA (a copy: the converted QImage dies with this function)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def _changed_pixels(a: QImage, b: QImage) -> int:
    """How many pixels differ by more than 8 levels in some channel."""
    diff = np.abs(_pixels(a).astype(np.int16) - _pixels(b).astype(np.int16)).max(axis=2)
    return int((diff > 8).sum())


@pytest.fixture
def workspace(qtbot):  # pytest-qt fixture
    session = DocumentSession()
    session.set_document(character_document())
    ws = PreviewWorkspace(session)
    qtbot.addWidget(ws)
    ws.resize(720, 480)
    ws.show()
    qtbot.waitExposed(ws)
    layers = session.document.layers
    qtbot.waitUntil(lambda: ws.view.rig is not None and len(ws.renderer) == len(layers))  # converted in a job
    yield ws
    ws.jobs.stopping()
    assert ws.jobs.wait(30_000)


def test_workspace_identity(workspace: PreviewWorkspace) -> None:
    assert PreviewWorkspace.title == "Preview" and PreviewWorkspace.key == "preview"
    doc = workspace.session.document
    renderer = workspace.renderer
    # one image per layer of the document, each converted once, for the document's canvas
    assert len(renderer) == len(doc.layers) and renderer.conversions == len(doc.layers)
    assert renderer.canvas_size == doc.size
    assert not workspace.timer.isActive()  # not the visible tab yet


def test_mouse_move_changes_the_frame(workspace: PreviewWorkspace, qtbot) -> None:
    view = workspace.view
    centred = _frame(workspace)
    assert all(tr.is_identity for tr in view.rig.pose())
    QTest.mouseMove(view, QPoint(view.width() - 4, view.height() // 2 + 40))
    qtbot.waitUntil(lambda: view.rig.pointer[0] > 0.9)
    moved = _frame(workspace)
    assert moved != centred
    hair = workspace.session.document.find("front hair")
    face = workspace.session.document.find("face")
    pose = {tr.uid: tr for tr in view.rig.pose()}
    assert pose[hair.uid].dx > pose[face.uid].dx >= 0  # paused: the hair still follows (nearer, so moves more)
    QTest.mouseMove(view, QPoint(view.width() // 2, view.height() // 2))
    qtbot.waitUntil(lambda: abs(view.rig.pointer[0]) < 0.01)
    back = _frame(workspace)
    # back at (about) the centre: (almost) the centred frame again, unlike the moved one
    assert _changed_pixels(back, centred) < _changed_pixels(moved, centred) / 20


def test_parallax_strength_zero_freezes_the_frame(workspace: PreviewWorkspace, qtbot) -> None:
    view = workspace.view
    workspace.strength_slider.setValue(0)
    centred = _frame(workspace)
    QTest.mouseMove(view, QPoint(10, 10))
    qtbot.waitUntil(lambda: view.rig.pointer[0] < -0.9)
    assert _frame(workspace) == centred


def test_hiding_a_layer_changes_the_frame_and_reconverts_only_that_layer(
    workspace: PreviewWorkspace,
    qtbot,
) -> None:
    session = workspace.session
    before = _frame(workspace)
    conversions = workspace.renderer.conversions
    face = session.document.find("face")
    session.push(SetLayerProperty(face.uid, "visible", False))
    qtbot.waitUntil(lambda: face.uid not in {tr.uid for tr in workspace.view.rig.pose()})
    hidden = _frame(workspace)
    assert hidden != before
    assert workspace.renderer.conversions == conversions + 1
    session.undo()
    qtbot.waitUntil(lambda: face.uid in {tr.uid for tr in workspace.view.rig.pose()})
    assert _frame(workspace) == before


def test_timer_advances_only_while_active_and_playing(workspace: PreviewWorkspace, qtbot) -> None:
    rig = workspace.view.rig
    workspace.activated()
    assert workspace.timer.isActive()
    qtbot.waitUntil(lambda: rig.t > 0.15, timeout=5000)
    workspace.deactivated()
    assert not workspace.timer.isActive()
    stopped_at = rig.t
    qtbot.wait(100)
    assert rig.t == stopped_at
    workspace.activated()
    workspace.play_button.setFocus()
    QTest.keyClick(workspace.play_button, Qt.Key.Key_Space)  # Space pauses
    qtbot.waitUntil(lambda: not workspace.timer.isActive())
    assert not workspace.playing and workspace.play_button.text() == "Play"
    workspace.set_playing(True)
    assert workspace.timer.isActive()
    workspace.deactivated()


def test_motion_changes_the_frame_over_time_and_reset_restores_it(
    workspace: PreviewWorkspace,
    qtbot,
) -> None:
    start = _frame(workspace)
    workspace.view.rig.step(1.0)  # one second of sway and breathing
    assert _frame(workspace) != start
    workspace.reset_view()
    assert workspace.view.rig.t == 0.0
    assert _frame(workspace) == start


def test_background_and_motion_toggles(workspace: PreviewWorkspace) -> None:
    checker = _frame(workspace)
    workspace.background_combo.setCurrentText("Green")
    green = _frame(workspace)
    assert green != checker
    assert green.pixelColor(2, 2).green() > 150 and green.pixelColor(2, 2).red() < 20
    workspace.sway_box.setChecked(False)
    workspace.breathing_box.setChecked(False)
    workspace.spring_box.setChecked(False)
    assert not (workspace.settings.sway or workspace.settings.breathing or workspace.settings.hair_spring)
    workspace.view.rig.step(1.0)
    assert _frame(workspace) == green  # nothing moves without motion and with the pointer centred


def test_screenshot(workspace: PreviewWorkspace, qtbot, screens: Path) -> None:
    view = workspace.view
    QTest.mouseMove(view, QPoint(view.width() * 3 // 4, view.height() // 3))
    qtbot.waitUntil(lambda: view.rig.pointer[0] > 0.4)
    workspace.activated()  # let it run until the fps readout has a number
    qtbot.waitUntil(lambda: workspace.fps_label.text()[0].isdigit(), timeout=5000)
    workspace.deactivated()
    path = screens / "preview.png"
    assert workspace.grab().save(str(path))
    assert path.stat().st_size > 1000


def test_closing_and_reopening_a_document(workspace: PreviewWorkspace, qtbot) -> None:
    session = workspace.session
    session.set_document(None)
    assert workspace.view.rig is None and len(workspace.renderer) == 0
    empty = _frame(workspace)  # paints the "no layers" message, no crash
    workspace.activated()
    workspace._tick()  # a tick without a document is harmless
    workspace.deactivated()
    session.set_document(character_document())
    qtbot.waitUntil(lambda: workspace.view.rig is not None and len(workspace.renderer) == 11)
    assert _frame(workspace) != empty


def test_batched_drawing_matches_drawing_layer_by_layer(workspace: PreviewWorkspace) -> None:
    """Compositing a swaying head into one buffer first must look like resampling each layer on its own."""
    rig = workspace.view.rig
    rig.set_pointer(0.7, -0.4)
    rig.step(1.2)  # mid-sway, mid-breath, springs moving
    renderer = workspace.renderer
    pose = rig.pose()
    assert any(len(run) > 1 for run in batch_runs(pose))
    size = QSize(480, 640)
    batched = _pixels(renderer.render(pose, size)).astype(np.int16)
    renderer.batch = False
    reference = _pixels(renderer.render(pose, size)).astype(np.int16)
    renderer.batch = True
    diff = np.abs(batched - reference).max(axis=2)
    assert float(diff.mean()) < 1.0  # shifts rounded to whole pixels inside the batch: edges differ slightly
    assert float((diff > 64).mean()) < 0.01
