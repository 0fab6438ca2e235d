"""Outputs are replaced only with --force, numbers are range-checked by argparse, usage errors are one line."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from seethrough.cli import run


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_an_existing_psd_is_replaced_only_with_force(tmp_path):
    target = tmp_path / "art.psd"
    assert cli("export", "sample", "-o", str(target))[0] == 0
    first = target.read_bytes()
    code, _, err = cli("export", "sample", "-o", str(target), "--groups")
    assert code == 2 and "already exists; add --force" in err and len(err.strip().splitlines()) == 1
    assert target.read_bytes() == first
    assert cli("export", "sample", "-o", str(target), "--groups", "--force")[0] == 0
    assert target.read_bytes() != first


def test_a_png_folder_export_with_force_still_spares_foreign_files(tmp_path):
    folder = tmp_path / "layers"
    assert cli("export", "sample", "-o", f"{folder}/")[0] == 0
    (folder / "notes.txt").write_text("mine")
    code, _, err = cli("export", "sample", "-o", f"{folder}/")
    assert code == 2 and "--force" in err
    assert cli("export", "sample", "-o", f"{folder}/", "--force")[0] == 0
    assert (folder / "notes.txt").read_text() == "mine"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "seethrough-png-folder" and "notes.txt" not in manifest["files"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "a.txt").write_text("x")
    code, _, err = cli("export", "sample", "-o", f"{foreign}/", "--force")
    assert code == 2 and "not a See-through export" in err and "--force" not in err  # the message and the rule agree
    assert sorted(p.name for p in foreign.iterdir()) == ["a.txt"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # a declared parameter is checked by the operation itself: the GUI's and a replayed log's sentence
        (("stratify", "sample", "-o", "x.psd", "--k", "1000"), "k: 1000 is out of range (must be between 2 and 8)"),
        (("stratify", "sample", "-o", "x.psd", "--k", "two"), "argument --k: 'two' is not a whole number"),
        (("stratify", "sample", "-o", "x.psd", "--k", "1"), "between 2 and 8"),
        (("live2d", "info", "m.model3.json", "--size", "-5"), "argument --size: -5 is out of range"),
        (("live2d", "export", "m", "-o", "d", "--size", "100000"), "between 64 and 8192"),
        (("live2d", "export", "m", "-o", "d", "--margin", "-2"), "argument --margin: -2 is out of range"),
        (("live2d", "export", "m", "-o", "d", "--margin", "nan"), "argument --margin"),
        (("decompose", "x.png", "-o", "x.psd", "--steps", "0"), "steps: 0 is out of range (must be between 1 and 1000"),
        (("eval", "--model", "m", "--data", "d", "-o", "r.json", "--limit", "0"), "--limit: 0 is out of range"),
        (("info",), "the following arguments are required: file"),
    ],
)
def test_numbers_are_checked_before_any_work_in_one_line(tmp_path, argv, message):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
