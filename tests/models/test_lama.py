"""LaMa through the production loader, on a tiny stand-in network saved as TorchScript in the released format:
found in the models folder, run on crops around the mask, pixels outside the mask untouched; when it is missing or
broken, a clear note and OpenCV instead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seethrough.core import inpaint
from seethrough.core.errors import BadInput
from seethrough.core.models.lama import FILE_NAME, LamaInpainter, find_lama


class TinyLama(torch.nn.Module):
    """Same contract as big-lama.pt: (image [0,1] 1×3×H×W, mask 1×1×H×W) → image [0,1]."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = torch.cat([image * (1 - mask), mask], dim=1)
        return torch.sigmoid(self.conv(x))


@pytest.fixture
def lama_file(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    path = folder / FILE_NAME
    torch.jit.save(torch.jit.script(TinyLama().eval()), str(path))
    monkeypatch.setenv("SEETHROUGH_MODELS", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("SEETHROUGH_LAMA", raising=False)
    monkeypatch.delitem(inpaint._REGISTRY, "lama", raising=False)
    return path


def _image(h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_lama_is_found_in_the_models_folder_and_fills_only_the_mask(lama_file: Path) -> None:
    assert find_lama() == lama_file
    rgb = _image(40, 52)
    mask = np.zeros((40, 52), bool)
    mask[10:20, 12:30] = True
    fn = inpaint.get_inpainter("lama")
    out = fn(rgb, mask)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert np.array_equal(out[~mask], rgb[~mask])
    # inside the mask: exactly what the network gives on the padded crop around it
    (x0, y0, x1, y1), = LamaInpainter(lama_file).tiles(mask)
    crop = rgb[y0:y1, x0:x1]
    hole = mask[y0:y1, x0:x1]
    h, w = hole.shape
    padded = np.pad(crop, ((0, -h % 8), (0, -w % 8), (0, 0)), mode="symmetric")
    padded_hole = np.pad(hole.astype(np.uint8), ((0, -h % 8), (0, -w % 8)), mode="symmetric")
    model = torch.jit.load(str(lama_file))
    with torch.inference_mode():
        y = model(torch.from_numpy(padded).permute(2, 0, 1)[None].float() / 255,
                  torch.from_numpy(padded_hole)[None, None].float())
    expected = ((y[0].permute(1, 2, 0).numpy()[:h, :w] * 255).clip(0, 255) + 0.5).astype(np.uint8)
    assert np.array_equal(out[y0:y1, x0:x1][hole], expected[hole])


def test_large_images_are_inpainted_in_tiles_around_each_masked_cluster(lama_file: Path) -> None:
    rgb = _image(120, 1500)
    mask = np.zeros((120, 1500), bool)
    mask[50:60, 20:40] = True
    mask[30:100, 1300:1480] = True
    lama = LamaInpainter(lama_file, max_side=64)  # forces the down-scaled path for the big cluster
    tiles = lama.tiles(mask)
    assert len(tiles) == 2 and all((x1 - x0) < 400 for x0, _, x1, _ in tiles)
    out = lama(rgb, mask)
    assert np.array_equal(out[~mask], rgb[~mask])
    assert (out[mask] != rgb[mask]).any(axis=-1).mean() > 0.5


def test_a_missing_lama_falls_back_to_opencv_with_a_one_line_note(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "nothing"))
    monkeypatch.setenv("SEETHROUGH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("SEETHROUGH_LAMA", raising=False)
    monkeypatch.delitem(inpaint._REGISTRY, "lama", raising=False)
    fn, note = inpaint.resolve_inpainter("lama")
    assert fn is inpaint.get_inpainter("opencv")
    assert note is not None and "LaMa is not installed" in note and "\n" not in note and FILE_NAME in note
    assert "lama" in inpaint.available_inpainters()


def test_a_broken_lama_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / FILE_NAME
    bad.write_bytes(b"not a torchscript archive")
    with pytest.raises(BadInput, match="not a TorchScript LaMa model"):
        LamaInpainter(bad)(_image(16, 16), np.ones((16, 16), bool))


def test_cli_stratify_with_lama_missing_notes_the_fallback(tmp_path: Path, monkeypatch, capsys) -> None:
    from seethrough.cli import run

    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "nothing"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delitem(inpaint._REGISTRY, "lama", raising=False)
    out = tmp_path / "out.stproj"
    assert run(["stratify", "sample", "--tags", "front hair", "--inpaint", "lama", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "LaMa is not installed, using OpenCV" in err and out.is_file()
