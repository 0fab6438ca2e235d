"""Opening an input file: only regular files, refused in one line otherwise, never a wait.

Why: `open()` on a named pipe (FIFO) blocks until a writer appears, and a character device such as `/dev/zero`
reads forever, so a FIFO where a layer PNG, a model file or a path file was expected hung `info`, `export`,
`animate`, `models check` … for good. Every reader opens its input through `open_regular`: the file is opened
without blocking (`O_NONBLOCK`, which a regular file ignores), checked with `fstat` on the descriptor itself (so
nothing can be swapped in between the check and the read), and anything that is not a regular file — a FIFO, a
socket, a device, a folder — is refused with `NotARegularFile`, one line naming the path and what it is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from seethrough.core.errors import BadInput

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotARegularFile(BadInput):
    """The path names a folder, pipe, socket or device where a file was expected."""

    title = "Not a file"


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ("a named pipe (FIFO)", "a folder", …)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _flags() -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    return flags


def open_regular(path: str | os.PathLike[str], what: str | None = None) -> BinaryIO:
    """Open `path` for reading in binary, refusing anything but a regular file without ever blocking.

    Raises `NotARegularFile`, or `BadInput` for a missing or unreadable file (the message names `what`, default
    the path)."""
    p = Path(path)
    label = what or str(p)
    try:
        fd = os.open(p, _flags())
    except FileNotFoundError:
        raise BadInput(f"{label}: no such file") from None
    except IsADirectoryError:
        raise NotARegularFile(f"{label}: is a folder, not a file") from None
    except OSError as exc:  # ENXIO: a socket; EACCES; ELOOP; …
        if p.exists() and not p.is_file():
            raise NotARegularFile(f"{label}: is {kind_of(p.stat().st_mode)}, not a file") from None
        raise BadInput(f"{label}: cannot read ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"{label}: is {kind_of(mode)}, not a file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file: ordinary reads from here on
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str | os.PathLike[str], what: str | None = None) -> Path:
    """`path` when it is a regular file that can be opened; the same errors as `open_regular` otherwise.

    For readers that hand a path to a library (the Live2D runtimes): the library then opens a file, not a pipe."""
    with open_regular(path, what):
        pass
    return Path(path)


def read_regular(path: str | os.PathLike[str], what: str | None = None, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; with `max_bytes`, BadInput when the file is larger (checked before reading)."""
    with open_regular(path, what) as fh:
        if max_bytes is not None:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise BadInput(f"{what or Path(path).name}: {size:,} bytes is over the limit of {max_bytes:,}")
        return fh.read()


def is_regular(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a regular file (following symlinks), without opening it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
