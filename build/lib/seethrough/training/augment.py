"""Training-time augmentation of an exported sample: background, flip, crop and resize, the same geometry for
the composite, every layer and every depth map. All randomness comes from the `np.random.Generator` passed in,
which the runner seeds per step, so a resumed run sees exactly the same samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

BACKGROUND_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


@dataclass
class TrainSample:
    """One training example on a common canvas: composite RGBA, per-tag RGBA layers and depths (0 = near)."""

    composite: np.ndarray  # (H, W, 4) uint8
    layers: dict[str, np.ndarray]  # tag → (H, W, 4) uint8
    depths: dict[str, np.ndarray] = field(default_factory=dict)  # tag → (H, W) float32 in [0, 1]
    background: np.ndarray | None = None  # (H, W, 3) uint8, set by `augment`


class Backgrounds:
    """Random backgrounds: crops of images in a folder, or flat colours when there is none."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.files = []
        if folder:
            self.files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in BACKGROUND_SUFFIXES)

    def sample(self, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        width, height = size
        if not self.files:
            colour = rng.integers(0, 256, 3)
            return np.broadcast_to(colour.astype(np.uint8), (height, width, 3)).copy()
        img = cv2.imread(str(self.files[int(rng.integers(len(self.files)))]), cv2.IMREAD_COLOR)
        if img is None:
            return np.full((height, width, 3), 255, np.uint8)
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        scale = max(width / img.shape[1], height / img.shape[0]) * float(rng.uniform(1.0, 1.5))
        img = cv2.resize(img, (max(width, round(img.shape[1] * scale)), max(height, round(img.shape[0] * scale))))
        y = int(rng.integers(0, img.shape[0] - height + 1))
        x = int(rng.integers(0, img.shape[1] - width + 1))
        return img[y : y + height, x : x + width].copy()


def _geometry(arr: np.ndarray, flip: bool, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    x0, y0, x1, y1 = box
    out = arr[y0:y1, x0:x1]
    if flip:
        out = out[:, ::-1]
    interp = cv2.INTER_AREA if (x1 - x0) > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(out), (size, size), interpolation=interp)


def square_box(width: int, height: int, rng: np.random.Generator, crop_p: float) -> tuple[int, int, int, int]:
    """A square window on the canvas: the centred full square by default, a random smaller one with prob crop_p.
    (A non-square canvas is padded by the window extending past it; `augment` pads first.)"""
    side = max(width, height)
    if rng.random() < crop_p:
        crop = int(side * rng.uniform(0.7, 1.0))
        x = int(rng.integers(0, side - crop + 1))
        y = int(rng.integers(0, side - crop + 1))
        return (x, y, x + crop, y + crop)
    return (0, 0, side, side)


def _pad_square(arr: np.ndarray, side: int, fill: float) -> np.ndarray:
    h, w = arr.shape[:2]
    out = np.full((side, side, *arr.shape[2:]), fill, arr.dtype)
    py, px = (side - h) // 2, (side - w) // 2
    out[py : py + h, px : px + w] = arr
    return out


def augment(
    sample: TrainSample,
    size: int,
    rng: np.random.Generator,
    backgrounds: Backgrounds | None = None,
    flip_p: float = 0.5,
    crop_p: float = 0.3,
) -> TrainSample:
    """Square-pad, random crop, flip and resize everything to size², and draw a background behind the composite
    (the composite keeps its alpha; `background` is stored for the job to composite over)."""
    height, width = sample.composite.shape[:2]
    side = max(width, height)
    box = square_box(width, height, rng, crop_p)
    flip = bool(rng.random() < flip_p)

    def geo(arr: np.ndarray, fill: float = 0) -> np.ndarray:
        return _geometry(_pad_square(arr, side, fill), flip, box, size)

    background = (backgrounds or Backgrounds()).sample((size, size), rng)
    return TrainSample(
        composite=geo(sample.composite),
        layers={tag: geo(rgba) for tag, rgba in sample.layers.items()},
        depths={tag: geo(d.astype(np.float32), 1.0) for tag, d in sample.depths.items()},
        background=background,
    )


def over_background(rgba: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Straight-alpha RGBA uint8 over an RGB uint8 background → RGB uint8."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    out = rgba[..., :3].astype(np.float32) * a + background.astype(np.float32) * (1.0 - a)
    return (out + 0.5).astype(np.uint8)
