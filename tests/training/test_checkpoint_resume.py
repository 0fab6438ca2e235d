"""Checkpoints survive interruption: a run killed inside a checkpoint write resumes from the newest complete one,
and the incomplete `.tmp` folder it left is ignored and then removed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seethrough.training.checkpoints import (
    SLOW_CHECKPOINT_ENV,
    STATE_FILE,
    complete_checkpoints,
    latest_checkpoint,
    remove_incomplete_checkpoints,
)
from tests.support.tiny_dataset import write_dataset

REPO = Path(__file__).resolve().parents[2]


def _checkpoint(root: Path, name: str, complete: bool = True) -> Path:
    folder = root / "checkpoints" / name
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x")
    if complete:
        (folder / STATE_FILE).write_text(json.dumps({"step": int(name[5:12])}))
    return folder


def test_discovery_ignores_incomplete_and_foreign_folders(tmp_path):
    _checkpoint(tmp_path, "step-0000010")
    newest = _checkpoint(tmp_path, "step-0000020")
    _checkpoint(tmp_path, "step-0000030.tmp", complete=False)
    _checkpoint(tmp_path, "step-0000040", complete=False)  # a state file never written: not resumable
    (tmp_path / "checkpoints" / "step-notes").mkdir()
    (tmp_path / "checkpoints" / "step-0000050.txt").write_text("not a checkpoint")
    assert latest_checkpoint(tmp_path) == newest
    assert [p.name for p in complete_checkpoints(tmp_path)] == ["step-0000010", "step-0000020"]
    removed = remove_incomplete_checkpoints(tmp_path)
    assert [p.name for p in removed] == ["step-0000030.tmp"]
    assert not (tmp_path / "checkpoints" / "step-0000030.tmp").exists()
    assert (tmp_path / "checkpoints" / "step-0000050.txt").exists()  # not ours: left alone
    assert latest_checkpoint(tmp_path / "nothing") is None


def _events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"event"')]


def test_kill_during_checkpoint_write_then_resume(tmp_path):
    data = write_dataset(tmp_path / "data")
    config = tmp_path / "vae.yaml"
    text = (REPO / "resources" / "configs" / "vae_tiny.yaml").read_text()
    config.write_text(text.replace("checkpoint_every: 10", "checkpoint_every: 2"))
    out = tmp_path / "run"
    cmd = [sys.executable, str(REPO / "main.py"), "train", str(config), "--data", str(data), "--output", str(out),
           "--max-steps", "6"]
    env = {**os.environ, SLOW_CHECKPOINT_ENV: "4:300"}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    writing = out / "checkpoints" / "step-0000004.tmp"
    try:
        deadline = time.monotonic() + 300
        while not (writing.is_dir() and any(writing.iterdir())):
            assert proc.poll() is None, "training ended before its step-4 checkpoint"
            assert time.monotonic() < deadline, "the step-4 checkpoint write never started"
            time.sleep(0.2)
        time.sleep(1.0)  # well inside the slowed write (the state file comes after a 300 s pause)
        assert not (writing / STATE_FILE).exists()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)
        proc.stdout.close()
    assert writing.is_dir()  # the killed write left its temp folder…
    assert latest_checkpoint(out).name == "step-0000002"  # …which discovery ignores

    resumed = subprocess.run([*cmd, "--resume", str(out)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = _events(resumed.stdout)
    assert events[0]["event"] == "start" and events[0]["resumed_from_step"] == 2
    assert [e["step"] for e in events if e["event"] == "metrics"] == [3, 4, 5, 6]
    assert events[-1]["event"] == "done"
    assert not writing.exists()  # removed at the next run
    assert not list((out / "checkpoints").glob("*.tmp"))
    assert latest_checkpoint(out).name == "step-0000006"


def test_resume_from_a_folder_with_only_incomplete_checkpoints_is_one_line(tmp_path):
    data = write_dataset(tmp_path / "data")
    run = tmp_path / "run"
    _checkpoint(run, "step-0000030.tmp", complete=False)
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "train", str(REPO / "resources" / "configs" / "vae_tiny.yaml"),
         "--data", str(data), "--output", str(run), "--max-steps", "1", "--resume", str(run)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "no checkpoint to resume" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (run / "checkpoints" / "step-0000030.tmp").exists()


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_max_steps_must_be_at_least_one(value, tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "train", str(REPO / "resources" / "configs" / "vae_tiny.yaml"),
         "--max-steps", value, "--output", str(tmp_path / "o")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--max-steps" in result.stderr
    assert not (tmp_path / "o").exists()
