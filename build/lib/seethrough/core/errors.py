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
