"""Atomic file writes: write a temp file in the target's folder, fsync it, then `os.replace` it over the target.

Why the same folder: `os.replace` is only atomic within one file system. On any error the temp file is removed
and the previous file (if any) is left exactly as it was, so a reader never sees a half-written document.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from seethrough.core.errors import WriteFailed, describe_os_error


def _temp_prefix(target: Path) -> str:
    """Our temp files beside `target` start with this (capped, so that a long name still gets a temp file)."""
    return f".{target.name}."[:200]


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


def _file_mode(target: Path) -> int:
    """The existing file's mode, else 0666 less the process umask."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=folder)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(target))  # mkstemp makes 0600: give the file the mode a plain open() would
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
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
        yield tmp
        if target.exists():
            if not target.is_dir():
                raise WriteFailed(f"cannot write {target}: it exists and is not a folder")
            aside = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".old", dir=target.parent))
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
