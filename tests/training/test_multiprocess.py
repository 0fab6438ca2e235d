"""Training as two processes (`accelerate launch --num_processes 2`, gloo on the CPU, as on a machine with fewer
GPUs than processes) computes what one process computes at the same global batch, writes each checkpoint and each
event once, and resumes from the right step.

Tolerance. The two runs make the same samples with the same random draws (training/sampling.py) and the same
model and optimiser; they differ only in how floating-point sums are grouped: a process's loss is the mean over its
half of the batch and the reported loss the mean of the two halves; DDP adds the two halves' gradients where one
process adds the whole batch's; and a kernel may block a batch of 2 differently from a batch of 4. Each of these
is a reordered fp32 sum, off by a few units of fp32 roundoff (u = 2⁻²⁴ ≈ 6·10⁻⁸) relative to the sum. Measured on
this configuration in one process, regrouping the batch (4 samples at once vs 2 + 2 by gradient accumulation) or
changing torch's thread count moves the losses of four steps by 1–2 u (≤ 2·10⁻⁷ relative). AdamW normalises each
gradient element by its running magnitude, so a relative difference δ in a gradient changes an update by at most
about lr·δ: the differences do not grow out of that order within a few steps. The tolerance is 10⁻⁵ relative,
≈ 80 u, some 50× what reordering gives; a fault of the multi-process path (a sample seen twice or not at all,
gradients added instead of averaged, a learning-rate schedule stepped once per process) changes a loss by far more:
the losses of consecutive steps, which such faults shift between, differ by over 10⁻³ (checked below).
"""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from seethrough.training.launch import launch_command
from tests.support.tiny_dataset import write_dataset

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5  # relative; derived in the module docstring


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    """The packaged tiny layers-stage1 config with a global batch of 4 (2 per process), augmentation on."""
    folder = tmp_path_factory.mktemp("mp")
    data = write_dataset(folder / "data", samples=4)
    raw = yaml.safe_load((REPO / "resources" / "configs" / "layers_stage1_tiny.yaml").read_text(encoding="utf-8"))
    raw.update(data=str(data), split="all", batch_size=4, max_steps=4, checkpoint_every=2, log_every=1)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _launch(processes: int, *arguments, timeout: float = 900) -> list[dict]:
    """Run `seethrough-gui ARGUMENTS` as `processes` processes; its events (all processes' stdout together).
    Whatever happens, nothing is left running: the launcher is asked to stop its workers, then its group is killed
    (and each worker exits with its launcher, training.distributed.exit_with_launcher)."""
    command = launch_command(processes, [str(a) for a in arguments])
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        output, errors = proc.communicate(timeout=timeout)
    finally:
        _end_process_group(proc)
    assert proc.returncode == 0, errors[-4000:]
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"event"')]


def _end_process_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # torchrun ends its workers on SIGTERM
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _metrics(events: list[dict]) -> dict[int, dict]:
    steps = [e["step"] for e in events if e["event"] == "metrics"]
    assert len(steps) == len(set(steps)), f"a step reported twice: {steps}"
    return {e["step"]: e for e in events if e["event"] == "metrics"}


@pytest.fixture(scope="module")
def one_process(config, tmp_path_factory) -> dict[int, dict]:
    out = tmp_path_factory.mktemp("one") / "run"
    return _metrics(_launch(1, "train", config, "--output", out))


def _assert_same_run(two: dict[int, dict], one: dict[int, dict]) -> None:
    for step, event in two.items():
        assert event["loss"] == pytest.approx(one[step]["loss"], rel=TOLERANCE), step
        assert event["lr"] == one[step]["lr"], step  # the schedule advances once per step, not once per process


def test_two_processes_train_like_one_at_the_same_global_batch(config, one_process, tmp_path):
    out = tmp_path / "run"
    events = _launch(2, "train", config, "--output", out)
    two = _metrics(events)
    assert sorted(two) == [1, 2, 3, 4] and sorted(one_process) == [1, 2, 3, 4]
    _assert_same_run(two, one_process)
    losses = [one_process[s]["loss"] for s in sorted(one_process)]
    assert min(abs(a - b) / abs(b) for a, b in zip(losses, losses[1:])) > 100 * TOLERANCE  # the tolerance tells apart
    assert [e["processes"] for e in events if e["event"] == "start"] == [2]
    # events once (the launcher's stdout carries both processes'), and the same in metrics.jsonl
    kinds = [e["event"] for e in events]
    assert kinds.count("start") == 1 and kinds.count("done") == 1 and kinds.count("checkpoint") == 2
    recorded = [json.loads(line) for line in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    assert recorded == events
    # each checkpoint written once, whole: both processes' random states in it, no temp folder left
    names = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert names == ["step-0000002", "step-0000004"]
    for name in names:
        files = {p.name for p in (out / "checkpoints" / name).iterdir()}
        assert {"trainer_state.json", "model.safetensors", "random_states_0.pkl", "random_states_1.pkl"} <= files
    state = json.loads((out / "checkpoints" / "step-0000004" / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["step"] == 4 and state["processes"] == 2
    assert (out / "model" / "unet").is_dir()


def test_two_processes_resume_from_the_right_step(config, one_process, tmp_path):
    out = tmp_path / "run"
    first = _metrics(_launch(2, "train", config, "--output", out, "--max-steps", 2))
    assert sorted(first) == [1, 2]
    resumed_events = _launch(2, "train", config, "--output", out, "--resume", out, "--max-steps", 4)
    assert [e["resumed_from_step"] for e in resumed_events if e["event"] == "start"] == [2]
    resumed = _metrics(resumed_events)
    assert sorted(resumed) == [3, 4]
    _assert_same_run({**first, **resumed}, one_process)  # as if never interrupted
