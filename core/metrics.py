"""Image-similarity metrics and the reconstruction check (layers composited vs the source image).

How RGBA images are compared: each image is flattened over black *and* over white, and the two flattenings are
set side by side into one RGB image. Over black alone is the premultiplied colour, which cannot see an alpha
difference where the colour is black; over white alone cannot see it where the colour is white; together they see
every difference of colour and of coverage, and they agree with a plain RGB comparison for opaque images.

PSNR of identical images is `float('inf')` (the mathematically correct value). It is kept as inf here; callers
that write JSON must handle it (e.g. write `null` or the string "inf"), not replace it with a large number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from seethrough.core.compositing import composite, flatten
from seethrough.core.errors import BadInput

if TYPE_CHECKING:
    from seethrough.core.document import DocumentLike


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise BadInput(f"cannot compare images of different shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise BadInput("cannot compare empty images")
    return a, b


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB over all channels; inf when the images are identical."""
    a, b = _check_pair(a, b)
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    if mse == 0.0:
        return float("inf")
    return 10.0 * math.log10(data_range**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Mean structural similarity (scikit-image, 7×7 uniform window, smaller for tiny images; 1 = identical)."""
    a, b = _check_pair(a, b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    win = min(7, a.shape[0], a.shape[1])
    if win % 2 == 0:
        win -= 1
    if win < 3:
        return 1.0 if np.array_equal(a, b) else float(1.0 - np.mean(np.abs(a64 - b64)) / data_range)
    from skimage.metrics import structural_similarity  # local: scikit-image is slow to import (app start-up)

    channel_axis = -1 if a.ndim == 3 else None
    return float(structural_similarity(a64, b64, data_range=data_range, channel_axis=channel_axis, win_size=win))


def diff_heatmap(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Per-pixel max absolute difference over channels, colour-mapped (cv2 TURBO) → (H, W, 3) RGB uint8.

    `scale` multiplies the difference before mapping (e.g. 4 to make small errors visible); 0 = dark blue.
    """
    a, b = _check_pair(a, b)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    grey = np.clip(diff.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    bgr = cv2.applyColorMap(grey, cv2.COLORMAP_TURBO)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def comparable_rgb(rgba: np.ndarray) -> np.ndarray:
    """RGBA uint8 → (H, 2W, 3) uint8: the image over black beside the image over white (see module doc)."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise BadInput(f"expected an (H, W, 3|4) image, got {rgba.shape}")
    if rgba.shape[2] == 3:
        return np.concatenate([rgba, rgba], axis=1).astype(np.uint8)
    black = flatten(rgba, (0, 0, 0))
    white = flatten(rgba, (255, 255, 255))
    return np.clip(np.concatenate([black, white], axis=1) + 0.5, 0, 255).astype(np.uint8)


@dataclass
class ReconstructionReport:
    psnr: float  # dB, inf when identical
    ssim: float  # mean SSIM in [-1, 1]
    heatmap: np.ndarray  # (H, W, 3) RGB uint8, worse of the over-black / over-white differences
    mean_abs: float  # mean absolute difference, 0..255 scale

    def as_dict(self) -> dict:
        """JSON-friendly numbers (psnr stays a float; inf is the caller's to encode)."""
        return {"psnr": self.psnr, "ssim": self.ssim, "mean_abs": self.mean_abs}


def reconstruction_check(doc: DocumentLike, mode: str = "stack", heatmap_scale: float = 4.0) -> ReconstructionReport:
    """Composite the visible layers and compare with `doc.source` (see module doc for how alpha is compared)."""
    if doc.source is None:
        raise BadInput("the document has no source image to compare the layers with")
    source = np.asarray(doc.source)
    if source.shape[:2] != (doc.height, doc.width):
        raise BadInput(f"source image {source.shape[1]}x{source.shape[0]} does not match canvas {doc.size}")
    if source.ndim == 3 and source.shape[2] == 3:
        source = np.concatenate([source, np.full(source.shape[:2] + (1,), 255, np.uint8)], axis=2)
    recon = composite(doc, mode=mode)
    a, b = comparable_rgb(recon), comparable_rgb(source)
    width = doc.width
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    worst = np.maximum(diff[:, :width], diff[:, width:])
    heat = diff_heatmap(worst, np.zeros_like(worst), scale=heatmap_scale)
    mean_abs = float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))
    return ReconstructionReport(psnr=psnr(a, b), ssim=ssim(a, b), heatmap=heat, mean_abs=mean_abs)
