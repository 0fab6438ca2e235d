"""What a newcomer meets on the command line (issue 22): `--version`, help for every positional argument, `models
list` on an unpublished model, a foreign output folder, `check --fix` with a fix that cannot apply, progress only
on a terminal and never before a one-line error, and temp files of a killed run removed at the next start."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seethrough.cli import build_parser, run

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env)


def test_version_prints_the_installed_version(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        run(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(r"seethrough-gui \d+\.\d+\.\d+\S*", out), out


def _subparsers(parser: argparse.ArgumentParser, path: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{path} {name}".strip(), sub
                yield from _subparsers(sub, f"{path} {name}")


def test_every_positional_argument_has_help() -> None:
    missing = []
    for name, parser in _subparsers(build_parser()):
        if name.split()[0] == "train":  # its arguments are being reworked elsewhere (config names)
            continue
        for action in parser._actions:
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction) and not action.help:
                missing.append(f"{name} {action.dest}")
    assert not missing, missing


def test_models_list_says_layers_v2_is_not_published(tmp_path, capsys) -> None:
    os.environ.setdefault("SEETHROUGH_MODELS", str(tmp_path / "none"))
    assert run(["models", "list", "--no-hf-cache", "--models-dir", str(tmp_path)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "not published" in lines["layers-v2"] and "hf download" not in lines["layers-v2"]
    assert "hf download" in lines["layers-v3"]
    assert run(["models", "list", "--no-hf-cache", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["layers-v2"]["published"] is False and rows["layers-v2"]["download"] is None
    assert run(["models", "fetch", "layers-v2", "--print"]) == 2
    assert "not published" in capsys.readouterr().err


def test_a_foreign_output_folder_is_refused_with_the_same_line_with_or_without_force(tmp_path, capsys) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    messages = []
    for extra in ([], ["--force"]):
        assert run(["export", "sample", "-o", f"{folder}/", *extra]) == 2
        messages.append(capsys.readouterr().err.strip())
    assert messages[0] == messages[1] and "--force" not in messages[0]  # the message and the rule agree
    assert "new or empty folder" in messages[0]
    assert sorted(os.listdir(folder)) == ["notes.txt"]


def test_check_fix_applies_what_it_can_and_lists_what_it_could_not(tmp_path, capsys) -> None:
    """Two side-by-side layers: the cut of the right one has the left one under it to extend; the left one is the
    bottom layer, nothing lies under its cut, so its recommended fix cannot apply. The rest is still fixed and
    written (it used to write nothing)."""
    from seethrough.core.compositing import composite
    from seethrough.core.document import Document, Layer
    from seethrough.core.io.project import load_project, save_project

    left = np.zeros((120, 60, 4), np.uint8)
    left[..., :3], left[..., 3] = (200, 60, 60), 255
    right = np.zeros((120, 60, 4), np.uint8)
    right[..., :3], right[..., 3] = (60, 60, 200), 255
    doc = Document((200, 160), [Layer("left", left, (40, 20), depth_value=0.6),
                                Layer("right", right, (100, 20), depth_value=0.4)])
    doc = Document(doc.size, doc.layers, source=composite(doc))
    src, out = tmp_path / "in.stproj", tmp_path / "out.stproj"
    save_project(doc, src)
    assert run(["check", str(src), "--fix", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fixed"] and report["skipped"], report
    assert any("nothing is drawn under 'left'" in item["reason"] for item in report["skipped"])
    assert out.is_file() and len(load_project(out).layers) == 2


def _terminal_run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (a real tty) and stdout on a pipe: (exit, stdout, tty text)."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), *args], stdout=subprocess.PIPE,
                            stderr=secondary, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=600)
    os.close(main)
    return code, out, b"".join(chunks).decode("utf-8", "replace")


def _screen(tty: str) -> list[str]:
    """The lines a terminal shows in the end: each `\\r` returns to the start, `ESC[K` erases to the end."""
    lines = []
    for raw in tty.replace("\r\n", "\n").split("\n"):
        line = ""
        for part in re.split(r"(\r|\x1b\[K)", raw):
            if part == "\r":
                line = line[:0]  # back to the start: the next text overwrites
            elif part == "\x1b[K":
                pass  # nothing after the cursor remains (we always return to the start first)
            else:
                line = part
        lines.append(line)
    return [line for line in lines if line.strip()]


def test_progress_shows_on_a_terminal_in_percent_and_never_before_an_error(tmp_path) -> None:
    code, out, tty = _terminal_run("check", "sample")
    assert code == 0
    assert "checking sample:" in tty and "%" in tty and "‰" not in tty  # shown while it works, in percent
    assert _screen(tty) == []  # and erased at the end: the findings are on stdout
    code, out, tty = _terminal_run("export", "sample", "-o", str(tmp_path / "s.psd"))
    assert code == 0 and "writing s.psd:" in tty and "/" in tty and _screen(tty) == []  # "42 %  7/36"
    # an error after progress was shown: the terminal ends with the reason alone
    failing = tmp_path / "ffmpeg"
    failing.write_text("#!/bin/sh\ncat > /dev/null\nexit 1\n")
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(failing)}
    code, out, tty = _terminal_run("animate", "sample", "-o", str(tmp_path / "a.mp4"), "--seconds", "1", "--size",
                                   "64", env=env)
    assert code == 2 and "animate a.mp4:" in tty and "%" in tty
    assert _screen(tty) == [f"seethrough-gui: cannot write {tmp_path / 'a.mp4'}: ffmpeg failed (exit 1)"]


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    result = _cli("check", "sample")
    assert result.returncode == 0 and result.stderr == ""


def test_temp_files_of_a_killed_run_are_removed_when_the_cli_starts_writing_there(tmp_path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".art.psd.{dead.pid}.abc123.st-tmp"
    stale.write_bytes(b"half a PSD")
    alive = tmp_path / f".art.psd.{os.getpid()}.def456.st-tmp"  # a live process's: not ours to touch
    alive.write_bytes(b"being written")
    foreign = tmp_path / ".art.psd.tmp"  # someone else's name
    foreign.write_bytes(b"theirs")
    existing = tmp_path / "art.psd"
    existing.write_bytes(b"the user's PSD")
    # a command that will write here starts: the stale temp goes at once, even though this one is then refused
    result = _cli("export", "sample", "-o", existing)
    assert result.returncode == 2 and "--force" in result.stderr  # (it used to wait for a write that succeeded)
    assert not stale.exists() and alive.exists() and foreign.exists()
    assert existing.read_bytes() == b"the user's PSD"
