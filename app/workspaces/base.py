"""What every workspace tab (Annotate, Decompose, Stratify, Preview, Train) has in common: the contract between a
workspace and the main window.

The window calls only these hooks (never `hasattr`): `attach_jobs` once at start, `undo_provider` to route
Edit ▸ Undo/Redo, `confirm_close` before quitting, `shutdown` when the window closes, `activated`/`deactivated`
on tab changes. Cross-workspace requests ("show Stratify", "use this model in Decompose") go through signals on
the session (`app.session.DocumentSession`), never through another workspace's widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from seethrough.app.jobs import JobManager
from seethrough.app.session import DocumentSession


@dataclass(frozen=True)
class UndoProvider:
    """A workspace's own undo history (Annotate's label edits), used by Edit ▸ Undo/Redo while it is active."""

    undo: Callable[[], object]
    redo: Callable[[], object]
    what: str = "edit"  # "Undo label edit"


class Workspace(QWidget):
    """A tab of the main window. Reads and edits the document only through `self.session`.

    Subclasses set `title` (tab text) and `key` (stable id for settings and shortcuts) and build their widgets in
    `__init__`. Long work goes through `self.jobs` (the window's job system), never on the UI thread.
    """

    title = "Workspace"
    key = "workspace"
    #: the job system; a workspace that runs jobs makes its own until the window attaches the shared one
    jobs: JobManager
    #: the workspace's own undo history changed (the window refreshes Edit ▸ Undo/Redo)
    history_changed = Signal()

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session

    # --- the hooks the main window calls ------------------------------------------------------------------------
    def attach_jobs(self, jobs: JobManager) -> None:
        """Use the window's job system (one for the whole app: its Jobs panel lists everything that runs)."""
        self.jobs = jobs

    def undo_provider(self) -> UndoProvider | None:
        """The history Edit ▸ Undo acts on while this tab is active; None: the document's."""
        return None

    def confirm_close(self) -> bool:
        """Asked before the window closes; False keeps it open (e.g. a training run the user wants to keep)."""
        return True

    def shutdown(self) -> None:
        """The window is closing and its jobs have stopped: release what the workspace holds."""

    def activated(self) -> None:
        """The tab became visible."""

    def deactivated(self) -> None:
        """Another tab became visible."""

    def go_to(self, key: str) -> None:
        """Ask the window to show another workspace ("stratify", "preview") or to export ("export")."""
        self.session.go_to.emit(key)
