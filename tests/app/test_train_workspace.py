"""The Train workspace drives a real training process: start the tiny job, the curve grows, stop, resume."""

import shutil
from pathlib import Path

import pytest

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.train import TrainWorkspace, dataset_summary
from seethrough.app.workspaces.train_process import TrainingProcess
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


class _ScriptProcess(TrainingProcess):
    """The real process supervisor, running a short Python script in place of the trainer."""

    script = ""

    def command(self, config: Path, output: Path, resume: bool) -> list[str]:
        return ["-c", self.script]


def test_a_stop_never_ends_the_run_started_after_it(qtbot, tmp_path):
    """Stop, then Resume at once: the stop's grace period must not terminate the resumed run (it used to: the
    resumed run died, without a word in its log, when the first one's grace period ran out)."""
    process = _ScriptProcess()
    process.script = "import time; time.sleep(0.3)"  # ends by itself, as a trainer that saw the STOP file
    process.start(tmp_path / "config.yaml", tmp_path, resume=False)
    process.request_stop(grace_ms=500)
    qtbot.waitUntil(lambda: not process.is_running(), timeout=30_000)
    process.script = "import time; time.sleep(30)"  # the resumed run
    process.start(tmp_path / "config.yaml", tmp_path, resume=True)
    try:
        qtbot.wait(1500)  # well past the first run's grace period
        assert process.is_running()
    finally:
        process.kill()
        qtbot.waitUntil(lambda: not process.is_running(), timeout=10_000)
