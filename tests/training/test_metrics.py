"""Training metrics against values computed by hand on synthetic data."""

import numpy as np
import pytest

from seethrough.training.metrics import align_scale_shift, depth_metrics, mask_dice_loss, mask_mse


def test_dice_of_known_masks():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:, :5] = True  # 50 pixels
    b[:, 3:8] = True  # 50 pixels, 20 shared
    # 1 - (2*20 + 1) / (50 + 50 + 1)
    assert mask_dice_loss(a, b) == pytest.approx(1 - 41 / 101)
    assert mask_dice_loss(a, a) == pytest.approx(0.0)
    assert mask_dice_loss(a, ~a) == pytest.approx(1 - 1 / 101)


def test_dice_accepts_uint8_alpha():
    a = np.full((4, 4), 255, np.uint8)
    b = np.full((4, 4), 0, np.uint8)
    b[:2] = 255
    # p = 1 everywhere (16), t = 1 on 8 pixels: 1 - (2*8 + 1) / (16 + 8 + 1)
    assert mask_dice_loss(a, b) == pytest.approx(1 - 17 / 25)


def test_mask_mse():
    a = np.zeros((2, 2))
    b = np.array([[1.0, 0.0], [0.5, 0.0]])
    assert mask_mse(a, b) == pytest.approx((1 + 0.25) / 4)


def test_depth_metrics_known_values():
    t = np.array([1.0, 2.0, 4.0, 8.0])
    p = np.array([1.1, 2.0, 3.0, 8.0])
    m = depth_metrics(p, t)
    assert m["abs_rel"] == pytest.approx((0.1 / 1 + 0 + 1 / 4 + 0) / 4)
    # ratios 1.1, 1, 1.333, 1 -> 3 of 4 below 1.25
    assert m["delta1"] == pytest.approx(0.75)


def test_alignment_recovers_affine_depth():
    rng = np.random.default_rng(0)
    t = rng.uniform(0.2, 1.0, (32, 32))
    p = 0.5 * t - 0.1  # affine-distorted prediction
    aligned = align_scale_shift(p, t)
    np.testing.assert_allclose(aligned, t, atol=1e-9)
    assert depth_metrics(p, t, align=True)["delta1"] == 1.0
    assert depth_metrics(p, t, align=False)["delta1"] < 0.5


def test_depth_metrics_reject_empty():
    with pytest.raises(ValueError):
        depth_metrics(np.ones(3), np.zeros(3))
