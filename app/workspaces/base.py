"""What every workspace (Annotate, Decompose, Stratify, Preview, Train) has in common: the contract between a
workspace and the main window.

A workspace is a centre and panels, as Krita's and Blender's workspaces are: `central()` is the widget in the middle
of the window (a workspace that `shows_document` gets the window's one document canvas there), `panels()` are
dock widgets around it (moved, closed and restored by the user, with a saved layout per workspace), and
`shared_panels` names which of the window's own panels (Layers, Properties, Tool Options, Checks, Jobs, Log) it shows.

The window calls only these hooks (never `hasattr`): `attach_jobs` once at start, `attach_canvas` for document
workspaces, `undo_provider` to route Edit ▸ Undo/Redo, `confirm_close` before quitting, `shutdown` when the window
closes, `activated`/`deactivated` on switches. Cross-workspace requests ("show Stratify", "use this model in
Decompose") go through signals on the session (`app.session.DocumentSession`), never through another workspace's
widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from seethrough.app.jobs import JobManager
from seethrough.app.session import DocumentSession

if TYPE_CHECKING:
    from seethrough.app.canvas import CanvasView

#: the window's own panels, which any workspace may show
SHARED_PANELS = ("Layers", "Properties", "Tool Options", "Checks", "Jobs", "Log")


class Navigable(Protocol):
    """A view that View ▸ Fit / Zoom In / Zoom Out / Actual Size act on."""

    def fit(self) -> None: ...
    def zoom_in(self) -> None: ...
    def zoom_out(self) -> None: ...
    def actual_size(self) -> None: ...


@dataclass(frozen=True)
class Panel:
    """A dockable panel of a workspace: its title (unique in the window), widget, and place in the default layout."""

    title: str
    widget: QWidget
    area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea
    shown: bool = True
    #: panels of one group share a place as tabs (the window's: "layers", "options", "bottom"); "" stands alone
    group: str = "options"
    #: its width (side panels) or height (bottom panels) in the default layout
    extent: int = 340
    #: a side panel's height in the default layout (0: it shares what its column has left)
    height: int = 0


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
    #: its centre is the window's document canvas (given by `attach_canvas`)
    shows_document = False
    #: the window's panels it shows (a subset of SHARED_PANELS), in its default layout
    shared_panels: tuple[str, ...] = ("Jobs", "Log")
    #: the job system; a workspace that runs jobs makes its own until the window attaches the shared one
    jobs: JobManager
    #: the workspace's own undo history changed (the window refreshes Edit ▸ Undo/Redo)
    history_changed = Signal()

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session

    # --- the hooks the main window calls ------------------------------------------------------------------------
    def central(self) -> QWidget:
        """The widget in the middle of the window while this workspace is shown (default: the workspace itself)."""
        return self

    def panels(self) -> list[Panel]:
        """The workspace's own dock panels (default: none)."""
        return []

    def attach_canvas(self, canvas: CanvasView) -> None:
        """The window's document canvas, for a workspace that `shows_document`."""

    def navigable(self) -> Navigable | None:
        """The view View ▸ Fit and Zoom act on while this workspace is shown (a document workspace: the canvas,
        which the window knows; None: nothing to zoom)."""
        return None

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
