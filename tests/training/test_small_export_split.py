"""A dataset exported from a single model is split per pose, so the tiny training config and `eval` run on it;
split per model it has no test samples and the message says what to do. Earlier samples move when the dataset is
re-split, and the result validates."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.core.dataset_layout import read_dataset, validate_dataset
from seethrough.core.paths import fixtures_dir

REPO = Path(__file__).resolve().parents[2]
MARK = fixtures_dir() / "Mark" / "Mark.model3.json"
pytestmark = pytest.mark.skipif(not MARK.is_file(), reason="Mark fixture absent")


def _run(*args, timeout=600):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def _poses(path: Path, names: list[str]) -> Path:
    angles = {"front": 0, "left": -20, "right": 20, "far-left": -30}
    path.write_text(json.dumps([{"name": n, "params": {"ParamAngleX": angles[n]}} for n in names]), encoding="utf-8")
    return path


def test_single_model_export_trains_and_evaluates(tmp_path):
    from tests.support.tiny_models import build_layer_model

    data = tmp_path / "data"
    poses = _poses(tmp_path / "poses.json", ["front", "left", "right"])
    export = _run("live2d", "export", MARK, "-o", data, "--poses", poses, "--size", 64)
    assert export.returncode == 0, export.stderr[-2000:]
    assert "split per pose" in export.stdout and "train 1, val 1, test 1" in export.stdout
    index = read_dataset(data)
    assert index.split_by == "pose" and sorted(s.split for s in index.samples) == ["test", "train", "val"]
    assert validate_dataset(data) == []

    config = REPO / "resources" / "configs" / "layers_stage1_tiny.yaml"
    train = _run("train", config, "--data", data, "--output", tmp_path / "run", "--max-steps", 1)
    assert train.returncode == 0, train.stderr[-2000:]
    assert '"event": "done"' in train.stdout or '"event":"done"' in train.stdout

    layers = build_layer_model(tmp_path / "layers", "v3")
    report = tmp_path / "eval" / "report.json"
    result = _run("eval", "--model", layers, "--data", data, "-o", report, "--resolution", 64, "--steps", 1)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(report.read_text())["summary"]["samples"] == 1


def test_per_model_split_fails_with_advice_then_auto_resplits_earlier_samples(tmp_path):
    data = tmp_path / "data"
    first = _run("live2d", "export", MARK, "-o", data, "--poses", _poses(tmp_path / "a.json", ["front", "left"]),
                 "--size", 64, "--split", "model", "--json")
    assert first.returncode == 0, first.stderr[-2000:]
    report = json.loads(first.stdout[first.stdout.index("{"):])
    assert report["split_by"] == "model" and sorted(report["splits"].values()) == [0, 0, 2]
    assert "--split pose" in report["message"]  # one split is empty: the message says what to do
    missing = "test" if report["splits"]["test"] == 0 else "train"
    config = REPO / "resources" / "configs" / "layers_stage1_tiny.yaml"
    if missing == "train":
        failed = _run("train", config, "--data", data, "--output", tmp_path / "run", "--max-steps", 1)
    else:
        failed = _run("eval", "--model", tmp_path / "none", "--data", data, "-o", tmp_path / "r.json")
    assert failed.returncode == 2 and f"no samples in the '{missing}' split" in failed.stderr
    assert "--split pose" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1

    again = _run("live2d", "export", MARK, "-o", data, "--poses", _poses(tmp_path / "b.json", ["right"]),
                 "--size", 64)
    assert again.returncode == 0, again.stderr[-2000:]
    index = read_dataset(data)
    assert index.split_by == "pose" and sorted(s.split for s in index.samples) == ["test", "train", "val"]
    for entry in index.samples:  # earlier samples were moved in their own sample.json too
        own = json.loads((data / "samples" / entry.id / "sample.json").read_text(encoding="utf-8"))
        assert own["split"] == entry.split
    assert validate_dataset(data) == []
