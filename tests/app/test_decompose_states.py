"""The Decompose page's states, on the real widget: without models nothing can start and the buttons say why; Run
is enabled exactly when an input and the models are there (after a failure too); the message under the buttons
wraps, is never clipped or overlapped, even on a page shorter than its column, and goes when its cause goes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication, QLayout, QVBoxLayout, QWidget

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.decompose import DecomposeWorkspace
from seethrough.core.document import Document, Layer


@pytest.fixture(scope="module")
def layer_model(tmp_path_factory):
    from tests.support.tiny_models import build_layer_model

    return build_layer_model(tmp_path_factory.mktemp("models") / "layers", "v3")


def _image() -> np.ndarray:
    img = np.zeros((48, 64, 4), np.uint8)
    img[..., :3] = 180
    img[4:44, 16:48, 3] = 255
    return img


def _decomposed_document() -> Document:
    """A document with the illustration it was decomposed from (what Re-decompose region works on)."""
    source = _image()
    return Document((64, 48), [Layer(name="body", tag="topwear", rgba=source, provenance="test")], source=source)


@pytest.fixture()
def workspace(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "no-models-here"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    ws = DecomposeWorkspace(DocumentSession())
    qtbot.addWidget(ws)
    ws.layer_model.setText("")
    ws.depth_model.setText("")
    ws.with_depth.setChecked(False)  # one model to find (or miss): the layer model
    yield ws
    ws.shutdown()
    assert ws.jobs.wait(300_000) and not ws.jobs.threads_alive()


def test_without_models_nothing_can_start_and_the_buttons_say_why(workspace):
    ws = workspace
    assert "✘" in ws.status.toPlainText()
    ws.session.set_document(_decomposed_document())
    ws.session.set_region((8, 8, 40, 40))
    assert not ws.region_button.isEnabled()  # it was enabled, and failed after loading for ~20 s
    assert "models are missing" in ws.region_button.toolTip()
    assert not ws.run_button.isEnabled() and "illustration" in ws.run_button.toolTip()
    ws.use_session_source()  # an input now, still no models
    assert not ws.run_button.isEnabled() and "models are missing" in ws.run_button.toolTip()
    assert not ws.cancel_button.isEnabled()


def test_run_is_enabled_exactly_when_an_input_and_the_models_are_there(workspace, layer_model, tmp_path):
    ws = workspace
    ws.layer_model.setText(str(layer_model))
    ws.refresh_status()
    assert "✔" in ws.status.toPlainText() and not ws.run_button.isEnabled()  # models, no input
    ws.set_image(_image())
    assert ws.run_button.isEnabled()  # both
    ws.layer_model.setText(str(tmp_path / "moved-away"))
    ws.refresh_status()
    assert not ws.run_button.isEnabled() and "models are missing" in ws.run_button.toolTip()  # input, no models
    ws.layer_model.setText(str(layer_model))
    ws.refresh_status()
    assert ws.run_button.isEnabled()


def test_after_a_failure_run_needs_an_input_and_the_message_goes_once_the_models_are_found(
        workspace, layer_model, qtbot, tmp_path):
    ws = workspace
    incomplete = tmp_path / "half-downloaded"
    incomplete.mkdir()  # a folder, so the page cannot tell before loading: the run fails
    ws.layer_model.setText(str(incomplete))
    ws.refresh_status()
    ws.session.set_document(_decomposed_document())
    ws.session.set_region((8, 8, 40, 40))
    assert ws.region_button.isEnabled() and not ws.run_button.isEnabled()  # a region, no illustration to run on
    ws.region_button.click()
    assert ws.cancel_button.isEnabled() and not ws.region_button.isEnabled()
    qtbot.waitUntil(lambda: not ws.cancel_button.isEnabled(), timeout=300_000)
    assert "incomplete" in ws.result_label.text()
    assert not ws.run_button.isEnabled()  # nothing to run: it was enabled after a failure
    assert ws.region_button.isEnabled()  # the region can be tried again
    ws.layer_model.setText(str(layer_model))
    ws.layer_model.editingFinished.emit()  # the user chose the right folder
    assert "✔" in ws.status.toPlainText()
    assert ws.result_label.text() == "" and not ws.result_label.isVisibleTo(ws)  # its cause is gone


def _overlaps(column: QWidget) -> list[tuple[str, str]]:
    shown = [w for w in column.findChildren(QWidget) if w.parentWidget() is column and w.isVisible()]
    return [(type(a).__name__ + ":" + getattr(a, "text", lambda: "")()[:20],
             type(b).__name__ + ":" + getattr(b, "text", lambda: "")()[:20])
            for i, a in enumerate(shown) for b in shown[i + 1:] if a.geometry().intersects(b.geometry())]


def test_the_message_wraps_is_never_overlapped_and_goes_with_a_new_input(workspace, qtbot, tmp_path):
    ws = workspace
    # in the main window the page may get less height than its column needs (a window the screen cuts, a dock)
    host = QWidget()
    layout = QVBoxLayout(host)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    layout.addWidget(ws)
    host.resize(1000, 420)
    host.show()
    try:
        qtbot.waitExposed(host)
        _message_and_new_input(ws, tmp_path)
    finally:
        ws.setParent(None)  # the fixture's workspace outlives the host
        host.close()


def _message_and_new_input(ws: DecomposeWorkspace, tmp_path) -> None:
    bad = tmp_path / ("x" * 160 + ".png")  # a name with no place to break a line
    bad.write_bytes(b"not a png")
    ws.open_image(bad)
    QApplication.processEvents()
    message = ws.result_label.text()
    assert message.startswith("Cannot open") and bad.name in message  # the whole text, never cut
    assert _overlaps(ws.status.parentWidget()) == []
    # every line is shown: wrapped inside the message's width, as tall as its lines
    assert ws.result_label.horizontalScrollBar().maximum() == 0
    assert ws.result_label.verticalScrollBar().maximum() == 0
    assert ws.result_label.width() <= ws.status.parentWidget().width()

    good = tmp_path / "good.png"
    Image.fromarray(_image()).save(good)
    ws.open_image(good)  # a new input: the message about the old one goes
    assert ws.result_label.text() == "" and not ws.result_label.isVisibleTo(ws)
    assert "good.png" in ws.image_label.text()
