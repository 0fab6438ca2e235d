"""The Decompose workspace on tiny models: what is missing is said, a run fills the document, cancel works."""

import numpy as np
import pytest

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.decompose import DecomposeWorkspace
from tests.support.tiny_models import build_depth_model, build_layer_model


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return build_layer_model(root / "layers", "v3"), build_depth_model(root / "depth")


def _image():
    img = np.zeros((48, 64, 4), np.uint8)
    img[..., :3] = 180
    img[4:44, 16:48, 3] = 255
    return img


@pytest.fixture()
def workspace(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "no-models-here"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    session = DocumentSession()
    ws = DecomposeWorkspace(session)
    qtbot.addWidget(ws)
    yield ws
    ws.shutdown()
    # join the worker for real: a run still loading models must not outlive the test ("destroyed while running")
    assert ws.jobs.wait(300_000), "the decompose worker did not stop within 5 minutes of cancel"
    assert not ws.jobs.threads_alive()


def test_missing_weights_are_named_with_how_to_get_them(workspace):
    workspace.layer_model.setText("")
    workspace.depth_model.setText("")
    workspace.refresh_status()
    text = workspace.status.toPlainText()
    assert "layerdifforg/seethroughv0.0.2_layerdiff3d" in text and "hf download" in text
    assert not workspace.run_button.isEnabled()


def test_the_missing_model_message_is_whole_selectable_and_names_the_default_folder(workspace, qtbot, monkeypatch):
    from PySide6.QtGui import QGuiApplication

    from seethrough.core.models.catalog import MODELS, default_models_dir

    monkeypatch.delenv("SEETHROUGH_MODELS")  # nothing set: the per-test default models folder is the target
    workspace.layer_model.setText("")
    workspace.depth_model.setText("")
    workspace.refresh_status()
    workspace.resize(700, 500)
    workspace.show()
    qtbot.waitExposed(workspace)
    text = workspace.status.toPlainText()
    target = default_models_dir() / MODELS["layers-v3"].dir_name
    assert f"hf download layerdifforg/seethroughv0.0.2_layerdiff3d --local-dir {target}" in text
    assert "snapshot_download(repo_id='layerdifforg/seethroughv0.0.2_layerdiff3d'" in text
    assert str(default_models_dir()) in workspace.models_dir.placeholderText()
    # copyable: select all and copy puts the whole message, command included, on the clipboard
    workspace.status.selectAll()
    workspace.status.copy()
    assert QGuiApplication.clipboard().text().replace("\u2029", "\n") == text
    # not clipped: the text wraps inside the box (no horizontal scrolling), and the box scrolls if it is long
    assert workspace.status.horizontalScrollBar().maximum() == 0
    assert workspace.status.isReadOnly()


def test_models_folder_has_a_browse_button_that_sets_and_remembers_the_folder(workspace, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QFileDialog

    chosen = tmp_path / "my-models"
    chosen.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(chosen))
    workspace.models_browse.click()
    assert workspace.models_dir.text() == str(chosen)
    assert QSettings().value("models/folder") == str(chosen)
    assert workspace.options().models_dir == chosen
    assert str(chosen) in workspace.status.toPlainText()  # now searched first, and named in the message


def test_weights_and_memory_mode_choices_reach_the_options(workspace):
    assert workspace.options().offload == "auto" and workspace.options().quantize is None
    workspace.quantize.setCurrentIndex(2)
    workspace.offload.setCurrentText("group")
    options = workspace.options()
    assert options.quantize == "4bit" and options.offload == "group"


def test_speed_choice_reaches_the_options_and_is_remembered(workspace):
    from PySide6.QtCore import QSettings

    assert workspace.options().compile == "auto" and workspace.options().skip_empty == "auto"
    workspace.speed.setCurrentText("eager")
    workspace.quantize.setCurrentText("fp8")
    options = workspace.options()
    assert (options.compile, options.channels_last, options.cuda_graphs, options.skip_empty, options.quantize) == \
        ("off", "off", "off", "off", "fp8")
    workspace.save_options()
    assert QSettings().value("decompose/speed") == "eager"


def test_run_fills_the_document_and_reports_reconstruction(workspace, models, qtbot, tmp_path):
    layers, depth = models
    workspace.layer_model.setText(str(layers))
    workspace.depth_model.setText(str(depth))
    workspace.resolution.setValue(64)
    workspace.depth_resolution.setValue(64)  # tiny: the depth pass costs minutes at the default 768 on a CPU
    workspace.steps.setValue(2)
    workspace.set_image(_image())
    assert workspace.run_button.isEnabled()
    workspace.run()
    qtbot.waitUntil(lambda: workspace.run_button.isEnabled(), timeout=500_000)
    doc = workspace.session.document
    assert doc is not None and doc.size == (64, 48) and len(doc.layers) > 0
    assert doc.history.undo_text == "Decompose"  # nothing was open: Undo goes back to the illustration alone
    assert [op.op for op in doc.history.operations()[0]] == ["decompose"]
    qtbot.waitUntil(lambda: "PSNR" in workspace.result_label.text(), timeout=60_000)  # checked in its own job
    assert workspace.progress.value() == 1000
    workspace.grab().save(str(tmp_path / "decompose.png"))


def test_cancel_leaves_the_document_untouched(workspace, models, qtbot):
    layers, depth = models
    workspace.layer_model.setText(str(layers))
    workspace.depth_model.setText(str(depth))
    workspace.resolution.setValue(64)
    workspace.depth_resolution.setValue(64)  # tiny: the depth pass costs minutes at the default 768 on a CPU
    workspace.steps.setValue(50)
    workspace.set_image(_image())
    workspace.run()
    workspace.cancel()
    qtbot.waitUntil(lambda: "Cancel" in workspace.result_label.text(), timeout=500_000)
    assert workspace.session.document is None
