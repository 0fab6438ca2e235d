"""Writing rendered frames as GIF, animated WebP, MP4 (H.264) or a folder of PNGs with alpha — atomically and
streamed.

GIF goes through Pillow's GIF encoder frame by frame; MP4 and WebP through the ffmpeg binary that imageio-ffmpeg's
wheel carries (no system ffmpeg is needed), frames piped to it one at a time; a PNG sequence is a folder of
`frame_00000.png`, … No writer keeps the frames: memory does not grow with the animation's length. A file is written
to a temporary name beside the target (`.<name>.<pid>.<random>.st-tmp`, as `core.io.atomic` names them) and renamed
over the target only when the encoder succeeded — ffmpeg's exit status is checked, so a full disk or an encoder
failure is `WriteFailed` (one line) and the previous file stays as it was. An existing output is replaced only when
`overwrite` is set, and a PNG folder only when it holds nothing but our frames.
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
    """Refuse to replace anything that is not ours to replace (before any frame is rendered). A killed export's
    temp files in the target's folder (or frame folder) are removed first."""
    from seethrough.core.io.atomic import clean_folders

    target = Path(path)
    clean_folders([target.parent, target])
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
    """Write the frames (straight RGBA uint8) to `path`; `loop` = how often GIF/WebP repeat (0 = forever).

    Frames are streamed: each is encoded as it arrives and dropped, so memory does not grow with the length. The
    file is written under a temp name beside the target and renamed over it only when the encoder succeeded (a
    full disk or a failing ffmpeg leaves the previous file as it was: `WriteFailed`, one line)."""
    target = Path(path)
    check_target(target, overwrite)
    kind = format_for(target)
    if kind == "png":
        return _write_png_folder(frames, target)
    from seethrough.core.io.atomic import TEMP_SUFFIX, clean_stale_temps, file_mode, temp_prefix, write_failed

    clean_stale_temps(target.parent)
    tmp: Path | None = None
    try:
        tmp_fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent)
        os.close(tmp_fd)
        tmp = Path(tmp_name)
        if kind == "gif":
            _write_gif(frames, tmp, fps, loop)
        else:
            _write_ffmpeg(frames, tmp, target, fps, kind, loop)
        _fsync(tmp)
        os.chmod(tmp, file_mode(target))  # mkstemp makes 0600: give the file the mode a plain open() would
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        failed = write_failed(exc, target, (tmp,) if tmp else ()) if isinstance(exc, OSError) else None
        if failed is not None:
            raise failed from exc
        raise
    return target


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_gif(frames: Iterable[np.ndarray], path: Path, fps: int, loop: int) -> None:
    """An animated GIF written frame by frame (Pillow's GIF header and frame encoders): one frame in memory.

    Each frame gets its own 255-colour palette (a local colour table) plus index 255 for transparent pixels
    (alpha < 128), disposal 2 (restore to background) so a transparent frame never shows the one before."""
    from PIL import GifImagePlugin

    duration = max(1, round(1000 / fps))
    count = 0
    with open(path, "wb") as fh:
        for frame in frames:
            image = _gif_frame(frame)
            if count == 0:
                header, _ = GifImagePlugin.getheader(image, info={"loop": loop, "duration": duration,
                                                                  "transparency": _TRANSPARENT})
                fh.write(b"".join(header))
            for chunk in GifImagePlugin.getdata(image, duration=duration, disposal=2, transparency=_TRANSPARENT,
                                                include_color_table=True):
                fh.write(chunk)
            count += 1
        if count == 0:
            raise BadInput("no frames to write")
        fh.write(b";")  # the GIF trailer
        fh.flush()


#: the palette index of transparent pixels in every GIF frame
_TRANSPARENT = 255


def _gif_frame(frame: np.ndarray):
    from PIL import Image

    rgba = np.ascontiguousarray(frame)
    quantized = Image.fromarray(rgba[..., :3], "RGB").quantize(colors=_TRANSPARENT, method=Image.Quantize.MEDIANCUT,
                                                                dither=Image.Dither.NONE)
    index = np.array(quantized, np.uint8)
    if rgba.shape[2] == 4:
        index[rgba[..., 3] < 128] = _TRANSPARENT
    palette = (quantized.getpalette() or [])[: 3 * _TRANSPARENT]
    palette += [0] * (3 * 256 - len(palette))
    image = Image.fromarray(index, "P")
    image.putpalette(palette)
    image.info["transparency"] = _TRANSPARENT
    return image


def _write_ffmpeg(frames: Iterable[np.ndarray], path: Path, target: Path, fps: int, kind: str, loop: int) -> None:
    """MP4 (H.264, over white: MP4 has no alpha) or animated WebP (lossless, with alpha) through the ffmpeg that
    imageio-ffmpeg ships, frames piped to it one at a time; its exit status is checked."""
    writer: FfmpegWriter | None = None
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                if kind == "mp4":
                    output = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "medium",
                              "-movflags", "+faststart", "-f", "mp4"]
                    writer = FfmpegWriter(path, target, (w, h), fps, "rgb24", output)
                else:
                    output = ["-c:v", "libwebp_anim", "-lossless", "1", "-compression_level", "4",
                              "-loop", str(loop), "-f", "webp"]
                    writer = FfmpegWriter(path, target, (w, h), fps, "rgba", output)
            data = _flatten_white(frame) if kind == "mp4" else _as_rgba(frame)
            writer.send(np.ascontiguousarray(data))
        if writer is None:
            raise BadInput("no frames to write")
        writer.finish()
    finally:
        if writer is not None:
            writer.abort()  # a no-op once finished


def _as_rgba(frame: np.ndarray) -> np.ndarray:
    if frame.shape[2] == 4:
        return frame
    return np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])


class FfmpegWriter:
    """One ffmpeg process encoding raw frames from its stdin to `path`; `finish` raises `WriteFailed` (naming
    `target`, the file the user asked for) when ffmpeg fails — a full disk included — so a broken file is never
    renamed over a good one. ffmpeg's own messages go to a log, not the terminal."""

    def __init__(self, path: Path, target: Path, size: tuple[int, int], fps: int, pix_fmt: str,
                 output: list[str]) -> None:
        import subprocess

        import imageio_ffmpeg

        self._target = target
        self._log = tempfile.TemporaryFile()
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-f", "rawvideo",
                   "-pix_fmt", pix_fmt, "-s", f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "-", "-an", *output,
                   str(path)]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        self._done = False

    def send(self, frame: np.ndarray) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(np.ascontiguousarray(frame).data.cast("B"))
        except (BrokenPipeError, OSError):  # ffmpeg stopped: its exit status and log say why
            self._proc.wait()
            self._raise()

    def finish(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self._proc.wait()
        self._done = True
        if self._proc.returncode != 0:
            self._raise()
        self._log.close()

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._log.close()

    def _raise(self) -> None:
        from seethrough.core.errors import WriteFailed

        self._log.seek(0)
        log = self._log.read()[-4000:].decode("utf-8", "replace")
        lines = [line.strip() for line in log.splitlines() if line.strip()]
        if "No space left on device" in log:
            reason = "no space left on the device"
        elif "Read-only file system" in log:
            reason = "the file system is read-only"
        elif "Permission denied" in log:
            reason = "permission denied"
        else:
            reason = f"ffmpeg failed (exit {self._proc.returncode}{': ' + lines[-1][:200] if lines else ''})"
        raise WriteFailed(f"cannot write {self._target}: {reason}")


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
