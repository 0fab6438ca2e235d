"""One presenter for errors: core errors get a clear title and message, anything else is shown as a bug.

Dialogs are non-modal (`open()`), so a message never blocks the event loop — tests and long jobs keep running.
`last_message` keeps the latest text for the status bar and for tests.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from seethrough.core.errors import Cancelled, SeeThroughError, describe_os_error

log = logging.getLogger("seethrough")
last_message: str = ""


def describe(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, SeeThroughError):
        return exc.title, str(exc)
    if isinstance(exc, OSError):  # the environment (full disk, read-only folder, a folder in the way): not a bug
        return "Cannot complete", describe_os_error(exc)
    return "Unexpected error", f"{type(exc).__name__}: {exc}\n\nDetails are in the log."


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox | None:
    global last_message
    title, text = describe(exc)
    last_message = f"{title}: {text}"
    if isinstance(exc, Cancelled):
        log.info("cancelled: %s", exc)
        return None
    if isinstance(exc, (SeeThroughError, OSError)):
        log.warning("%s: %s", title, text)
    else:
        log.error("%s", "".join(traceback.format_exception(exc)))
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.open()
    return box
