"""Evaluation metrics of the paper (Table 1) and of the depth model, on numpy arrays.

Image metrics (PSNR, SSIM) live in `core.metrics` and are re-exported here. Mask metrics follow the authors'
benchmark (`docs/authors-pipeline.md` §8.1): `mask_dice_loss` is 1 − Dice with smoothing 1 and squared
denominators (lower is better), `mask_mse` the mean squared error of alpha in [0, 1]. Depth metrics follow
§8.2: AbsRel and δ1 (< 1.25), optionally after a least-squares scale/shift alignment of prediction to ground
truth (Marigold's protocol for affine-invariant depth).
"""

from __future__ import annotations

import numpy as np


def _as_unit(mask: np.ndarray) -> np.ndarray:
    """Alpha/mask as float64 in [0, 1] (uint8 input is divided by 255, bool becomes 0/1)."""
    arr = np.asarray(mask)
    if arr.dtype == np.uint8:
        return arr.astype(np.float64) / 255.0
    return arr.astype(np.float64)


def mask_dice_loss(pred: np.ndarray, target: np.ndarray, smooth: float = 1.0) -> float:
    """1 − Dice = 1 − (2·Σpt + s) / (Σp² + Σt² + s). 0 for identical masks, → 1 for disjoint ones."""
    p, t = _as_unit(pred).ravel(), _as_unit(target).ravel()
    num = 2.0 * float(np.dot(p, t)) + smooth
    den = float(np.dot(p, p) + np.dot(t, t)) + smooth
    return 1.0 - num / den


def mask_mse(pred: np.ndarray, target: np.ndarray) -> float:
    p, t = _as_unit(pred), _as_unit(target)
    return float(np.mean((p - t) ** 2))


def align_scale_shift(pred: np.ndarray, target: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Least-squares a, b minimising ‖a·pred + b − target‖ over valid pixels; returns a·pred + b."""
    p = np.asarray(pred, np.float64)
    t = np.asarray(target, np.float64)
    m = np.ones(p.shape, bool) if valid is None else np.asarray(valid, bool)
    if m.sum() < 2:
        return p
    design = np.stack([p[m], np.ones(int(m.sum()))], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, t[m], rcond=None)
    return a * p + b


def depth_metrics(
    pred: np.ndarray,
    target: np.ndarray,
    valid: np.ndarray | None = None,
    align: bool = False,
    eps: float = 1e-6,
) -> dict[str, float]:
    """AbsRel = mean(|p − t| / t) and δ1 = share of pixels with max(p/t, t/p) < 1.25, over valid pixels.

    Depth 0 is "nearest" in our convention, so ratios need positive values: pixels with target ≤ eps are
    excluded (pass depths shifted away from 0 if your data has exact zeros you want counted).
    """
    p = np.asarray(pred, np.float64)
    t = np.asarray(target, np.float64)
    m = np.ones(p.shape, bool) if valid is None else np.asarray(valid, bool).copy()
    if align:
        p = align_scale_shift(p, t, m)
    m &= t > eps
    if not m.any():
        raise ValueError("no valid pixels to evaluate depth on")
    pv, tv = np.clip(p[m], eps, None), t[m]
    abs_rel = float(np.mean(np.abs(pv - tv) / tv))
    ratio = np.maximum(pv / tv, tv / pv)
    return {"abs_rel": abs_rel, "delta1": float(np.mean(ratio < 1.25)), "rmse": float(np.sqrt(np.mean((pv - tv) ** 2)))}
