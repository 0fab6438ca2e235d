"""Typed errors of the core. The app shows them with one presenter; the CLI maps them to exit codes.

`BadInput` and its subclasses are the user's to fix (CLI exit code 2); anything else is our bug (exit 1).
"""

from __future__ import annotations


class SeeThroughError(Exception):
    """Base class of every error the core raises on purpose."""

    #: short title for dialogs
    title = "Error"


class BadInput(SeeThroughError):
    """The input (file, image, parameter) cannot be used; the message says why in one line."""

    title = "Cannot use this input"


class UnsupportedFormat(BadInput):
    title = "Unsupported file"


class ImageTooLarge(BadInput):
    title = "Image too large"


class NewerSchema(BadInput):
    """A file written by a newer version of See-through Studio."""

    title = "File from a newer version"


class ModelNotFound(SeeThroughError):
    """Model weights are not installed; the message names the repo id and how to fetch it."""

    title = "Model weights missing"


class OutOfMemory(SeeThroughError):
    """GPU (or CPU) memory ran out; the message suggests the next lower memory mode."""

    title = "Out of memory"


class Cancelled(SeeThroughError):
    """The user cancelled a long job; nothing half-written was left behind."""

    title = "Cancelled"


class WriteFailed(BadInput):
    """Writing an output failed for a reason outside the program (full disk, read-only folder, a folder where a file
    should go, a name too long); the previous file at that path is left as it was."""

    title = "Cannot write"


_OS_REASONS = {
    "ENOSPC": "no space left on the device",
    "EROFS": "the file system is read-only",
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "EISDIR": "it is a folder",
    "ENOTDIR": "a part of the path is not a folder",
    "ENAMETOOLONG": "the name is too long",
    "ENOENT": "no such file or folder",
    "EEXIST": "it already exists",
    "EDQUOT": "disk quota exceeded",
    "EFBIG": "the file is too large for the file system",
}


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError: what went wrong, and with which path."""
    import errno

    code = errno.errorcode.get(exc.errno or 0, "")
    reason = _OS_REASONS.get(code) or (exc.strerror or str(exc)).rstrip(".")
    where = exc.filename if exc.filename is not None else ""
    if exc.filename2 is not None:
        where = f"{where} → {exc.filename2}"
    return f"{where}: {reason}" if where else reason


class LayerLocked(BadInput):
    """The edit would change a locked layer's pixels, mask, name or existence; the message names the layer."""

    title = "Layer locked"
