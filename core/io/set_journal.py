"""The journal that makes a set of files (a PSD with its companions, a PNG folder) change as one, across a kill.

Several files cannot be renamed at once, so `core.io.atomic.write_set` keeps a journal while it renames: every new
member is first written complete (and fsynced) under a temp name beside its target; then a journal
`.<name>.<pid>.<random>.st-set`, listing each temp → target pair in rename order, is written (atomically, fsynced);
then the renames run; then the journal is deleted. The first rename is the commit point:

- killed before it (every temp still there): the previous set is untouched — the recovery deletes the temps;
- killed after it: the new set is complete, part of it under its temp names — a reader finds those members
  through the journal (`pending_renames`), and the recovery finishes the renames (roll forward).

Recovery (`recover`) runs before any of our temp files in a folder are removed (`clean_stale_temps`: the next write
into the folder, and the start of the app or a CLI command in the folders it writes to), and only for journals
whose process is gone: a live writer's journal is its own. It only ever renames or deletes the journal's own temp
files, named with our mark. So after a kill at any moment, either the old set or the new set is complete and
loadable, and after the recovery it is complete under its own names.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from seethrough.core.processes import process_alive

JOURNAL_SUFFIX = ".st-set"
_JOURNAL = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.st-set$")
#: a journal is a few names: anything bigger is not one of ours
_MAX_JOURNAL_BYTES = 1 << 20


def write_journal(folder: Path, pairs: Sequence[tuple[Path, Path]], name: str) -> Path:
    """Record `pairs` (temp, target: both in `folder`) in rename order, durably; returns the journal's path."""
    text = json.dumps({"renames": [[temp.name, target.name] for temp, target in pairs]})
    prefix = f".{name[:120]}.{os.getpid()}."
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".st-tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        journal = Path(tempfile.mkdtemp(prefix=prefix, suffix=JOURNAL_SUFFIX, dir=folder))
        journal.rmdir()  # a fresh unique name: the journal itself is a file
        os.replace(tmp, journal)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(folder)
    return journal


def remove_journal(journal: Path) -> None:
    journal.unlink(missing_ok=True)
    fsync_folder(journal.parent)


def _read(journal: Path) -> list[tuple[Path, Path]] | None:
    """The journal's (temp, target) pairs, or None when it is not a readable journal of ours."""
    try:
        if journal.stat().st_size > _MAX_JOURNAL_BYTES:
            return None
        data = json.loads(journal.read_text(encoding="utf-8"))
        pairs = [(str(a), str(b)) for a, b in data["renames"]]
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None
    folder = journal.parent
    out = []
    for temp, target in pairs:
        if "/" in temp or "\\" in temp or "/" in target or "\\" in target or target in ("", ".", ".."):
            return None  # our journals name files of their own folder only
        out.append((folder / temp, folder / target))
    return out


def _dead_journals(folder: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = []
    for name in names:
        match = _JOURNAL.match(name)
        if match is not None and not process_alive(int(match.group(1))):
            found.append(folder / name)
    return found


def _committed(pairs: list[tuple[Path, Path]]) -> bool:
    """Whether the renames had begun: the first member's temp is gone (renamed onto its target)."""
    return bool(pairs) and not pairs[0][0].exists() and pairs[0][1].exists()


def pending_renames(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Target name → temp file still holding it, for sets a killed writer had committed but not finished renaming
    in `folder`: a reader takes those members from there (read-only: nothing is changed)."""
    pending: dict[str, Path] = {}
    for journal in _dead_journals(Path(folder)):
        pairs = _read(journal)
        if pairs is None or not _committed(pairs):
            continue
        for temp, target in pairs:
            if temp.is_file():
                pending[target.name] = temp
    return pending


def recover(folder: str | os.PathLike[str]) -> list[Path]:
    """Finish or undo the set writes a killed process left in `folder` (module docstring); returns the targets that
    were completed. Errors are left for the next run (a read-only folder cannot be repaired now)."""
    completed: list[Path] = []
    for journal in _dead_journals(Path(folder)):
        pairs = _read(journal)
        with contextlib.suppress(OSError):
            if pairs is not None and _committed(pairs):
                for temp, target in pairs:  # roll forward, in the original order
                    if temp.is_file():
                        os.replace(temp, target)
                        completed.append(target)
            elif pairs is not None:
                for temp, _ in pairs:  # roll back: the previous set was never touched
                    if temp.is_file() and not temp.is_symlink():
                        temp.unlink()
            remove_journal(journal)
    return completed


def fsync_folder(folder: Path) -> None:
    """Persist renames in `folder` (POSIX); silently unsupported on some platforms and file systems."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
