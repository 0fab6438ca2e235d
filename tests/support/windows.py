"""The app's main window for GUI tests, opened and closed the way a user would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def main_window(qtbot, tmp_path, size=(1440, 900), tab=None) -> Iterator:
    """The app's window on the sample, closed the way a user closes it: jobs stopped and joined before it goes
    (not by qtbot, which would delete it while workers might still run)."""
    from seethrough.app.application import create_main_window

    w = create_main_window(tmp_path / "settings" / "s.ini")
    w.resize(*size)
    w.show()
    qtbot.waitUntil(lambda: w.session.document is not None, timeout=30_000)
    if tab is not None:
        w.tabs.setCurrentWidget(w.workspaces[tab])
    try:
        yield w
    finally:
        w.jobs.wait(60_000)
        if "annotate" in w.workspaces:
            w.workspaces["annotate"].poser.wait(30_000)
        w.close()
        qtbot.waitUntil(lambda: not w.isVisible() and not w.jobs.threads_alive(), timeout=60_000)
        w.deleteLater()
