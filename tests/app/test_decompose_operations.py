"""A decomposition and a region re-decomposition run from the Decompose workspace's buttons (tiny models) are
operations: recorded on the document's history, written as an operation log, and replayed headless by
`seethrough-gui apply` to the same document."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.decompose import DecomposeWorkspace
from seethrough.cli import run as cli_run
from seethrough.core.io.images import save_png
from seethrough.core.io.open_any import open_document
from seethrough.core.io.psd_export import export_psd
from seethrough.core.operations import history_log
from tests.support.tiny_models import build_depth_model, build_layer_model


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return build_layer_model(root / "layers", "v3"), build_depth_model(root / "depth")


def _illustration() -> np.ndarray:
    img = np.zeros((96, 64, 4), np.uint8)
    yy, xx = np.mgrid[0:96, 0:64]
    img[..., 0], img[..., 1], img[..., 2] = (xx * 4) % 256, (yy * 3) % 256, 150
    img[8:90, 14:50, 3] = 255
    return img


def _psd_bytes(doc, folder, name) -> dict[str, bytes]:
    written = export_psd(doc, folder / f"{name}.psd")
    # the companion file names the set's files; the PSDs' own bytes are compared as they are
    return {p.name.replace(name, "X"): p.read_bytes().replace(name.encode(), b"X") if p.suffix == ".json"
            else p.read_bytes() for p in written}


@pytest.fixture()
def workspace(qtbot, tmp_path, models, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "no-models-here"))
    session = DocumentSession()
    ws = DecomposeWorkspace(session)
    qtbot.addWidget(ws)
    layers, depth = models
    ws.layer_model.setText(str(layers))
    ws.depth_model.setText(str(depth))
    ws.resolution.setValue(64)
    ws.depth_resolution.setValue(64)
    ws.steps.setValue(2)
    ws.device.setCurrentText("cpu")
    ws.refresh_status()
    yield ws
    ws.shutdown()
    assert ws.jobs.wait(300_000)


def test_a_decomposition_and_a_region_redo_replay_headless(workspace, qtbot, tmp_path):
    image = tmp_path / "character.png"
    save_png(image, _illustration())
    workspace.session.set_document(open_document(image), image)
    workspace.use_session_source()
    assert workspace.run_button.isEnabled(), workspace.run_button.toolTip()
    workspace.run_button.click()
    session = workspace.session
    qtbot.waitUntil(lambda: not workspace._busy() and session.require_document().history.can_undo, timeout=300_000)
    doc = session.require_document()
    assert len(doc.layers) > 1 and doc.history.undo_text == "Decompose"

    session.set_region((10, 20, 54, 70))
    assert workspace.region_button.isEnabled(), workspace.region_button.toolTip()
    before = doc.history.index
    workspace.region_button.click()
    qtbot.waitUntil(lambda: not workspace._busy() and doc.history.index == before + 1, timeout=300_000)
    assert doc.history.undo_text.startswith("Re-decompose region")

    log, warnings = history_log(doc.history)
    assert warnings == [] and [e["op"] for e in log["operations"]] == ["decompose", "redecompose-region"]
    assert log["operations"][0]["options"]["resolution"] == 64  # the options the run used, not defaults
    log_path = tmp_path / "session.actions.json"
    log_path.write_text(json.dumps(log), encoding="utf-8")
    out = tmp_path / "replayed.stproj"
    assert cli_run(["apply", str(image), str(log_path), "-o", str(out)]) == 0
    replayed = open_document(out)
    assert _psd_bytes(replayed, tmp_path, "cli") == _psd_bytes(doc, tmp_path, "gui")
