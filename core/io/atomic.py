"""Atomic file writes: write a temp file in the target's folder, fsync it, then `os.replace` it over the target.

Why the same folder: `os.replace` is only atomic within one file system. On any error the temp file is removed
and the previous file (if any) is left exactly as it was, so a reader never sees a half-written document.

Temp names carry our mark and the writer's process id (`.<name>.<pid>.<random>.st-tmp`), so that what a killed
run left behind is recognised and removed by the next write into that folder (`clean_stale_temps`), and nothing
of anyone else's is ever touched. `write_set` writes several files as one set: every member to a temp first,
then the renames in the caller's order under a journal (`core.io.set_journal`), so that after a kill at any
moment either the old set or the new set is complete and loadable.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from seethrough.core.errors import WriteFailed, describe_os_error
from seethrough.core.io import set_journal
from seethrough.core.processes import process_alive

#: the suffix of every temp file or folder we create (and the only ones `clean_stale_temps` removes)
TEMP_SUFFIX = ".st-tmp"
OLD_SUFFIX = ".st-old"
_OURS = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+(\.st-tmp|\.st-old)$")


def temp_prefix(target: Path) -> str:
    """`.<name>.<pid>.` (the name shortened so that the temp name stays under 255 bytes)."""
    return f".{target.name[:120]}.{os.getpid()}."


_temp_prefix = temp_prefix




def clean_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temp files/folders our writers left in `folder` when their process died; returns them.

    First, a set write a killed process had committed is finished from its temp files (`core.io.set_journal`), so
    that what is removed is never a member the set still needs."""
    set_journal.recover(folder)
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _OURS.match(name)
        if match is None or process_alive(int(match.group(1))):
            continue
        path = Path(folder) / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass  # not ours to fight over (read-only folder…): the next run tries again
    return removed


def clean_folders(folders: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """`clean_stale_temps` in each folder that exists (each once): what the app and the CLI run at start in the
    folders they write to, so a killed run's temp files do not wait for the next write to the same folder."""
    removed: list[Path] = []
    seen: set[str] = set()
    for folder in folders:
        key = os.path.abspath(folder)
        if key in seen or not os.path.isdir(key):
            continue
        seen.add(key)
        removed += clean_stale_temps(key)
    return removed


def write_failed(exc: OSError, target: Path, temps: tuple[Path, ...] = ()) -> WriteFailed | None:
    """A one-line WriteFailed naming `target` for an OSError raised while writing it, or None when the error is
    about another file (e.g. an input read inside the `with` block, which keeps its own path).

    Errors on our temp files are reported under the target's name: the user never chose the temp name."""
    if exc.filename is not None:
        name = Path(os.fsdecode(exc.filename))
        ours = (
            name in (target, *target.parents)
            or any(name == t or t in name.parents for t in temps)
            or (name.parent == target.parent and name.name.startswith(_temp_prefix(target)))
        )
        if not ours:
            return None
    if isinstance(exc, FileExistsError) and not target.parent.is_dir():
        exc = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))  # a file where a folder should be
    reason = describe_os_error(OSError(exc.errno, exc.strerror))
    return WriteFailed(f"cannot write {target}: {reason}")


