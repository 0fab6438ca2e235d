"""The hostile-input corpus (tests/support/hostile_corpus.py) through every file-taking subcommand.

Every run must end in exit 0 or 2 (never a traceback, never exit 1), a failure must say why in exactly one line on
stderr and leave no new file anywhere (no temp, no partial output), a success may only write inside the output
folder, and the files a case marks as the user's must come out byte-identical. Cases run in-process through
`seethrough.cli.run` (the same funnel `main.py` uses); a sample of them also runs as a real child process.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.cli import run
from seethrough.core.paths import fixtures_dir
from tests.support.hostile_corpus import Case, corpus

REPO = Path(__file__).resolve().parents[2]
MARK = fixtures_dir() / "Mark" / "Mark.model3.json"
CASES = corpus()
#: one case per input class, also run through `main.py` in a child process
SUBPROCESS_SAMPLE = ("project-layer-offset-huge", "psd-mixed-set", "png-dotdot", "model3-deep",
                     "output-foreign-folder", "special-fifo-document-psd", "project-zip-encrypted", "args-box-inf")


def tree(root: Path) -> set[str]:
    """Every file and folder under `root`, relative (symlinks listed, not followed)."""
    found = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def in_process(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv)
        except SystemExit as exc:  # argparse (usage errors, --help)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), err.getvalue()


def child(argv: list[str]) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, str(REPO / "main.py"), *argv], capture_output=True, text=True,
                            timeout=120)
    return result.returncode, result.stdout, result.stderr


def _argv(template: tuple[str, ...], inp: Path, out: Path) -> list[str]:
    return [a.replace("{in}", str(inp)).replace("{out}", str(out)).replace("{mark}", str(MARK)) for a in template]


def check_case(case: Case, root: Path, runner) -> None:
    if case.needs_fixtures and not MARK.is_file():
        pytest.skip("Live2D fixtures not found")
    root.mkdir()
    inp = case.build(root)
    out = root / "out"
    out.mkdir(exist_ok=True)
    kept = {name: (root / name).read_bytes() for name in case.keep}
    for template in case.commands:
        argv = _argv(template, inp, out)
        before = tree(root)
        code, stdout, stderr = runner(argv)
        shown = f"{case.id}: {' '.join(template)} → exit {code}\nstderr: {stderr[-1500:]}"
        assert code in case.expect, shown
        assert "Traceback" not in stderr and "Traceback" not in stdout, shown
        new = tree(root) - before
        if code != 0:
            lines = stderr.strip().splitlines()
            if not (case.report_on_stdout and not lines):
                assert len(lines) == 1 and lines[0].startswith("seethrough-gui"), shown
            assert not new, f"{shown}\nnew files on failure: {sorted(new)}"
        else:
            outside = sorted(p for p in new if not p.startswith("out" + os.sep) and p != "out")
            assert not outside, f"{shown}\nwritten outside the output folder: {outside}"
            assert not [p for p in new if p.endswith((".st-tmp", ".st-old"))], shown
    for name, data in kept.items():
        assert (root / name).read_bytes() == data, f"{case.id}: {name} was changed"


def test_the_corpus_is_large_and_ids_unique():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


#: a case whose input could block a reader (a FIFO) fails after this many seconds instead of hanging the run
HANG_TIMEOUT_S = 120


def _params() -> list:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.timeout(HANG_TIMEOUT_S)] if c.may_hang else [])
            for c in CASES]


@pytest.mark.parametrize("case", _params())
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    check_case(case, tmp_path / "work", in_process)


@pytest.mark.parametrize("case_id", SUBPROCESS_SAMPLE)
def test_hostile_input_in_a_child_process(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    check_case(case, tmp_path / "work", child)
