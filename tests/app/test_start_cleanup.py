"""At start the app removes the temp files a killed run of it left where it writes (issue 22: they stayed beside the
target until a later write to the same folder): the folders of the recent documents, only our own marked names,
only when their process is gone."""

from __future__ import annotations

import os
import subprocess

from tests.support.windows import main_window


def test_the_app_cleans_its_write_folders_at_start(qtbot, tmp_path):
    from seethrough.app.settings import RECENT_FILES, Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    with main_window(qtbot, tmp_path):
        Settings().set(RECENT_FILES, [str(docs / "art.psd")])
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = docs / f".art.psd.{dead.pid}.abc123.st-tmp"
    stale.write_bytes(b"half a PSD of a killed export")
    live = docs / f".art.psd.{os.getpid()}.def456.st-tmp"  # a running process's: left alone
    live.write_bytes(b"being written")
    theirs = docs / ".art.psd.tmp"  # not our mark: left alone
    theirs.write_bytes(b"someone else's")
    with main_window(qtbot, tmp_path):  # the next start
        assert not stale.exists()
        assert live.exists() and theirs.exists()
