"""The main window driven like a user would: the sample opens, layers are edited from the panel, the hair is
stratified in the Stratify workspace and undone/redone, a PSD is exported, files are dropped, a bad file is
refused without losing the open document; and a screenshot of every workspace is saved."""


import numpy as np
from psd_tools import PSDImage
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog

from seethrough.app import errors as app_errors
from seethrough.core.io.images import save_png


def _names(w):
    return [layer.name for layer in w.session.document.layers]


def test_opens_on_the_sample_with_all_workspaces(window, qtbot):
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Annotate", "Decompose", "Stratify", "Preview", "Train"]
    doc = window.session.document
    assert len(doc.layers) >= 12
    assert window.layers_panel.model.rowCount() == len(doc.layers)
    assert "sample" in window.windowTitle()
    with qtbot.waitSignal(window.canvas.rendered, timeout=30_000):
        window.canvas.render_now()
    assert window.canvas.last_image.shape == (doc.height, doc.width, 4)


def test_layer_panel_edits_are_undoable(window, qtbot):
    model = window.layers_panel.model
    doc = window.session.document
    top = model.index(0)
    uid = model.data(top, Qt.ItemDataRole.UserRole)
    model.setData(top, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not doc.layer(uid).visible
    model.setData(top, "ribbon", Qt.ItemDataRole.EditRole)
    assert doc.layer(uid).name == "ribbon"
    count = len(doc.layers)
    window.session.set_current(doc.find("face").uid)
    window.layers_panel.act("merge")  # computed in a job (seconds at 2048²), applied on the UI thread
    qtbot.waitUntil(lambda: len(doc.layers) == count - 1, timeout=60_000)
    window.layers_panel.act("up")
    window.actions_by_name["Undo"].trigger()  # undo the move
    window.undo_action.trigger()  # undo the merge
    assert len(doc.layers) == count
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert doc.layer(uid).name != "ribbon" and doc.layer(uid).visible
    window.redo_action.trigger()
    assert not doc.layer(uid).visible


def test_drag_reorder_through_the_model(window):
    model = window.layers_panel.model
    bottom_uid = window.session.document.layers[0].uid
    mime = model.mimeData([model.index(model.rowCount() - 1)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, model.index(-1))
    assert window.session.document.layers[-1].uid == bottom_uid


def test_stratify_hair_undo_redo(window, qtbot):
    stratify = window.workspaces["stratify"]
    window.tabs.setCurrentWidget(stratify)
    doc = window.session.document
    window.session.set_current(doc.find("front hair").uid)
    qtbot.waitUntil(lambda: stratify.view is not None and stratify.view.layer is window.session.current_layer,
                    timeout=30_000)  # the front hair's own fit (until it lands the strata shown are another layer's)
    assert stratify.strata_row.count() == 2
    assert len(stratify.thresholds) == 1 and stratify.apply_button.isEnabled()
    before = _names(window)
    stratify.inpaint.setCurrentText("opencv")
    stratify.apply_button.click()
    qtbot.waitUntil(lambda: "front hair-0" in _names(window), timeout=60_000)
    names = _names(window)
    assert "front hair-0" in names and "front hair-1" in names and "front hair" not in names
    assert names.index("front hair-1") < names.index("face") < names.index("front hair-0")
    stratify.last_report = None
    stratify.update_reconstruction()
    qtbot.waitUntil(lambda: stratify.last_report is not None, timeout=30_000)
    assert stratify.last_report.psnr > 30
    window.undo_action.trigger()
    assert _names(window) == before
    window.redo_action.trigger()
    assert "front hair-0" in _names(window)
    window.session.set_current(window.session.document.find("handwear").uid)
    qtbot.waitUntil(lambda: stratify.lr_button.isEnabled(), timeout=30_000)
    stratify.lr_button.click()
    qtbot.waitUntil(lambda: {"handwear-r", "handwear-l"} <= set(_names(window)), timeout=30_000)


def test_dragged_threshold_changes_the_strata(window, qtbot):
    stratify = window.workspaces["stratify"]
    window.session.set_current(window.session.document.find("front hair").uid)
    stratify.k_spin.setValue(3)
    qtbot.waitUntil(lambda: len(stratify.thresholds) == 2 and len(stratify._lines) == 2, timeout=30_000)
    stratify.set_thresholds([0.05, 0.95])  # what dragging both lines to the ends does
    qtbot.waitUntil(lambda: stratify.thresholds == [0.05, 0.95] and stratify.strata_row.count() == 1, timeout=5000)
    stratify.set_thresholds([0.5])
    qtbot.waitUntil(lambda: stratify.strata_row.count() == 2, timeout=5000)


def test_apply_waits_for_the_new_layers_own_fit(window, qtbot):
    """Between choosing another layer and its K-Means fit landing, the strata shown are the previous layer's: Apply
    must not split the new layer at them (it used to: the far stratum came out empty and the layer was replaced by
    one stratum)."""
    stratify = window.workspaces["stratify"]
    session = window.session
    doc = session.document
    session.set_current(doc.find("headwear").uid)
    qtbot.waitUntil(lambda: stratify.view is not None and stratify.view.layer is session.current_layer,
                    timeout=30_000)
    shown = list(stratify.thresholds)
    steps = doc.history.index
    session.set_current(doc.find("front hair").uid)  # its fit is on its way
    assert stratify.thresholds == shown and not stratify.apply_button.isEnabled()
    assert stratify.stratify_operation() is None
    stratify.apply()
    window.jobs.wait(30_000)
    assert doc.history.index == steps  # nothing was split
    qtbot.waitUntil(lambda: stratify.view is not None and stratify.view.layer is session.current_layer,
                    timeout=30_000)
    assert stratify.apply_button.isEnabled() and stratify.stratify_operation() is not None


def test_thresholds_dragged_on_one_layer_never_split_the_next(window, qtbot):
    """A preview still pending when the current layer changes belongs to the old layer: the new layer gets its own
    K-Means fit, not the dragged lines of the one shown before."""
    stratify = window.workspaces["stratify"]
    session = window.session
    session.set_current(session.document.find("front hair").uid)
    qtbot.waitUntil(lambda: len(stratify.thresholds) == 1 and stratify.view is not None
                    and stratify.view.layer is session.current_layer, timeout=30_000)
    stratify.set_thresholds([0.999])  # dragged to the far end; its preview waits on a 60 ms timer
    session.set_current(session.document.find("back hair").uid)  # …and another layer is picked before it runs
    back = session.current_layer
    qtbot.waitUntil(lambda: stratify.view is not None and stratify.view.layer is back and not window.jobs.busy,
                    timeout=30_000)
    qtbot.wait(200)  # longer than the preview's timer
    assert stratify.view.layer is back
    assert stratify.thresholds != [0.999] and len(stratify.thresholds) == 1


def test_export_psd_from_the_file_menu(window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "out.psd"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.actions_by_name["Export PSD"].trigger()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60_000)
    psd = PSDImage.open(target)
    assert [layer.name for layer in psd] == _names(window)
    assert (tmp_path / "out_depth.psd").exists() and (tmp_path / "out.psd.json").exists()


def test_save_project_and_reopen(window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "char.stproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.actions_by_name["Save As"].trigger()
    qtbot.waitUntil(lambda: target.exists() and not window.jobs.busy, timeout=60_000)
    assert window.session.document.history.is_clean
    window.files.open(target)
    qtbot.waitUntil(lambda: window.session.path == target, timeout=30_000)
    assert str(target) in window.files.recent()


def test_drop_a_png_opens_it_and_a_corrupt_one_keeps_the_document(window, qtbot, tmp_path):
    png = tmp_path / "drawing.png"
    rgba = np.zeros((40, 30, 4), np.uint8)
    rgba[5:35, 5:25] = (10, 200, 30, 255)
    save_png(png, rgba)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(png))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.session.document.size == (30, 40), timeout=30_000)
    doc = window.session.document
    broken = tmp_path / "broken.png"
    broken.write_bytes(png.read_bytes()[:60])
    app_errors.last_message = ""
    window.files.open(broken)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=30_000)
    assert window.session.document is doc
    assert "broken.png" in app_errors.last_message or "truncated" in app_errors.last_message.lower()


def test_screenshot_of_every_workspace(window, qtbot, screens):
    window.session.set_current(window.session.document.find("front hair").uid)
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        qtbot.wait(150)
        key = window.tabs.widget(i).key
        if key == "stratify":
            window.workspaces["stratify"].update_reconstruction()
        window.jobs.wait(30_000)
        qtbot.wait(50)
        path = screens / f"{key}.png"
        assert window.grab().save(str(path))
        assert path.stat().st_size > 10_000


def test_trained_model_goes_to_decompose(window, tmp_path):
    folder = tmp_path / "run" / "model"
    folder.mkdir(parents=True)
    window.session.layer_model_chosen.emit(str(folder))
    decompose = window.workspaces["decompose"]
    assert decompose.layer_model.text() == str(folder)
    assert window.tabs.currentWidget() is decompose
