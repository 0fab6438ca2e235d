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


@pytest.fixture(autouse=True)
def _fresh_user_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_HOME", str(tmp_path / "home"))
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # the non-GUI suites also run without Qt installed
        return
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
