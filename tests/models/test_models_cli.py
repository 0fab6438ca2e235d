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


def _cli(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SEETHROUGH_HOME=str(home), HF_HUB_CACHE=str(home / "hub"), **(env or {}))
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
    assert "hf download layerdifforg/seethroughv0.0.2_layerdiff3d" in rows["layers-v3"]["download"]

    checked = _cli("check", str(folder), "--json", home=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] and report["model"] == "depth" and report["tensors"] > 0

    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    broken = _cli("check", str(folder), home=tmp_path)
    assert broken.returncode == 2
    assert "BROKEN" in broken.stdout and "truncated" in broken.stdout


def _tiny_depth_folder(root: Path) -> Path:
    torch.manual_seed(0)
    folder = root / "seethroughv0.0.1_marigold"
    UNetFrameConditionModel(**tiny.depth_unet_config()).save_pretrained(folder / "unet")
    vae = tiny.sdxl_vae()
    vae.save_pretrained(folder / "vae")
    vae.save_pretrained(folder / "text_encoder")
    (folder / "tokenizer").mkdir()
    return folder


def _record_digest(folder: Path, relative: str, digest: str) -> None:
    """What `hf download --local-dir` leaves beside each file: commit, etag (= the LFS SHA-256), timestamp."""
    meta = folder / ".cache" / "huggingface" / "download" / f"{relative}.metadata"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(f"{'0' * 40}\n{digest}\n1712656091.123\n")


def test_check_sha256_against_the_digests_recorded_at_download(tmp_path: Path) -> None:
    import hashlib

    folder = _tiny_depth_folder(tmp_path / "models")
    unet = "unet/diffusion_pytorch_model.safetensors"
    vae = "vae/diffusion_pytorch_model.safetensors"
    _record_digest(folder, unet, hashlib.sha256((folder / unet).read_bytes()).hexdigest())
    _record_digest(folder, vae, "f" * 64)  # a file that changed since the download

    result = _cli("check", str(folder), "--sha256", "--json", home=tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 2
    assert report["digests"][unet]["expected"] == report["digests"][unet]["sha256"]
    assert report["digests"][unet]["source"] == "hf download metadata"
    assert any("vae/diffusion_pytorch_model.safetensors does not match the SHA-256" in p for p in report["problems"])
    assert any("text_encoder/diffusion_pytorch_model.safetensors" in n and "unverified" in n for n in report["notes"])
    assert any("the release is about 3.3 GB" in n for n in report["notes"])

    _record_digest(folder, vae, hashlib.sha256((folder / vae).read_bytes()).hexdigest())
    fixed = _cli("check", str(folder), "--sha256", home=tmp_path)
    assert fixed.returncode == 0, fixed.stdout
    assert f"{unet}  ok" in fixed.stdout and "unverified" in fixed.stdout


def test_fetch_prints_the_exact_commands(tmp_path: Path) -> None:
    result = _cli("fetch", "depth", "--print", "--models-dir", str(tmp_path / "m"), home=tmp_path)
    assert result.returncode == 0, result.stderr
    shell, python = result.stdout.strip().splitlines()
    target = tmp_path / "m" / "seethroughv0.0.1_marigold"
    assert shell == f"hf download 24yearsold/seethroughv0.0.1_marigold --local-dir {target}"
    assert python == ("from huggingface_hub import snapshot_download; snapshot_download("
                      f"repo_id='24yearsold/seethroughv0.0.1_marigold', local_dir='{target}')")
    default = _cli("fetch", "layerdifforg/seethroughv0.0.2_layerdiff3d", "--print", home=tmp_path)
    assert str(tmp_path / "models" / "seethroughv0.0.2_layerdiff3d") in default.stdout  # <user data>/models
    unknown = _cli("fetch", "sdxl", "--print", home=tmp_path)
    assert unknown.returncode == 2 and "unknown model 'sdxl'" in unknown.stderr


def test_fetch_without_the_hub_fails_fast_with_the_command(tmp_path: Path) -> None:
    import time

    for env in ({"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"}):
        start = time.monotonic()
        result = _cli("fetch", "layers-v3", home=tmp_path, env=env)
        assert time.monotonic() - start < 60
        assert result.returncode == 2
        assert "not reachable" in result.stderr
        assert "hf download layerdifforg/seethroughv0.0.2_layerdiff3d --local-dir" in result.stderr
        assert "snapshot_download(repo_id='layerdifforg/seethroughv0.0.2_layerdiff3d'" in result.stderr
        assert not (tmp_path / "models").exists()  # nothing half-made


def _closed_port() -> int:
    """A local port nobody listens on (bound, then closed), so a connection to it is refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
