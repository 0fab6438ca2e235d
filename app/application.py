"""The composition root: QApplication, logging, the excepthook, and the first window.

`seethrough-gui` opens the given file, else the last one, else the built-in sample. Nothing here imports torch,
diffusers or transformers: they load only when a job needs them, so the window appears fast.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from seethrough.app.main_window import MainWindow
from seethrough.core.paths import user_data_dir

log = logging.getLogger("seethrough")


def setup_logging() -> Path:
    folder = user_data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seethrough.log"
    root = logging.getLogger()
    if not any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def clean_write_folders() -> None:
    """Remove the temp files a killed run of the app left where it writes: the autosave folder and the folders of
    the recent documents (our own temp names only, only when the process that made them is gone)."""
    from seethrough.app.autosave import autosave_dir
    from seethrough.app.settings import LAST_FILE, RECENT_FILES, Settings
    from seethrough.core.io.atomic import clean_folders

    settings = Settings()
    documents = [*settings.get(RECENT_FILES), settings.get(LAST_FILE)]
    folders = [autosave_dir(), *(Path(str(p)).parent for p in documents if p)]
    removed = clean_folders(folders)
    if removed:
        log.info("removed %d temp file(s) left by an interrupted run: %s", len(removed), ", ".join(map(str, removed)))


def install_excepthook(window: MainWindow) -> None:
    """Uncaught exceptions in Qt slots are logged and shown, and the app keeps running."""
    from seethrough.app.errors import show_error

    def hook(exc_type, exc, tb) -> None:  # noqa: ANN001
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        show_error(window, exc)

    sys.excepthook = hook


def create_main_window(settings_path: str | Path | None = None, open_path: str | Path | None = None) -> MainWindow:
    """Build the main window (a QApplication must exist). `settings_path`: an ini file for QSettings (tests)."""
    QCoreApplication.setOrganizationName("SeeThroughStudio")
    QCoreApplication.setApplicationName("See-through Studio")
    if settings_path is not None:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(settings_path).parent))
    setup_logging()
    clean_write_folders()
    from seethrough.app.settings import THEME, Settings
    from seethrough.app.theme import apply_theme

    apply_theme(Settings().get(THEME))
    window = MainWindow()
    from seethrough.app.autosave import offer_recovery
    from seethrough.app.settings import LAST_FILE

    if offer_recovery(window.session, window):  # the last run crashed: its unsaved edits come back first
        return window
    target = open_path or Settings().get(LAST_FILE)
    if target and Path(str(target)).exists():
        window.files.open(Path(str(target)), asked=True)
    else:
        window.files.open_sample(asked=True)
    return window


def run_app(path: str | None = None) -> int:
    from seethrough.app.none_refcount import guard_none_refcount

    guard_none_refcount()  # before any widget: PySide6 6.12.0 on CPython 3.11 leaks references to None
    from seethrough.app.gc_policy import quiet_gc

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = create_main_window(open_path=path)
    install_excepthook(window)
    window.show()
    quiet_gc()  # the start-up objects are here to stay: no collection walks them again
    return int(app.exec())
