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


#: shrink factor between the levels of the training-time colour-padding pyramid
PYRAMID_SHRINK = 1.2


def pad_colours_training(rgba: np.ndarray, dtype: object = None) -> np.ndarray:
    """The colour padding the depth model was trained with (`official-see-through.md` §3, `pad_rgb_torch`):
    (H, W, 4) RGBA uint8 → (H, W, 3) float32 RGB in [0, 1].

    Premultiplied colour and alpha are shrunk level by level by 1/1.2 (bilinear, each level from the previous one)
    down to a side of 1; the smallest level's alpha-weighted mean colour seeds the fill, which is then grown back
    level by level, each time keeping that level's premultiplied colour and filling the rest, fill × (1 − alpha).
    Opaque pixels keep their colour; transparent ones take a smooth blend of the surrounding colours.
    `dtype`: a torch dtype the 0..1 input is first rounded to (the authors hand bf16 frames to the padding when
    the depth model runs in bf16); None keeps float32.
    """
    import torch
    import torch.nn.functional as F

    argb = torch.from_numpy(np.ascontiguousarray(rgba[..., [3, 0, 1, 2]], dtype=np.float32) / 255.0)
    argb = argb.permute(2, 0, 1)[None]
    if dtype is not None:
        argb = argb.to(dtype)  # type: ignore[call-overload]  # a torch.dtype, typed loosely to keep torch lazy
    argb = argb.float()
    level = torch.cat([argb[:, :1], argb[:, 1:] * argb[:, :1]], dim=1)
    levels = [level]
    while min(level.shape[-2:]) > 1:
        h, w = level.shape[-2:]
        # the sizes are handed over as (W, H) to an (H, W) argument; all depth frames are square
        level = F.interpolate(level, (int(w / PYRAMID_SHRINK), int(h / PYRAMID_SHRINK)), mode="bilinear",
                              align_corners=False)
        levels.append(level)
    smallest = levels[-1]
    weight = smallest[:, :1].sum(dim=(2, 3), keepdim=True).clamp(1e-8, 1e32)
    fill = smallest[:, 1:].sum(dim=(2, 3), keepdim=True) / weight
    for level in reversed(levels):
        h, w = level.shape[-2:]
        fill = F.interpolate(fill, (w, h), mode="bilinear", align_corners=False)
        fill = level[:, 1:] + fill * (1.0 - level[:, :1])
    return fill[0].permute(1, 2, 0).numpy().astype(np.float32)
