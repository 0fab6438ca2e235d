"""`seethrough-gui decompose` end to end on tiny models: a folder batch that resumes, PSD companions, clear
errors when weights are missing."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from psd_tools import PSDImage

from seethrough.core.io.images import save_png
from tests.support.tiny_models import build_depth_model, build_layer_model

REPO = Path(__file__).resolve().parents[2]


def _run(*args, env=None):
    import os

    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=REPO, env={**os.environ, **(env or {})})


def test_batch_over_a_folder_resumes(tmp_path):
    layers, depth = build_layer_model(tmp_path / "layers"), build_depth_model(tmp_path / "depth")
    images = tmp_path / "in"
    images.mkdir()
    for i in range(2):
        img = np.zeros((48, 40, 4), np.uint8)
        img[..., :3] = 60 + 80 * i
        img[4:44, 8:32, 3] = 255
        save_png(images / f"char{i}.png", img)
    out = tmp_path / "out"
    args = ["decompose", images, "-o", out, "--model", layers, "--depth-model", depth, "--resolution", "64",
            "--steps", "1", "--depth-resolution", "64", "--depth-steps", "1", "--json"]
    first = _run(*args)
    assert first.returncode == 0, first.stderr[-2000:]
    summary = json.loads(first.stdout)
    assert len(summary["written"]) == 2 and summary["skipped"] == 0
    psd = PSDImage.open(out / "char0.psd")
    assert (psd.width, psd.height) == (40, 48) and len(list(psd)) > 0
    assert (out / "char0_depth.psd").exists() and (out / "char0.psd.json").exists()
    again = _run(*args)
    assert json.loads(again.stdout) == {"written": [], "skipped": 2, "device": "cpu"}


def test_missing_weights_say_what_and_how(tmp_path):
    img = tmp_path / "a.png"
    save_png(img, np.full((16, 16, 4), 255, np.uint8))
    result = _run("decompose", img, "-o", tmp_path / "a.psd", env={"SEETHROUGH_MODELS": str(tmp_path / "none"),
                                                                   "HF_HUB_CACHE": str(tmp_path / "hf")})
    assert result.returncode == 2
    assert "layerdifforg/seethroughv0.0.2_layerdiff3d" in result.stderr and "hf download" in result.stderr


def test_quantized_weights_are_an_option_and_refused_on_the_cpu_with_a_reason(tmp_path):
    img = tmp_path / "a.png"
    save_png(img, np.full((16, 16, 4), 255, np.uint8))
    result = _run("decompose", img, "-o", tmp_path / "a.psd", "--quantize", "8bit", "--device", "cpu",
                  "--model", tmp_path / "layers", "--no-depth")
    assert result.returncode == 2
    assert "8-bit/4-bit weights need a CUDA GPU" in result.stderr
    assert not (tmp_path / "a.psd").exists()
    bad = _run("decompose", img, "-o", tmp_path / "a.psd", "--quantize", "2bit")
    assert bad.returncode == 2 and "--quantize" in bad.stderr
