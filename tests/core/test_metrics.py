"""PSNR/SSIM/heatmap and the reconstruction check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seethrough.core.commands import SetLayerProperty
from seethrough.core.compositing import composite
from seethrough.core.document import Document
from seethrough.core.errors import BadInput
from seethrough.core.metrics import comparable_rgb, diff_heatmap, psnr, reconstruction_check, ssim
from tests.core.helpers import solid


@pytest.mark.parametrize("d", [1, 3, 8])
def test_psnr_of_uniform_noise(d: int) -> None:
    # integer noise uniform on {-d..d}, every value equally often: MSE = d(d+1)/3 exactly
    values = np.arange(-d, d + 1)
    noise = np.tile(values, 3 * 64 * 64 // len(values) + 1)[: 3 * 64 * 64]
    np.random.default_rng(0).shuffle(noise)
    base = np.full((64, 64, 3), 128, np.uint8)
    noisy = (base.astype(int) + noise.reshape(64, 64, 3)).astype(np.uint8)
    mse = float(np.mean(noise.astype(float) ** 2))
    assert mse == pytest.approx(d * (d + 1) / 3, rel=0.01)
    assert psnr(base, noisy) == pytest.approx(10 * math.log10(255**2 / mse), abs=1e-9)
    assert psnr(base, noisy) == pytest.approx(10 * math.log10(255**2 * 3 / (d * (d + 1))), abs=0.05)


def test_identical_images() -> None:
    img = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert psnr(img, img) == float("inf")
    assert ssim(img, img) == pytest.approx(1.0)
    noisy = np.clip(img.astype(int) + 40, 0, 255).astype(np.uint8)
    assert ssim(img, noisy) < 0.99
    with pytest.raises(BadInput):
        psnr(img, img[:5])


def test_diff_heatmap_marks_changed_pixels() -> None:
    a = np.zeros((10, 12, 3), np.uint8)
    b = a.copy()
    b[3, 4] = (0, 200, 0)
    heat = diff_heatmap(a, b)
    assert heat.shape == (10, 12, 3) and heat.dtype == np.uint8
    assert not np.array_equal(heat[3, 4], heat[0, 0])
    assert (heat[0, 0] == heat[9, 11]).all()


def test_comparable_rgb_sees_alpha_under_black() -> None:
    transparent = np.zeros((2, 2, 4), np.uint8)
    opaque_black = np.zeros((2, 2, 4), np.uint8)
    opaque_black[..., 3] = 255
    assert psnr(comparable_rgb(transparent), comparable_rgb(opaque_black)) < 10


def test_reconstruction_check() -> None:
    layers = [
        solid("back", (20, 20), (200, 100, 50, 255), depth=0.8),
        solid("front", (8, 8), (10, 20, 200, 180), offset=(5, 5), depth=0.2),
    ]
    doc = Document((20, 20), layers, source=composite(layers, size=(20, 20)))
    report = reconstruction_check(doc)
    assert report.psnr == float("inf") and report.ssim == pytest.approx(1.0) and report.mean_abs == 0.0
    assert report.heatmap.shape == (20, 20, 3)
    doc.history.push(SetLayerProperty(doc.layers[1].uid, "visible", False))
    report = reconstruction_check(doc)
    assert math.isfinite(report.psnr) and report.psnr < 30 and report.ssim < 1 and report.mean_abs > 0
    assert not np.array_equal(report.heatmap[8, 8], report.heatmap[0, 0])
    assert np.array_equal(report.heatmap[0, 0], report.heatmap[19, 19])
    assert set(report.as_dict()) == {"psnr", "ssim", "mean_abs"}
    with pytest.raises(BadInput):
        reconstruction_check(Document((4, 4)))
