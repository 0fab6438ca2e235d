"""Colour under transparent pixels, filled by iterative Gaussian blurring (the "padded Gaussian" of the paper,
section 4.1, after LayerDiffusion): RGB is undefined where alpha is 0, and hard black there makes the VAE see
dark halos at every layer edge. Each level of an alpha-weighted Gaussian pyramid fills what the finer levels left
empty, so opaque pixels keep their colour and the rest take the colour of the nearest opaque region."""

from __future__ import annotations

import cv2
import numpy as np


def pad_transparent_colours(rgba: np.ndarray, max_levels: int = 12) -> np.ndarray:
    """(H, W, 4) RGBA, uint8 or float in [0, 1] → (H, W, 3) float32 RGB in [0, 1] with transparent areas filled.

    Pixels with alpha 1 keep their colour exactly; partly transparent ones are blended with the fill by alpha.
    A fully transparent image gives black.
    """
    arr = rgba.astype(np.float32)
    if rgba.dtype == np.uint8:
        arr /= 255.0
    rgb, alpha = arr[..., :3], arr[..., 3]
    h, w = alpha.shape
    fill = np.zeros_like(rgb)
    known = np.zeros_like(alpha)
    level_rgb: np.ndarray = rgb * alpha[..., None]
    level_a: np.ndarray = alpha.copy()
    for _ in range(max_levels):
        if level_a.shape[0] < 2 or level_a.shape[1] < 2 or known.min() >= 1.0:
            break
        level_rgb, level_a = cv2.pyrDown(level_rgb), cv2.pyrDown(level_a)
        up_rgb = cv2.resize(level_rgb, (w, h), interpolation=cv2.INTER_LINEAR)
        up_a = cv2.resize(level_a, (w, h), interpolation=cv2.INTER_LINEAR)
        has = up_a > 1e-4
        colour = np.where(has[..., None], up_rgb / np.maximum(up_a, 1e-4)[..., None], 0.0)
        take = (1.0 - known) * has
        fill += take[..., None] * colour
        known += take
    out = rgb * alpha[..., None] + fill * (1.0 - alpha[..., None])
    return np.clip(out, 0.0, 1.0).astype(np.float32)
