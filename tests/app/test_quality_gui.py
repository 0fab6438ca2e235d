"""Issue 13 in the window: the Checks panel finds the sample's order conflicts, shows them on the canvas and fixes
them in one undo step; a region is dragged on the canvas and Re-decompose region becomes available; the Preview
records a mouse path and exports it as an animation in the background."""

from __future__ import annotations

import shutil

from PIL import Image
from PySide6.QtCore import QPoint, Qt

from seethrough.core.animate import AnimationSettings


def test_checks_panel_lists_highlights_and_fixes(window, qtbot, tmp_path, screens):
    from seethrough.core.io.project import save_project
    from seethrough.core.sample import build_sample_document

    # the sample's sandwich variant (its own checks are clean): side locks tucked behind the cheeks, unstratified
    sandwich = tmp_path / "sandwich.stproj"
    save_project(build_sample_document(tucked_locks=True), sandwich)
    window.files.open(sandwich, asked=True)
    qtbot.waitUntil(lambda: "sandwich" in window.windowTitle(), timeout=60_000)
    window.jobs.wait(60_000)
    panel = window.checks_panel
    panel.run_checks()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() > 0, timeout=60_000)
    checks = {f.check for f in panel.findings}
    assert "order" in checks  # its front hair lies in front of and behind the face
    order_row = next(i for i, f in enumerate(panel.findings) if f.check == "order")
    panel.tree.setCurrentItem(panel.tree.topLevelItem(order_row))
    finding = panel.findings[order_row]
    assert window.canvas._highlight.isVisible()
    rect = window.canvas._highlight.rect()
    assert (rect.x(), rect.y()) == (finding.box[0], finding.box[1])
    assert window.session.current_uid == finding.layers[0]
    before = [layer.uid for layer in window.session.document.layers]
    panel.fix_current()
    qtbot.waitUntil(lambda: [layer.uid for layer in window.session.document.layers] != before, timeout=60_000)
    window.jobs.wait(60_000)
    qtbot.waitUntil(lambda: finding.message not in [f.message for f in panel.findings], timeout=60_000)
    window.undo()
    assert [layer.uid for layer in window.session.document.layers] == before
    window.docks["Checks"].raise_()
    assert window.grab().save(str(screens / "checks.png"))


def test_a_region_dragged_on_the_canvas_enables_redecompose(window, qtbot, tmp_path):
    canvas = window.canvas
    window.region_action.trigger()
    assert window.toolbox.active is window.toolbox.tools["region"]
    canvas.fit()
    start = canvas.mapFromScene(200, 300)
    end = canvas.mapFromScene(400, 500)
    qtbot.mousePress(canvas.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas.viewport(), pos=QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2))
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=end)
    region = window.session.region
    assert region is not None
    assert abs(region[0] - 200) <= 4 and abs(region[3] - 500) <= 4
    decompose = window.workspaces["decompose"]
    assert f"{region[2] - region[0]}×{region[3] - region[1]}" in decompose.region_button.text()
    assert not decompose.region_button.isEnabled()  # no models here: it would fail after loading for ~20 s
    assert "models are missing" in decompose.region_button.toolTip()
    for edit in (decompose.layer_model, decompose.depth_model):  # model folders chosen: the page finds them
        edit.setText(str(tmp_path))
    decompose.refresh_status()
    assert decompose.region_button.isEnabled()
    window.session.set_region(None)
    assert not decompose.region_button.isEnabled()


def test_preview_records_a_path_and_exports_it(window, qtbot, tmp_path):
    preview = window.workspaces["preview"]
    window.tabs.setCurrentWidget(preview)
    preview.record_button.setChecked(True)
    for i, x in enumerate((-0.8, 0.0, 0.8)):
        preview.recorder.add(x, 0.1, t=i * 0.5)
    preview.record_button.setChecked(False)
    assert len(preview.recorder.samples) == 3 and "3 samples" in preview.path_label.text()
    from seethrough.app.workspaces.preview_export import AnimationExportDialog

    dialog = AnimationExportDialog(preview.recorder, preview.settings, preview)
    assert dialog.path.currentText() == "recorded"
    dialog.seconds.setValue(0.5)
    dialog.fps.setValue(8)
    dialog.longest_side.setValue(64)
    settings = dialog.settings()
    assert isinstance(settings, AnimationSettings) and settings.samples[-1] == (1.0, 0.8, 0.1)
    out = tmp_path / "motion.gif"
    preview.export_animation(out, settings, loop=0)
    qtbot.waitUntil(lambda: out.exists() and not preview.export_job.state.active, timeout=60_000)
    with Image.open(out) as im:
        assert im.n_frames == 4 and max(im.size) == 64
    # an existing file is not replaced without saying so
    from seethrough.app import errors as app_errors

    app_errors.last_message = ""
    preview.export_animation(out, settings)
    assert "--force" in app_errors.last_message or "exists" in app_errors.last_message
    shutil.copy(out, tmp_path / "keep.gif")