def _fsync_dir(folder: Path) -> None:
    """Persist the rename itself (POSIX); silently unsupported on some platforms."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the data itself is already synced
    finally:
        os.close(fd)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def file_mode(target: Path) -> int:
    """The existing file's mode, else 0666 less the process umask (what a plain open() would give)."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def folder_mode(target: Path) -> int:
    """The existing folder's mode, else 0777 less the process umask (what a plain mkdir would give)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o777 & ~_umask()


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file; on normal exit it atomically replaces `path`, on error it vanishes.

    An OSError of the write itself (full disk, read-only or missing permission, a folder in the way, a name too
    long) becomes `WriteFailed` naming `path`; the previous file is left exactly as it was."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    tmp: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(folder)
        fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=folder)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode(target))  # mkstemp makes 0600: give the file the mode a plain open() would
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        failed = write_failed(exc, target, (tmp,) if tmp else ()) if isinstance(exc, OSError) else None
        if failed is not None:
            raise failed from exc
        raise
    _fsync_dir(folder)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_writer(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp folder next to `path`; on success it replaces `path` (an old folder is removed), else vanishes.

    Replacing a non-empty folder is two renames (old aside, new in); the old one is deleted only after the new
    one is in place, so at every moment either the old or the new complete folder exists under some name.
    """
    target = Path(path)
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(target.parent)
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent))
        os.chmod(tmp, folder_mode(target))  # mkdtemp makes 0700: the mode a plain mkdir would give (or the old one)
        yield tmp
        if target.exists():
            if not target.is_dir():
                raise WriteFailed(f"cannot write {target}: it exists and is not a folder")
            aside = Path(tempfile.mkdtemp(prefix=temp_prefix(target), suffix=OLD_SUFFIX, dir=target.parent))
            aside.rmdir()
            os.replace(target, aside)
            os.replace(tmp, target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        failed = write_failed(exc, target, (tmp,) if tmp else ()) if isinstance(exc, OSError) else None
        if failed is not None:
            raise failed from exc
        raise


def write_set(members: Sequence[tuple[str | os.PathLike[str], bytes]]) -> None:
    """Write files as one set: all to temps (synced) first, then renamed in the given order under a journal.

    On an error before the renames nothing changes on disk. The first rename is the commit point: a kill before it
    leaves the previous set untouched; a kill after it leaves the new set complete, its unrenamed members under
    their temp names, listed in the journal (`core.io.set_journal`): readers take them from there
    (`pending_renames`) and the next clean-up in the folder finishes the renames. So put first the member readers
    open first (the PSD, a folder's manifest). OSErrors become `WriteFailed`."""
    staged: list[tuple[Path, Path]] = []
    target = Path(".")
    journal: Path | None = None
    renamed = 0
    try:
        for path, data in members:
            target = Path(path)
            folder = target.parent if str(target.parent) else Path(".")
            folder.mkdir(parents=True, exist_ok=True)
            clean_stale_temps(folder)
            fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=folder)
            tmp = Path(tmp_name)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, file_mode(target))
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        folders = {t.parent for _, t in staged}
        if len(staged) > 1 and len(folders) == 1:
            journal = set_journal.write_journal(next(iter(folders)), staged, staged[0][1].name)
        for tmp, target in staged:
            _test_kill_point(renamed)
            os.replace(tmp, target)
            renamed += 1
        _test_kill_point(renamed)
    except BaseException as exc:
        if 0 < renamed < len(staged) and _finish_renames(staged[renamed:]):
            if journal is not None:
                set_journal.remove_journal(journal)
            raise  # interrupted after the commit: the new set was completed, the interruption goes on
        if renamed and journal is not None:
            raise  # committed but the renames cannot finish now: temps and journal stay for the recovery
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if journal is not None:
            journal.unlink(missing_ok=True)
        if isinstance(exc, OSError):  # reported under the set's name: the member readers open first
            main = Path(members[0][0]) if members else target
            temps = tuple(t for t, _ in staged)
            for member in dict.fromkeys([target, *(t for _, t in staged), main]):
                failed = write_failed(exc, member, temps)
                if failed is not None:
                    reason = str(failed)[len(f"cannot write {member}: "):]
                    raise WriteFailed(f"cannot write {main}: {reason}") from exc
        raise
    for folder in {t.parent for _, t in staged}:
        _fsync_dir(folder if str(folder) else Path("."))
    if journal is not None:
        set_journal.remove_journal(journal)


def _finish_renames(rest: Sequence[tuple[Path, Path]]) -> bool:
    """Complete a committed set after an interruption in this process (KeyboardInterrupt, an error between two
    renames); False when a rename fails (then the recovery finishes them later)."""
    try:
        for tmp, target in rest:
            os.replace(tmp, target)
    except OSError:
        return False
    return True


#: test hook (tests/core/test_kill_sweep.py): SIGKILL this process when a set write has made this many renames
KILL_AFTER_RENAMES_ENV = "SEETHROUGH_TEST_KILL_AFTER_RENAMES"


def _test_kill_point(renames_done: int) -> None:
    wanted = os.environ.get(KILL_AFTER_RENAMES_ENV)
    if wanted is not None and wanted.strip() == str(renames_done):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
