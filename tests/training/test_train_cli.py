"""`seethrough-gui train` end to end: JSON-line events with a loss, checkpoints, resume, clear bad-input errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tiny_dataset import write_dataset

REPO = Path(__file__).resolve().parents[2]


def _run(*args, timeout=600):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data"))


def test_tiny_layer_config_trains_and_resumes(dataset, tmp_path):
    out = tmp_path / "run"
    config = REPO / "resources" / "configs" / "layers_stage1_tiny.yaml"
    first = _run("train", config, "--data", dataset, "--output", out, "--max-steps", 4)
    assert first.returncode == 0, first.stderr[-2000:]
    events = [json.loads(line) for line in first.stdout.splitlines() if line.startswith('{"event"')]
    losses = [e["loss"] for e in events if e["event"] == "metrics"]
    assert len(losses) == 4 and all(isinstance(v, float) for v in losses)
    assert events[-1]["event"] == "done" and Path(events[-1]["model_dir"]).is_dir()
    assert (out / "metrics.jsonl").exists() and list((out / "checkpoints").glob("step-*"))
    again = _run("train", config, "--data", dataset, "--output", out, "--max-steps", 6, "--resume", out)
    assert again.returncode == 0, again.stderr[-2000:]
    steps = [json.loads(line)["step"] for line in again.stdout.splitlines() if '"metrics"' in line]
    assert steps == [5, 6]


def test_bad_inputs_exit_2_with_one_line(dataset, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("job: vae\ndata: x\nlearning_rate: 1\n")
    result = _run("train", bad)
    assert result.returncode == 2 and "unknown key" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    config = REPO / "resources" / "configs" / "vae_tiny.yaml"
    result = _run("train", config, "--data", empty, "--output", tmp_path / "o")
    assert result.returncode == 2 and "dataset.json is missing" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1



def test_a_config_is_named_as_the_train_workspace_lists_it(tmp_path, monkeypatch, capsys):
    from seethrough.cli import run

    monkeypatch.chdir(tmp_path)  # not a checkout: the configs come from the installed package
    assert run(["train", "--list-configs", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert {"layers_stage1_tiny", "vae_tiny", "depth_stage2_tiny"} <= set(rows)
    assert rows["vae_tiny"]["job"] == "vae" and Path(rows["vae_tiny"]["path"]).is_file()
    assert run(["train", "--list-configs"]) == 0
    assert ["layers_stage1_tiny", "layers-stage1"] in [line.split() for line in capsys.readouterr().out.splitlines()]
    empty = tmp_path / "empty"
    empty.mkdir()
    # found by name (and by the README's checkout path, here where there is no checkout): the config loads, and
    # the run stops at the dataset, the next thing it reads
    for spec in ("layers_stage1_tiny", "layers_stage1_tiny.yaml", "resources/configs/layers_stage1_tiny.yaml"):
        assert run(["train", spec, "--data", str(empty), "--output", str(tmp_path / "o")]) == 2, spec
        assert "dataset.json is missing" in capsys.readouterr().err, spec
    assert run(["train", "layers_stage9", "--data", str(empty)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "config file not found: layers_stage9" in err and "vae_tiny" in err
    assert run(["train"]) == 2 and "--list-configs" in capsys.readouterr().err
