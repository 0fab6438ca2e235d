"""Animation export: frames driven by the preview's rig, rendered without Qt, written as PNG frames, GIF, WebP and
MP4 — counted, sized, looped, decoded back, reproducible, cancellable, and never replacing what is not ours."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seethrough.core.animate import AnimationSettings, pointer_at, render_frames
from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput, Cancelled
from seethrough.core.io.animation import write_animation
from seethrough.core.parallax import MotionSettings
from seethrough.core.sample import build_sample_document


def _small_doc() -> Document:
    back = np.zeros((40, 40, 4), np.uint8)
    back[..., :3], back[..., 3] = (200, 60, 60), 255
    front = np.zeros((20, 20, 4), np.uint8)
    front[..., :3], front[..., 3] = (40, 80, 220), 255
    layers = [Layer(name="back hair", rgba=back, offset=(12, 10), tag="back hair", depth_value=0.9),
              Layer(name="face", rgba=front, offset=(22, 20), tag="face", depth_value=0.2)]
    return Document((64, 64), layers)


STILL = MotionSettings(sway=False, breathing=False, hair_spring=False)


def test_a_still_frame_is_the_documents_composite() -> None:
    doc = _small_doc()
    settings = AnimationSettings(seconds=0.25, fps=8, path="idle", motion=STILL)
    frames = list(render_frames(doc, settings))
    assert len(frames) == 2
    expected = composite(doc)
    assert frames[0].shape == expected.shape
    assert np.abs(frames[0].astype(int) - expected.astype(int)).max() <= 1
    assert np.array_equal(frames[0], frames[1])


def test_turntable_moves_near_and_far_layers_in_opposite_directions() -> None:
    doc = _small_doc()
    settings = AnimationSettings(seconds=1.0, fps=4, path="turntable", motion=STILL)
    frames = list(render_frames(doc, settings))
    assert len(frames) == 4
    quarter = frames[1]  # pointer at the right: x = 0.8
    def centre_x(frame: np.ndarray, colour: tuple[int, int, int]) -> float:
        hit = np.all(np.abs(frame[..., :3].astype(int) - colour) < 30, axis=-1) & (frame[..., 3] > 200)
        return float(np.nonzero(hit)[1].mean())
    assert centre_x(quarter, (40, 80, 220)) > centre_x(frames[0], (40, 80, 220))  # near: with the pointer
    assert centre_x(quarter, (200, 60, 60)) < centre_x(frames[0], (200, 60, 60))  # far: against it


def test_recorded_paths_are_interpolated_and_clamped() -> None:
    settings = AnimationSettings(path="recorded", samples=((0.0, -1.0, 0.0), (1.0, 1.0, 0.5), (2.0, 3.0, 0.5)))
    assert pointer_at(settings, 0.5) == pytest.approx((0.0, 0.25))
    assert pointer_at(settings, 1.9) == (1.0, 0.5)
    with pytest.raises(BadInput):
        AnimationSettings(path="recorded", samples=((0.0, float("nan"), 0.0),))


def test_png_frames_are_reproducible_byte_for_byte(tmp_path: Path) -> None:
    settings = AnimationSettings(seconds=0.5, fps=8, size=96)
    doc = build_sample_document()
    a = write_animation(render_frames(doc, settings), tmp_path / "a", 8)
    b = write_animation(render_frames(doc, settings), tmp_path / "b", 8)
    names = sorted(p.name for p in a.iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(4)]
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    with Image.open(a / names[0]) as im:
        assert im.mode == "RGBA" and im.size == (72, 96)


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_gif_and_webp_have_every_frame_the_size_and_the_loop(tmp_path: Path, suffix: str) -> None:
    settings = AnimationSettings(seconds=0.5, fps=10, size=64)
    out = write_animation(render_frames(build_sample_document(), settings), tmp_path / f"x{suffix}", 10, loop=3)
    with Image.open(out) as im:
        assert im.n_frames == 5 and im.size == (48, 64) and im.info.get("loop") == 3
        im.seek(1)
        assert im.info.get("duration") == 100 or suffix == ".webp"  # Pillow reports WebP timing per frame only


def test_mp4_decodes_back_with_the_expected_frames(tmp_path: Path) -> None:
    import imageio_ffmpeg

    settings = AnimationSettings(seconds=0.5, fps=12, size=96, background=(255, 255, 255))
    frames = list(render_frames(build_sample_document(), settings))
    out = write_animation(iter(frames), tmp_path / "x.mp4", 12)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = reader.__next__()
    decoded = [np.frombuffer(f, np.uint8).reshape(96, 72, 3) for f in reader]
    assert meta["size"] == (72, 96) and meta["fps"] == pytest.approx(12)
    assert len(decoded) == len(frames) == 6
    # lossy, but the same picture: mean error of the middle frame small
    assert np.abs(decoded[3].astype(int) - frames[3][..., :3].astype(int)).mean() < 6


def test_cancel_leaves_nothing_and_existing_files_are_never_replaced_without_force(tmp_path: Path) -> None:
    doc = _small_doc()
    settings = AnimationSettings(seconds=1.0, fps=8)
    calls = iter(range(100))
    with pytest.raises(Cancelled):
        write_animation(render_frames(doc, settings, is_cancelled=lambda: next(calls) >= 3), tmp_path / "c.gif", 8)
    assert list(tmp_path.iterdir()) == []
    keep = tmp_path / "keep.gif"
    keep.write_bytes(b"mine")
    with pytest.raises(BadInput, match="--force"):
        write_animation(render_frames(doc, settings), keep, 8)
    assert keep.read_bytes() == b"mine"
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="other files"):
        write_animation(render_frames(doc, settings), folder, 8, overwrite=True)
    assert (folder / "notes.txt").read_text() == "mine"


def test_cli_animate_writes_a_gif_and_reads_a_recorded_path(tmp_path: Path, capsys) -> None:
    from seethrough.cli import run

    path = tmp_path / "path.json"
    path.write_text(json.dumps({"samples": [[0, 0, 0], [0.5, 1, 0]]}))
    out = tmp_path / "a.gif"
    assert run(["animate", "sample", "-o", str(out), "--seconds", "0.5", "--fps", "8", "--size", "48",
                "--path", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 4 and out.is_file()
    assert run(["animate", "sample", "-o", str(out), "--seconds", "0.5"]) == 2  # exists, no --force
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".mp4", ".webp"])
def test_a_failing_ffmpeg_never_replaces_the_previous_file(tmp_path: Path, suffix: str) -> None:
    """An encoder that writes a few KiB and fails (as ffmpeg does on a full disk): WriteFailed naming the target,
    the previous file untouched, no temp file. The real ffmpeg is swapped for one that fails, through the variable
    imageio-ffmpeg reads (IMAGEIO_FFMPEG_EXE)."""
    import os
    import stat
    import subprocess
    import sys

    failing = tmp_path / "ffmpeg"
    failing.write_text("#!/bin/sh\nfor last; do :; done\nhead -c 4096 /dev/zero > \"$last\"\n"
                       "cat > /dev/null\necho 'av_interleaved_write_frame(): I/O error' >&2\nexit 1\n")
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / f"x{suffix}"
    out.write_bytes(b"a good animation")
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(failing)}
    main = Path(__file__).resolve().parents[2] / "main.py"
    result = subprocess.run([sys.executable, str(main), "animate", "sample", "-o", str(out),
                             "--seconds", "0.5", "--size", "48", "--force"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot write {out}: ffmpeg failed (exit 1: av_interleaved_write_frame(): I/O error)" \
        in lines[0], lines
    assert out.read_bytes() == b"a good animation" and sorted(p.name for p in out_dir.iterdir()) == [out.name]


def test_gif_frames_keep_their_transparency_and_colours(tmp_path: Path) -> None:
    """The streamed GIF: every frame its own palette, transparent where alpha < 128, colours within quantisation."""
    settings = AnimationSettings(seconds=0.4, fps=10, size=64)
    frames = list(render_frames(build_sample_document(), settings))
    out = write_animation(iter(frames), tmp_path / "x.gif", 10)
    with Image.open(out) as im:
        assert im.n_frames == len(frames)
        for i, frame in enumerate(frames):
            im.seek(i)
            decoded = np.asarray(im.convert("RGBA"))
            opaque = frame[..., 3] >= 128
            assert np.array_equal(decoded[..., 3] > 0, opaque)
            assert np.abs(decoded[opaque][:, :3].astype(int) - frame[opaque][:, :3].astype(int)).mean() < 4


def test_an_animation_that_would_run_out_of_memory_is_refused_up_front_with_a_size_that_fits() -> None:
    from seethrough.core.animate import check_memory, memory_estimate
    from seethrough.core.errors import ImageTooLarge

    doc = build_sample_document()
    settings = AnimationSettings(seconds=1.0, fps=10)
    need = memory_estimate(doc, settings, "mp4")
    check_memory(doc, settings, "mp4", available=2 * need)  # fits
    with pytest.raises(ImageTooLarge, match=r"use --size (\d+) or smaller") as refused:
        check_memory(doc, settings, "mp4", available=need // 3)
    size = int(str(refused.value).split("--size ")[1].split()[0])
    assert 16 <= size < max(doc.size)
    smaller = AnimationSettings(seconds=1.0, fps=10, size=size)
    assert memory_estimate(doc, smaller, "mp4") <= 0.8 * (need // 3)  # the size it names does fit
    check_memory(doc, smaller, "mp4", available=need // 3)
    # memory follows the output size, not the canvas: the layers are kept at the output's scale
    assert memory_estimate(doc, AnimationSettings(size=256), "gif") < need / 8


def test_cli_animate_refuses_at_once_what_would_not_fit(tmp_path: Path) -> None:
    """Issue 22: an 8000² document ran 100 s before "out of memory". The budget here is set by the documented
    variable (SEETHROUGH_MAX_MEMORY), as a shared machine would."""
    import os
    import subprocess
    import sys

    main = Path(__file__).resolve().parents[2] / "main.py"
    env = {**os.environ, "SEETHROUGH_MAX_MEMORY": str(200 * 2**20)}
    out = tmp_path / "a.mp4"
    result = subprocess.run([sys.executable, str(main), "animate", "sample", "-o", str(out), "--seconds", "2"],
                            capture_output=True, text=True, env=env, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "--size" in lines[0] and "GB of memory" in lines[0], lines
    assert not out.exists() and list(tmp_path.iterdir()) == []
