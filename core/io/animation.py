"""Writing rendered frames as GIF, animated WebP, MP4 (H.264) or a folder of PNGs with alpha — atomically.

GIF and WebP go through Pillow; MP4 through imageio-ffmpeg, whose wheel carries its own ffmpeg (no system ffmpeg is
needed). A PNG sequence is a folder of `frame_00000.png`, … A file is written to a temporary name beside the target
and renamed at the end, so a cancelled or failed export leaves the previous file (or nothing) behind; an existing
output is replaced only when `overwrite` is set, and a PNG folder only when it holds nothing but our frames.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from seethrough.core.errors import BadInput

FORMATS = {".gif": "gif", ".webp": "webp", ".mp4": "mp4"}
FRAME_NAME = re.compile(r"frame_\d{5}\.png")


def format_for(path: str | os.PathLike[str]) -> str:
    """`gif`, `webp`, `mp4`, or `png` for a folder (a path without one of those extensions)."""
    suffix = Path(path).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix:
        raise BadInput(f"{Path(path).name}: animations are written as .gif, .webp, .mp4 or a folder of PNGs")
    return "png"


def check_target(path: str | os.PathLike[str], overwrite: bool) -> None:
    """Refuse to replace anything that is not ours to replace (before any frame is rendered)."""
    target = Path(path)
    if format_for(target) == "png":
        if target.exists() and not target.is_dir():
            raise BadInput(f"{target}: exists and is not a folder")
        foreign = [p.name for p in target.iterdir() if not FRAME_NAME.fullmatch(p.name)] if target.is_dir() else []
        if foreign:
            raise BadInput(f"{target}: the folder holds other files ({', '.join(sorted(foreign)[:3])}…); "
                           "choose an empty folder")
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise BadInput(f"{target}: holds frames of an earlier export; use --force to replace them")
        return
    if target.is_dir():
        raise BadInput(f"{target}: is a folder")
    if target.exists() and not overwrite:
        raise BadInput(f"{target}: exists; use --force to replace it")
    if not target.parent.is_dir():
        raise BadInput(f"{target.parent}: output folder does not exist")


def write_animation(
    frames: Iterable[np.ndarray], path: str | os.PathLike[str], fps: int, loop: int = 0, overwrite: bool = False
) -> Path:
    """Write the frames (straight RGBA uint8) to `path`; `loop` = how often GIF/WebP repeat (0 = forever)."""
    target = Path(path)
    check_target(target, overwrite)
    kind = format_for(target)
    if kind == "png":
        return _write_png_folder(frames, target)
    tmp_fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(tmp_fd)
    tmp = Path(tmp_name)
    try:
        if kind == "mp4":
            _write_mp4(frames, tmp, fps)
        else:
            _write_pillow(frames, tmp, kind, fps, loop)
        from seethrough.core.io.atomic import file_mode

        os.chmod(tmp, file_mode(target))  # mkstemp makes 0600: give the file the mode a plain open() would
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _write_pillow(frames: Iterable[np.ndarray], path: Path, kind: str, fps: int, loop: int) -> None:
    from PIL import Image

    images = [Image.fromarray(np.ascontiguousarray(frame), "RGBA") for frame in frames]
    if not images:
        raise BadInput("no frames to write")
    duration = max(1, round(1000 / fps))
    if kind == "gif":
        images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=loop,
                       disposal=2, optimize=False)
    else:
        images[0].save(path, format="WEBP", save_all=True, append_images=images[1:], duration=duration, loop=loop,
                       lossless=True, quality=80, method=4)


def _write_mp4(frames: Iterable[np.ndarray], path: Path, fps: int) -> None:
    import imageio_ffmpeg

    writer = None
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = imageio_ffmpeg.write_frames(
                    str(path), (w, h), fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
                    quality=None, bitrate=None, macro_block_size=2, ffmpeg_log_level="error",
                    output_params=["-crf", "18", "-preset", "medium", "-movflags", "+faststart"],
                )
                writer.send(None)
            writer.send(np.ascontiguousarray(_flatten_white(frame)))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise BadInput("no frames to write")


def _flatten_white(frame: np.ndarray) -> np.ndarray:
    """MP4 has no alpha: a transparent frame goes over white."""
    if frame.shape[2] == 3 or bool((frame[..., 3] == 255).all()):
        return frame[..., :3]
    alpha = frame[..., 3:4].astype(np.float32) / 255.0
    rgb = frame[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return (rgb + 0.5).astype(np.uint8)


def _write_png_folder(frames: Iterable[np.ndarray], target: Path) -> Path:
    from seethrough.core.io.atomic import atomic_folder
    from seethrough.core.io.images import encode_png

    with atomic_folder(target) as tmp:  # it gives the folder the old one's mode, or a plain mkdir's
        for i, frame in enumerate(frames):
            (tmp / f"frame_{i:05d}.png").write_bytes(encode_png(frame))
    return target
