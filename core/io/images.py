"""Reading any common raster image into the document's RGBA uint8 convention, and writing PNGs atomically.

Why so many branches: users drop whatever they have (16-bit PNG from a paint program, CMYK JPEG from print,
palette GIF-like PNG with a tRNS chunk, grayscale scans). Each is converted to straight-alpha RGBA uint8, and
everything that cannot be used raises a one-line `BadInput` subclass instead of a Pillow traceback.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from seethrough.core.errors import BadInput, ImageTooLarge, UnsupportedFormat
from seethrough.core.io.atomic import atomic_writer
from seethrough.core.io.limits import max_pixels as _max_pixels
from seethrough.core.io.regular import is_regular, open_regular

#: formats we accept for a raster input (Pillow format names)
SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF", "TGA"})
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".tga"})

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


def sniff_image_format(path: str | os.PathLike[str]) -> str | None:
    """The image format named by the file's first bytes (PNG, JPEG, GIF, BMP, TIFF, WEBP), or None (also for
    anything that is not a regular file: a pipe is never opened here)."""
    if not is_regular(path):
        return None
    try:
        with open_regular(path) as fh:
            head = fh.read(16)
    except (OSError, BadInput):
        return None
    return sniff_image_bytes(head)


def sniff_image_bytes(head: bytes) -> str | None:
    """The image format named by a file's first 16 bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _check_size(width: int, height: int, limit: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise BadInput(f"{name}: image has no pixels ({width}×{height})")
    if width * height > limit:
        raise ImageTooLarge(
            f"{name}: {width}×{height} = {width * height:,} pixels is over the limit of {limit:,} "
            f"(raise it with SEETHROUGH_MAX_PIXELS)"
        )


def pil_to_rgba(im: Image.Image) -> np.ndarray:
    """Convert a loaded Pillow image of any mode to (H, W, 4) uint8 straight-alpha RGBA."""
    mode = im.mode
    if mode == "RGBA":
        return np.asarray(im, dtype=np.uint8).copy()
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grayscale (Pillow widens it to "I"): scale 0..65535 to 0..255 with rounding
        gray = np.asarray(im).astype(np.float64) / 257.0
        gray8 = np.clip(np.rint(gray), 0, 255).astype(np.uint8)
        return _gray_to_rgba(gray8, None)
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0
        return _gray_to_rgba(np.clip(np.rint(arr * scale), 0, 255).astype(np.uint8), None)
    if mode in ("L", "1"):
        if "transparency" in im.info:
            return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
        return _gray_to_rgba(np.asarray(im.convert("L"), dtype=np.uint8), None)
    if mode == "LA":
        arr = np.asarray(im, dtype=np.uint8)
        return _gray_to_rgba(arr[..., 0], arr[..., 1])
    if mode in ("P", "PA"):
        return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
    if mode == "CMYK":
        return np.asarray(im.convert("RGB").convert("RGBA"), dtype=np.uint8).copy()
    if mode in ("RGB", "RGBX", "YCbCr", "LAB", "HSV", "RGBa", "La"):
        return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
    raise UnsupportedFormat(f"pixel mode {mode!r} is not supported")


def _gray_to_rgba(gray: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    out = np.empty((*gray.shape, 4), np.uint8)
    out[..., :3] = gray[..., None]
    out[..., 3] = 255 if alpha is None else alpha
    return out


def load_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> np.ndarray:
    """Read an image file as (H, W, 4) uint8 RGBA.

    The size is checked from the header before any pixel is decoded, so a 100 000² "bomb" costs nothing.
    `max_pixels` defaults to $SEETHROUGH_MAX_PIXELS or 8192².
    Raises BadInput (missing, corrupt, truncated), UnsupportedFormat, ImageTooLarge.
    """
    p = Path(path)
    name = p.name
    limit = _max_pixels(max_pixels)
    if p.is_dir():
        raise BadInput(f"{p}: is a folder, not an image")
    with open_regular(p) as fh:  # missing, a FIFO, a device: one line, never a wait
        sniffed = sniff_image_bytes(fh.read(16))
        fh.seek(0)
        return _decode(fh, name, sniffed, limit)


def _decode(fh: BinaryIO, name: str, sniffed: str | None, limit: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(fh)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{name}: image is far over the size limit ({exc})") from exc
    except UnidentifiedImageError as exc:
        if sniffed is not None:
            raise BadInput(f"{name}: corrupt {sniffed} file (cannot read its header)") from exc
        raise UnsupportedFormat(f"{name}: not an image type See-through Studio can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"{name}: corrupt or unreadable image ({exc})") from exc
    with im:
        if im.format not in SUPPORTED_FORMATS:
            raise UnsupportedFormat(f"{name}: {im.format} images are not supported (use PNG, JPEG, WEBP, BMP, TIFF)")
        _check_size(im.width, im.height, limit, name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im.load()
                if im.format == "JPEG" or im.format == "TIFF" or im.format == "WEBP":
                    im = ImageOps.exif_transpose(im)
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(f"{name}: image is over the size limit ({exc})") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise BadInput(f"{name}: corrupt or truncated {im.format} file ({exc})") from exc
        return pil_to_rgba(im)


def encode_png(arr: np.ndarray) -> bytes:
    """PNG bytes of an RGBA/RGB/gray uint8 array or a uint16 gray array (16-bit PNG)."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.uint16 and arr.ndim == 2:
        im = Image.fromarray(arr)  # Pillow picks "I;16", which PNG stores as 16-bit gray
    elif arr.dtype == np.uint8 and arr.ndim == 2:
        im = Image.fromarray(arr, "L")
    elif arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (3, 4):
        im = Image.fromarray(arr, "RGBA" if arr.shape[2] == 4 else "RGB")
    else:
        raise ValueError(f"cannot encode array {arr.shape} {arr.dtype} as PNG")
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=4)
    return buf.getvalue()


def save_png(path: str | os.PathLike[str], rgba: np.ndarray) -> None:
    """Write an (H, W, 4) uint8 RGBA (or RGB/gray/16-bit gray) array as a PNG, atomically."""
    data = encode_png(rgba)
    with atomic_writer(path) as fh:
        fh.write(data)


def decode_png_bytes(data: bytes, what: str, max_pixels: int | None = None) -> np.ndarray:
    """RGBA uint8 of PNG bytes held in memory (e.g. a zip member); BadInput if they are not a valid PNG, and
    ImageTooLarge (from the header, before decoding) if they are over the pixel cap."""
    limit = _max_pixels(max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                _check_size(im.width, im.height, limit, what)
                im.load()
                return pil_to_rgba(im)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{what}: image is far over the size limit ({exc})") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadInput(f"{what}: corrupt PNG ({exc})") from exc
