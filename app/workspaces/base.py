"""What every workspace tab (Annotate, Decompose, Stratify, Preview, Train) has in common."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from seethrough.app.session import DocumentSession


class Workspace(QWidget):
    """A tab of the main window. Reads and edits the document only through `self.session`.

    Subclasses set `title` (tab text) and `key` (stable id for settings and shortcuts), build their widgets in
    `__init__`, and may react to `activated()` / `deactivated()` (e.g. start/stop an animation timer).
    Long work goes through `app.jobs` (a worker thread with progress and cancel), never on the UI thread.
    """

    title = "Workspace"
    key = "workspace"

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session

    def activated(self) -> None:
        """The tab became visible."""

    def deactivated(self) -> None:
        """Another tab became visible."""
