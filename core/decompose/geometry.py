"""Canvas geometry of the decomposition: square padding, resizing, the head crop and pasting back.

The layer model works on a square canvas (default 1280²): the input is centre-padded to a square with
transparent black and resized (`docs/authors-pipeline.md` §2.4). The head pass runs on a crop around the head
predicted by the body pass and is pasted back (§2.5). Unlike the authors' code, `SquareFrame.to_original`
brings every output back to the input image's own size and position.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: alpha (0..255) above which a pixel of the predicted `head` layer counts (authors: > 15)
HEAD_ALPHA_THRESHOLD = 15


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (width, height): INTER_AREA when shrinking, INTER_LINEAR when enlarging."""
    h, w = img.shape[:2]
    if (w, h) == size:
        return img.copy()
    shrinking = size[0] * size[1] < w * h
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


@dataclass(frozen=True)
class SquareFrame:
    """How an image of `width`×`height` sits on the model's `size`² canvas."""

    width: int
    height: int
    size: int

    @property
    def side(self) -> int:
        return max(self.width, self.height)

    @property
    def pad(self) -> tuple[int, int]:
        """(x, y) of the image's top-left corner on the padded (unscaled) square."""
        return ((self.side - self.width) // 2, (self.side - self.height) // 2)

    @property
    def scale(self) -> float:
        """Model canvas pixels per original pixel."""
        return self.size / self.side

    def to_canvas(self, img: np.ndarray) -> np.ndarray:
        """Centre-pad to a square with zeros (transparent black), then resize to size²."""
        px, py = self.pad
        square = np.zeros((self.side, self.side, *img.shape[2:]), img.dtype)
        square[py : py + self.height, px : px + self.width] = img
        return _resize(square, (self.size, self.size))

    def to_original(self, canvas_img: np.ndarray) -> np.ndarray:
        """Inverse of `to_canvas`: resize back to the padded square and cut the image region out."""
        square = _resize(canvas_img, (self.side, self.side))
        px, py = self.pad
        return square[py : py + self.height, px : px + self.width].copy()

    def canvas_box_to_original(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box (x0, y0, x1, y1) on the model canvas → original pixels, clipped to the image."""
        px, py = self.pad
        s = 1.0 / self.scale
        x0, y0, x1, y1 = box
        return (
            int(np.clip(np.floor(x0 * s) - px, 0, self.width)),
            int(np.clip(np.floor(y0 * s) - py, 0, self.height)),
            int(np.clip(np.ceil(x1 * s) - px, 0, self.width)),
            int(np.clip(np.ceil(y1 * s) - py, 0, self.height)),
        )


def alpha_box(rgba: np.ndarray, threshold: int = HEAD_ALPHA_THRESHOLD) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1), exclusive ends, of alpha > threshold; None if empty."""
    ys, xs = np.nonzero(rgba[..., 3] > threshold)
    if len(xs) == 0:
        return None
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def head_crop_box(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """Grow the head box as the authors do: a head narrower than half the image gets a margin left and right of
    min(space left, space right, w // 5); the same vertically. Coordinates in original pixels."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w < width / 2:
        margin = min(x0, width - x1, w // 5)
        x0, x1 = x0 - margin, x1 + margin
    if h < height / 2:
        margin = min(y0, height - y1, h // 5)
        y0, y1 = y0 - margin, y1 + margin
    return (x0, y0, x1, y1)


def paste(canvas: np.ndarray, patch: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
    """Copy `patch` into `canvas` at origin (x, y), clipping at the borders; returns `canvas`."""
    x, y = origin
    h, w = patch.shape[:2]
    ch, cw = canvas.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, cw), min(y + h, ch)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = patch[y0 - y : y1 - y, x0 - x : x1 - x]
    return canvas


@dataclass(frozen=True)
class HeadCrop:
    """The head pass's crop, computed as the authors do (`official-see-through.md` §2.5): the bounding rectangle of
    the body pass's `head` alpha > 15 on the model canvas is mapped to input pixels with `int(v * scale) - pad`, grown
    by `_crop_head`'s margins (`w < width // 2`), and the crop's canvas origin is `int(x1 / scale + pad / scale)`."""

    box: tuple[int, int, int, int]  # (x1, y1, x2, y2) in input pixels: the slice `image[y1:y2, x1:x2]`
    origin: tuple[int, int]  # (x, y) on the model canvas where the head outputs are pasted back


def head_crop(head_canvas: np.ndarray, frame: SquareFrame) -> HeadCrop | None:
    """`head_canvas` (S, S, 4) uint8, the body pass's `head` frame; None when it has no pixel above the threshold."""
    ys, xs = np.nonzero(head_canvas[..., 3] > HEAD_ALPHA_THRESHOLD)
    if len(xs) == 0:
        return None
    bx, by = int(xs.min()), int(ys.min())
    bw, bh = int(xs.max()) - bx + 1, int(ys.max()) - by + 1
    scale = frame.side / frame.size  # input pixels per canvas pixel (computed as the authors do: no 1/x)
    px, py = frame.pad
    x, y, w, h = int(bx * scale) - px, int(by * scale) - py, int(bw * scale), int(bh * scale)
    width, height = frame.width, frame.height
    x1, y1, x2, y2 = x, y, x + w, y + h
    if w < width // 2:
        margin = min(width - x - w, x, w // 5)
        x1, x2 = min(max(x - margin, 0), width), min(max(x + w + margin, 0), width)
    if h < height // 2:
        margin = min(height - y - h, y, h // 5)
        y1, y2 = min(max(y - margin, 0), height), min(max(y + h + margin, 0), height)
    return HeadCrop((x1, y1, x2, y2), (int(x1 / scale + px / scale), int(y1 / scale + py / scale)))


def head_to_canvas(head_out: np.ndarray, crop_frame: SquareFrame, body_frame: SquareFrame) -> np.ndarray:
    """A head-pass output on its own canvas → the patch to paste on the body canvas at `HeadCrop.origin`: resized
    by the body canvas's scale to `int(side / scale)` and cut to the crop with `int64(pad / scale)` bounds, as the
    authors do (so the patch can be a pixel larger or smaller than the crop's exact footprint)."""
    scale = body_frame.side / body_frame.size
    px, py = crop_frame.pad
    bounds = np.array([py, py + crop_frame.height, px, px + crop_frame.width]) / scale
    y1, y2, x1, x2 = bounds.astype(np.int64)
    size = int(crop_frame.side / scale)
    return _resize(head_out, (size, size))[y1:y2, x1:x2]
