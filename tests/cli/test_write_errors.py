"""Writing where it cannot be written is the environment's fault, not ours: every writing subcommand exits 2 with
one line naming the path, the previous file stays byte for byte, and no temp file is left behind.

The places: a full disk (a 2 MiB tmpfs, filled), a read-only file system (a tmpfs remounted read-only), an output
path that is a folder, a file where a folder should be, and a name too long. Mounting needs root (or the right
capability): those cases skip where it is not allowed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.core.paths import fixtures_dir
from tests.support.tiny_dataset import write_dataset

REPO = Path(__file__).resolve().parents[2]
MARK = fixtures_dir() / "Mark" / "Mark.model3.json"
CONFIG = REPO / "resources" / "configs" / "vae_tiny.yaml"


def _cli(*args, timeout=600):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not allowed'})")


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _fill(folder: Path, leave: int = 8 * 1024) -> None:
    """Fill the file system of `folder` up to `leave` bytes (a full disk that small writes still fit on)."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    with open(folder / ".filler", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


def _assert_one_line_about(result, path: Path, reason: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "please report" not in result.stderr
    assert str(path) in lines[0] and reason in lines[0], lines[0]


#: (subcommand arguments before -o, output name, extra arguments); the input is the built-in sample or Mark
WRITERS = [
    pytest.param(("sample",), "out.psd", (), id="sample-psd"),
    pytest.param(("sample",), "out.stproj", (), id="sample-stproj"),
    pytest.param(("export", "sample"), "out.psd", (), id="export-psd"),
    pytest.param(("export", "sample"), "layers", (), id="export-png-folder"),
    pytest.param(("composite", "sample"), "out.png", (), id="composite"),
    pytest.param(("stratify", "sample"), "out.psd", ("--tags", "front hair"), id="stratify"),
    pytest.param(("live2d", "psd", MARK), "out.psd", ("--size", "96"), id="live2d-psd"),
    pytest.param(("live2d", "export", MARK), "data", ("--size", "64", "--poses", "POSES"), id="live2d-export"),
]


def _args(prefix, out, extra, tmp_path):
    extra = list(extra)
    if "POSES" in extra:
        poses = tmp_path / "poses.json"
        poses.write_text(json.dumps({"poses": [{"name": "front", "params": {}}]}))
        extra[extra.index("POSES")] = poses
    return [*prefix, "-o", out, *extra]


@pytest.fixture()
def full_disk(tmp_path):
    where = tmp_path / "full"
    _mount_tmpfs(where, "2m")
    yield where
    _umount(where)


@pytest.fixture()
def read_only(tmp_path):
    where = tmp_path / "ro"
    _mount_tmpfs(where, "4m")
    (where / "old.txt").write_text("the user's previous file\n")
    yield where
    _umount(where)


def _remount_ro(where: Path) -> None:
    result = subprocess.run(["mount", "-o", "remount,ro", str(where)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot remount read-only ({result.stderr.strip()})")


@pytest.mark.parametrize("prefix, name, extra", WRITERS)
def test_full_disk(full_disk, tmp_path, prefix, name, extra):
    if "live2d" in prefix and not MARK.exists():
        pytest.skip("the Live2D fixtures are not here")
    out = full_disk / name
    previous = full_disk / "previous.psd"
    previous.write_bytes(b"8BPS the user's previous file")
    _fill(full_disk)
    before = _snapshot(full_disk)
    result = _cli(*_args(prefix, out, extra, tmp_path))
    _assert_one_line_about(result, full_disk, "no space left")
    assert _snapshot(full_disk) == before  # nothing new, nothing half-written, the previous file intact


@pytest.mark.parametrize("prefix, name, extra", WRITERS)
def test_read_only_folder(read_only, tmp_path, prefix, name, extra):
    if "live2d" in prefix and not MARK.exists():
        pytest.skip("the Live2D fixtures are not here")
    out = read_only / name
    _remount_ro(read_only)
    before = _snapshot(read_only)
    result = _cli(*_args(prefix, out, extra, tmp_path))
    _assert_one_line_about(result, out, "read-only")
    assert _snapshot(read_only) == before


@pytest.mark.parametrize("name", ["out.psd", "out.png", "out.stproj"])
def test_output_path_is_a_folder(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    before = _snapshot(tmp_path)
    command = ("composite", "sample") if name.endswith(".png") else ("export", "sample")
    result = _cli(*command, "-o", folder)
    _assert_one_line_about(result, folder, "it is a folder")
    assert _snapshot(tmp_path) == before and sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("command", [("export", "sample"), ("composite", "sample"), ("sample",)])
def test_a_file_where_a_folder_should_be(tmp_path, command):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    out = blocker / ("out.png" if command[0] == "composite" else "out.psd")
    result = _cli(*command, "-o", out)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr[-2000:]
    assert str(blocker) in result.stderr and "not a folder" in result.stderr
    assert blocker.read_text() == "a file, not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("suffix", [".psd", ".png", ".stproj"])
def test_name_too_long(tmp_path, suffix):
    out = tmp_path / ("n" * 300 + suffix)
    command = ("composite", "sample") if suffix == ".png" else ("export", "sample")
    result = _cli(*command, "-o", out)
    _assert_one_line_about(result, out, "name is too long")
    assert list(tmp_path.iterdir()) == []


def test_train_on_a_full_disk_keeps_the_last_checkpoint(tmp_path):
    where = tmp_path / "full"
    _mount_tmpfs(where, "2m")
    try:
        data = write_dataset(tmp_path / "data")
        out = where / "run"
        result = _cli("train", CONFIG, "--data", data, "--output", out, "--max-steps", "2")
        assert result.returncode == 2, result.stderr[-3000:]
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "no space left" in lines[0] and str(out) in lines[0], lines
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # no half-written checkpoint or model
        for ckpt in (out / "checkpoints").glob("step-*"):
            assert (ckpt / "trainer_state.json").is_file()  # what remains is complete
    finally:
        _umount(where)


def test_train_output_in_a_read_only_folder(read_only, tmp_path):
    data = write_dataset(tmp_path / "data")
    _remount_ro(read_only)
    out = read_only / "run"
    result = _cli("train", CONFIG, "--data", data, "--output", out, "--max-steps", "1")
    _assert_one_line_about(result, out, "read-only")
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".mp4", ".webp", ".gif"])
def test_animate_force_on_a_full_disk_keeps_the_previous_animation(full_disk, suffix):
    """Issue 22: `animate -o x.mp4 --force` on a full disk exited 0 and replaced a good MP4 with 4 KiB that did not
    play (ffmpeg's failure was never checked). Now: exit 2, one line, the previous file byte for byte."""
    out = full_disk / f"x{suffix}"
    first = _cli("animate", "sample", "-o", out, "--seconds", "0.5", "--size", "96")
    assert first.returncode == 0, first.stderr[-2000:]
    _fill(full_disk)
    before = _snapshot(full_disk)
    result = _cli("animate", "sample", "-o", out, "--seconds", "1", "--size", "256", "--force")
    _assert_one_line_about(result, out, "no space left")
    assert _snapshot(full_disk) == before  # the previous animation intact, no temp file left
