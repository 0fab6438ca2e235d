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


def test_missing_weights_are_named_with_how_to_get_them(workspace):
    workspace.layer_model.setText("")
    workspace.depth_model.setText("")
    workspace.refresh_status()
    text = workspace.status.text()
    assert "layerdifforg/seethroughv0.0.2_layerdiff3d" in text and "hf download" in text
    assert not workspace.run_button.isEnabled()


def test_run_fills_the_document_and_reports_reconstruction(workspace, models, qtbot, tmp_path):
    layers, depth = models
    workspace.layer_model.setText(str(layers))
    workspace.depth_model.setText(str(depth))
    workspace.resolution.setValue(64)
    workspace.steps.setValue(2)
    workspace.set_image(_image())
    assert workspace.run_button.isEnabled()
    workspace.run()
    qtbot.waitUntil(lambda: workspace.run_button.isEnabled(), timeout=120_000)
    doc = workspace.session.document
    assert doc is not None and doc.size == (64, 48) and len(doc.layers) > 0
    assert "PSNR" in workspace.result_label.text()
    assert workspace.progress.value() == 1000
    workspace.grab().save(str(tmp_path / "decompose.png"))


def test_cancel_leaves_the_document_untouched(workspace, models, qtbot):
    layers, depth = models
    workspace.layer_model.setText(str(layers))
    workspace.depth_model.setText(str(depth))
    workspace.resolution.setValue(64)
    workspace.steps.setValue(50)
    workspace.set_image(_image())
    workspace.run()
    workspace.cancel()
    qtbot.waitUntil(lambda: "Cancel" in workspace.result_label.text(), timeout=120_000)
    assert workspace.session.document is None
