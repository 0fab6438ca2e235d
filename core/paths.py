"""Where the project's own files and the user's data live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = REPO_ROOT / "resources"


def resource(*parts: str) -> Path:
    """Path of a file shipped in `resources/`."""
    return RESOURCES.joinpath(*parts)


def fixtures_dir() -> Path:
    """Live2D sample models for tests: `$SEETHROUGH_FIXTURES`, else `../shared/fixtures/live2d`."""
    env = os.environ.get("SEETHROUGH_FIXTURES")
    if env:
        return Path(env).expanduser()
    return REPO_ROOT.parent / "shared" / "fixtures" / "live2d"


def user_data_dir() -> Path:
    """Per-user folder for settings, logs and autosaves (`$SEETHROUGH_HOME` overrides)."""
    env = os.environ.get("SEETHROUGH_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "seethrough-studio"
