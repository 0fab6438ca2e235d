"""`seethrough-gui eval`: metrics per tag against hand-checkable cases, and the report end to end on tiny models."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seethrough.training.evaluate import compare_layers
from tests.support.tiny_dataset import write_dataset
from tests.support.tiny_models import build_depth_model, build_layer_model

REPO = Path(__file__).resolve().parents[2]


def test_identical_layers_are_perfect_and_disjoint_ones_are_not():
    truth = np.zeros((32, 32, 4), np.uint8)
    truth[8:24, 8:24] = (200, 50, 50, 255)
    same = compare_layers(truth, truth)
    assert same["mask_dice"] == pytest.approx(0.0) and same["mask_mse"] == 0.0
    assert same["psnr"] == float("inf") and same["ssim"] == pytest.approx(1.0)
    other = np.zeros_like(truth)
    other[0:8, 0:8] = (200, 50, 50, 255)
    worse = compare_layers(other, truth)
    assert worse["mask_dice"] > 0.9 and worse["psnr"] < 15


def test_eval_cli_writes_json_and_markdown(tmp_path):
    data = write_dataset(tmp_path / "data", samples=4)
    layers = build_layer_model(tmp_path / "layers", "v3")
    depth = build_depth_model(tmp_path / "depth")
    report = tmp_path / "out" / "report.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "eval", "--model", str(layers), "--depth-model", str(depth),
         "--data", str(data), "-o", str(report), "--resolution", "64", "--steps", "1"],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    saved = json.loads(report.read_text())
    assert saved["summary"]["samples"] == 1  # one test sample in the toy dataset
    tags = saved["samples"][0]["tags"]
    face = tags["face"]  # in the truth, and a depth model was given: image, mask and depth metrics
    assert face["in_truth"] and set(face) == {"in_truth", "mask_dice", "mask_mse", "psnr", "ssim", "abs_rel", "delta1"}
    assert 0.0 <= face["mask_dice"] <= 1.0 and 0.0 <= face["delta1"] <= 1.0 and face["abs_rel"] >= 0.0
    assert set(tags["headwear"]) == {"in_truth", "mask_dice", "mask_mse"}  # not in the truth: the mask metrics only
    assert saved["summary"]["abs_rel"] is not None and saved["summary"]["lpips"] is None
    markdown = report.with_suffix(".md").read_text()
    assert "| abs_rel | " in markdown and "| lpips | not computed: " in markdown
