"""The Train workspace drives a real training process: start the tiny job, the curve grows, stop, resume."""

import shutil
from pathlib import Path

import pytest

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.train import TrainWorkspace, dataset_summary
from tests.support.tiny_dataset import write_dataset


@pytest.fixture()
def workspace(qtbot, tmp_path):
    ws = TrainWorkspace(DocumentSession())
    qtbot.addWidget(ws)
    ws.resize(1200, 800)
    yield ws
    ws.process.kill()


def test_dataset_summary(tmp_path):
    data = write_dataset(tmp_path / "d", samples=4)
    text, thumbs = dataset_summary(data)
    assert "4 samples" in text and "test 1" in text and "train 3" in text and len(thumbs) == 4
    assert "no dataset.json" in dataset_summary(tmp_path)[0]


#: how long a step of the run may keep the test waiting: generous, since a loaded 2-core machine starts the training
#: process (torch's import) slowly; a process that ended early ends the wait at once, with its log in the failure
PATIENCE_MS = 400_000


def _wait_for_steps(workspace, qtbot, enough) -> None:
    qtbot.waitUntil(lambda: enough() or not workspace.process.is_running(), timeout=PATIENCE_MS)
    log = workspace.process.output / "train.log"
    assert enough(), log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else "no train.log"


@pytest.mark.timeout(1500)
def test_start_watch_stop_resume(workspace, qtbot, tmp_path):
    data = write_dataset(tmp_path / "data", samples=4)
    workspace.dataset_edit.setText(str(data))
    workspace._refresh_dataset()
    index = workspace.config_combo.findText("layers_stage1_tiny")
    assert index >= 0
    workspace.config_combo.setCurrentIndex(index)
    workspace.steps_spin.setValue(400)
    workspace.ckpt_spin.setValue(1000)
    out = tmp_path / "run"
    workspace.output_edit.setText(str(out))

    workspace.start()
    _wait_for_steps(workspace, qtbot, lambda: len(workspace._steps) >= 3)
    assert workspace.stop_button.isEnabled() and not workspace.start_button.isEnabled()
    x, y = workspace.loss_curve.getData()
    assert len(x) >= 3 and all(v > 0 for v in y)
    shutil.copy(workspace.process.output / "config.yaml", tmp_path / "used.yaml")
    workspace.grab().save(str(tmp_path / "train.png"))

    workspace.stop()
    qtbot.waitUntil(lambda: not workspace.process.is_running(), timeout=PATIENCE_MS)
    qtbot.waitUntil(lambda: "stopped" in workspace.status_label.text(), timeout=10_000)
    stopped_at = workspace._steps[-1]
    assert any(Path(p).name.startswith("step-") for p in map(str, (out / "checkpoints").iterdir()))

    workspace.start(resume=True)
    _wait_for_steps(workspace, qtbot, lambda: bool(workspace._steps) and workspace._steps[-1] > stopped_at + 1)
    workspace.stop()
    qtbot.waitUntil(lambda: not workspace.process.is_running(), timeout=PATIENCE_MS)
    resumed = [s for s in workspace._steps if s > stopped_at]
    assert resumed[0] == stopped_at + 1  # continued where it stopped, not from zero


def test_a_run_resumed_soon_after_a_stop_is_not_terminated_by_that_stop(qtbot, tmp_path):
    """Stop asks the run to checkpoint and exit, and terminates it if it has not after a grace period. A run resumed
    before that period ends is another process: it must keep running (it was SIGTERMed, silently, under load)."""
    import os
    import signal

    from seethrough.app.workspaces.train_process import TrainingProcess

    class Sleeper(TrainingProcess):
        def command(self, config, output, resume):
            return ["-c", "import time; time.sleep(60)"]

    process = Sleeper()
    process.start(tmp_path / "config.yaml", tmp_path / "run")
    first = process.pid
    process.request_stop(grace_ms=300)
    os.kill(first, signal.SIGKILL)  # the first run honours the stop and ends
    qtbot.waitUntil(lambda: not process.is_running(), timeout=10_000)
    process.start(tmp_path / "config.yaml", tmp_path / "run", resume=True)
    resumed = process.pid
    assert resumed != first
    qtbot.wait(1500)  # past the first run's grace period
    try:
        assert process.is_running(), "the resumed run was terminated by the stop of the run before it"
    finally:
        process.kill()
