"""`seethrough-gui models list/check` on real (tiny) model folders, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from seethrough.core.models.layer_unet import UNetFrameConditionModel
from tests.models import tiny

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SEETHROUGH_HOME=str(home), HF_HUB_CACHE=str(home / "hub"))
    env.pop("SEETHROUGH_MODELS", None)
    return subprocess.run([sys.executable, str(REPO / "main.py"), "models", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


def test_list_and_check(tmp_path: Path) -> None:
    torch.manual_seed(0)
    folder = tmp_path / "models" / "seethroughv0.0.1_marigold"
    UNetFrameConditionModel(**tiny.depth_unet_config()).save_pretrained(folder / "unet")
    vae = tiny.sdxl_vae()
    vae.save_pretrained(folder / "vae")
    vae.save_pretrained(folder / "text_encoder")
    (folder / "tokenizer").mkdir()

    listed = _cli("list", "--json", "--models-dir", str(tmp_path / "models"), home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["depth"]["installed"] and rows["depth"]["path"] == str(folder)
    assert rows["depth"]["size_bytes"] > 0
    assert not rows["layers-v3"]["installed"]
    assert "huggingface-cli download layerdifforg/seethroughv0.0.2_layerdiff3d" in rows["layers-v3"]["download"]

    checked = _cli("check", str(folder), "--json", home=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] and report["model"] == "depth" and report["tensors"] > 0

    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    broken = _cli("check", str(folder), home=tmp_path)
    assert broken.returncode == 2
    assert "BROKEN" in broken.stdout and "truncated" in broken.stdout
