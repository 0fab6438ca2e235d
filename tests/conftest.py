"""Shared test setup: Qt runs offscreen (set before anything imports Qt); every test gets its own user-data
folder and settings, so no test sees another's recent files or window layout."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the Live2D sample models: ../shared/fixtures/live2d beside the checkout unless $SEETHROUGH_FIXTURES says otherwise
os.environ.setdefault(
    "SEETHROUGH_FIXTURES", str(Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "live2d")
)


def _guard_qt_host() -> None:
    """This process hosts Qt widgets like the app does, so it gets the app's guard (app/none_refcount.py)."""
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return
    from seethrough.app.none_refcount import guard_none_refcount

    guard_none_refcount()


_guard_qt_host()


@pytest.fixture(autouse=True)
def _fresh_user_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_HOME", str(tmp_path / "home"))
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # the non-GUI suites also run without Qt installed
        return
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
