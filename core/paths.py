"""Where the project's own files and the user's data live.

The shipped resources (`resources/` in the repository) are the package `seethrough.resources`, read through
`importlib.resources`, so they are found the same way in an editable checkout and in an installed wheel.
"""

from __future__ import annotations

import os
from importlib.resources import as_file, files
from pathlib import Path

_RESOURCES = files("seethrough.resources")


def resource(*parts: str) -> Path:
    """Path of a file shipped in `resources/` (the installed package data)."""
    with as_file(_RESOURCES.joinpath(*parts)) as path:  # a real file for both layouts setuptools produces
        return Path(path)


def fixtures_dir() -> Path:
    """Live2D sample models for tests: `$SEETHROUGH_FIXTURES`, else `../shared/fixtures/live2d` beside the cwd."""
    env = os.environ.get("SEETHROUGH_FIXTURES")
    if env:
        return Path(env).expanduser()
    return Path.cwd().resolve().parent / "shared" / "fixtures" / "live2d"


def user_data_dir() -> Path:
    """Per-user folder for settings, logs and autosaves (`$SEETHROUGH_HOME` overrides)."""
    env = os.environ.get("SEETHROUGH_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "seethrough-studio"
