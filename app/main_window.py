"""The main window: workspace tabs in the centre, dockable panels, menus, status bar. Nothing else lives here —
file handling is in `file_actions`, autosave in `autosave`, panels and workspaces in their own modules.

The window talks to workspaces only through the `Workspace` contract (app/workspaces/base.py) and to their requests
only through the session's signals. Closing asks about unsaved edits, then cancels every job and waits for the
workers with a "stopping…" message before it really closes: no thread is ever left running behind it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolBar,
)

from seethrough.app import settings as keys
from seethrough.app.autosave import Autosave
from seethrough.app.canvas import CanvasView
from seethrough.app.file_actions import FileActions
from seethrough.app.jobs import JobManager
from seethrough.app.menus.editing import EditingMenus
from seethrough.app.panels.checks_panel import ChecksPanel
from seethrough.app.panels.jobs_panel import JobsPanel
from seethrough.app.panels.layers_panel import LayersPanel
from seethrough.app.panels.log_panel import LogPanel
from seethrough.app.panels.properties_panel import PropertiesPanel
from seethrough.app.screen_fit import fit_to_screen
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings
from seethrough.app.theme import THEMES, apply_theme
from seethrough.app.tools.brush import BrushTool
from seethrough.app.tools.registry import default_tools
from seethrough.app.tools.toolbox import Toolbox
from seethrough.app.workspace_host import WorkspaceHost
from seethrough.app.workspaces.base import Navigable, UndoProvider, Workspace
from seethrough.app.workspaces.registry import WORKSPACES

#: the canvas's composite modes, as the View menu names them
COMPOSITE_MODES = {"Layer order": "stack", "By depth (far → near)": "depth", "Per-pixel depth (z-buffer)": "zbuffer"}

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("See-through Studio")
        self.resize(1440, 900)
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.undo_action: QAction | None = None
        self.session = DocumentSession(self)
        self.jobs = JobManager(self, error_parent=self)
        self.files = FileActions(self.session, self.jobs, self)
        self.autosave = Autosave(self.session, self.jobs, self)
        self.files.saved.connect(lambda _p: self.autosave.discard())
        self._discard_confirmed = False  # the user chose Discard (or saved) for this close
        self._stop_timer = QTimer(self, interval=50)
        self._stop_timer.timeout.connect(self._check_stopped)
        # one document canvas, the centre of every workspace that shows the document
        self.canvas = CanvasView(self.session, self.jobs)
        self.host = WorkspaceHost(self, self.canvas)
        self.setCentralWidget(self.host.stack)
        self.tabs = self.host.bar  # the workspace switcher (a tab bar at the top)
        self.toolbox = Toolbox(self.canvas, self)
        for tool in default_tools(self.canvas):
            self.toolbox.add(tool)
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.toolbox.toolbar)
        self.layers_panel = LayersPanel(self.session, jobs=self.jobs)
        self.properties_panel = PropertiesPanel(self.session)
        self.log_panel = LogPanel()
        self.jobs_panel = JobsPanel(self.jobs)
        self.checks_panel = ChecksPanel(self.session, self.jobs, self.canvas)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        for title, widget, area, group in (
            ("Layers", self.layers_panel, right, "layers"),
            ("Tool Options", self.toolbox.options_panel, right, "options"),
            ("Properties", self.properties_panel, right, "options"),
            ("Checks", self.checks_panel, bottom, "bottom"),
            ("Jobs", self.jobs_panel, bottom, "bottom"),
            ("Log", self.log_panel, bottom, "bottom"),
        ):
            self.host.add_shared(title, widget, area, group, extent=160 if area == bottom else 340)
        self.workspaces: dict[str, Workspace] = {}
        for key, factory in WORKSPACES:
            workspace = factory(self.session)
            workspace.attach_jobs(self.jobs)  # one job system for the whole app
            if workspace.shows_document:
                workspace.attach_canvas(self.canvas)
            self.workspaces[key] = workspace
            self.host.add_workspace(workspace)
        self.docks: dict[str, QDockWidget] = self.host.docks
        self._build_workspace_bar()
        self._build_status_bar()
        self._build_menus()
        self.session.go_to.connect(self._go_to)
        self.session.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.session.document_replaced.connect(lambda _d: self._update_title())
        self.session.history_changed.connect(self._update_title)
        self.host.switched.connect(self._on_switched)
        self.toolbox.activate("pan")
        self._restore_layout()

    # --- construction ---------------------------------------------------------------------------------------
    def _build_workspace_bar(self) -> None:
        bar = QToolBar("Workspaces")
        bar.setObjectName("toolbar-workspaces")
        bar.setMovable(False)
        bar.addWidget(self.tabs)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.size_label = QLabel("")
        self.zoom_label = QLabel("")
        self.cursor_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(lambda: self.jobs.cancel())
        self.jobs_button = QPushButton("", flat=True)
        self.jobs_button.setVisible(False)
        self.jobs_button.setToolTip("Jobs running in the background: show the Jobs panel")
        self.jobs_button.clicked.connect(self._show_jobs_panel)
        self.jobs.job_changed.connect(self._update_jobs_button)
        for widget in (self.cursor_label, self.zoom_label, self.size_label):
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.jobs_button)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self.canvas.cursor_moved.connect(lambda x, y: self.cursor_label.setText(f"{x}, {y}"))
        self.jobs.started.connect(self._job_started)
        self.jobs.progress.connect(self._job_progress)
        self.jobs.done.connect(self._job_done)

    def _action(self, menu, text: str, slot,  # noqa: ANN001
                shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.actions_by_name[text.rstrip("…")] = action
        return action

    def _build_menus(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        files = self.files
        m = self.menuBar().addMenu("&File")
        self._action(m, "Open…", lambda: files.open_dialog(), QKeySequence.StandardKey.Open)
        self.recent_menu = m.addMenu("Open Recent")
        files.recent_changed.connect(self._fill_recent)
        self._fill_recent()
        self._action(m, "Open Sample", lambda: files.open_sample())
        self._action(m, "Open Review List…", lambda: self._open_review_list())
        self._action(m, "Next Model in Review List", lambda: self._next_in_review_list(), "Ctrl+Alt+N")
        m.addSeparator()
        self._action(m, "Save", lambda: files.save(), QKeySequence.StandardKey.Save)
        self._action(m, "Save As…", lambda: files.save_as(), "Ctrl+Shift+S")
        self._action(m, "Export PSD…", files.export_psd, "Ctrl+E")
        self._action(m, "Export PNG Folder…", files.export_png_folder, "Ctrl+Shift+E")
        self._action(m, "Export Actions…", files.export_actions)
        m.addSeparator()
        self._action(m, "Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("&Edit")
        self.undo_action = self._action(e, "Undo", self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(e, "Redo", self.redo, "Ctrl+Shift+Z")
        self.session.history_changed.connect(self._update_undo)
        for workspace in self.workspaces.values():
            workspace.history_changed.connect(self._update_undo)
        self._update_undo()
        self._build_view_menu()
        self.editing = EditingMenus(self, e)  # Layer and Select menus, selection actions in Edit, marching ants
        layer_menu = self.editing.layer_menu
        first = layer_menu.actions()[0]
        layer_menu.insertAction(first, self._action(layer_menu, "New Layer", self.layers_panel.new_layer,
                                                    "Ctrl+Shift+N"))  # first in the menu, above the masks
        layer_menu.insertSeparator(first)
        brush = self.toolbox.tools["brush"]
        assert isinstance(brush, BrushTool)
        self.editing.colour_source = lambda: brush.panel.colours.foreground  # Fill uses the brush's foreground
        w = self.menuBar().addMenu("&Window")
        for i, workspace in enumerate(self.workspaces.values()):
            self._action(w, workspace.title, lambda _=False, ws=workspace: self.tabs.setCurrentWidget(ws),
                         f"Alt+{i + 1}")
        w.addSeparator()
        self._action(w, "Reset Layout", self.host.reset_layout)
        h = self.menuBar().addMenu("&Help")
        self._action(h, "About", self._about)

    def _build_view_menu(self) -> None:
        v = self.menuBar().addMenu("&View")
        canvas = self.canvas
        self.view_actions = [
            self._action(v, "Fit", lambda: self._navigate("fit"), "F"),
            self._action(v, "Actual Size (1:1)", lambda: self._navigate("actual_size"), "Ctrl+1"),
            self._action(v, "Zoom In", lambda: self._navigate("zoom_in"), QKeySequence.StandardKey.ZoomIn),
            self._action(v, "Zoom Out", lambda: self._navigate("zoom_out"), QKeySequence.StandardKey.ZoomOut),
        ]
        v.addSeparator()
        self.region_action = self.toolbox.actions["region"]
        self._action(v, "Clear Region", lambda: self.session.set_region(None), "Shift+R")
        v.addSeparator()
        modes = v.addMenu("Composite")
        group = QActionGroup(self)
        for text, mode in COMPOSITE_MODES.items():
            action = modes.addAction(text)
            action.setCheckable(True)
            action.setChecked(mode == canvas.mode)
            action.triggered.connect(lambda _=False, m=mode: canvas.set_mode(m))
            group.addAction(action)
        depth = self._action(v, "Show Pseudo-depth", lambda on: canvas.set_show_depth(bool(on)), "Ctrl+D")
        depth.setCheckable(True)
        depth.setToolTip("Show the nearest pseudo-depth per pixel (near = white)")
        outline = self._action(v, "Outline Current Layer", self._set_outline)
        outline.setCheckable(True)
        outline.setChecked(canvas.outline_current)
        v.addSeparator()
        themes = v.addMenu("Theme")
        theme_group = QActionGroup(self)
        current = Settings().get(keys.THEME)
        for theme in THEMES:
            action = themes.addAction(theme.capitalize())
            action.setCheckable(True)
            action.setChecked(theme == current)
            action.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            theme_group.addAction(action)
        self.panels_menu = v.addMenu("Panels")
        self.panels_menu.aboutToShow.connect(self._fill_panels_menu)

    def navigable(self) -> Navigable | None:
        """The view the View menu's Fit and Zoom act on: the document canvas, or the active workspace's own view."""
        active = self.host.active
        if active is None or active.shows_document:
            return self.canvas
        return active.navigable()

    def _navigate(self, how: str) -> None:
        view = self.navigable()
        if view is not None:
            getattr(view, how)()

    def _set_outline(self, on: bool) -> None:
        self.canvas.outline_current = bool(on)
        self.canvas.schedule_render()

    def set_theme(self, theme: str) -> None:
        """Switch the colour theme now and for the next start."""
        Settings().set(keys.THEME, apply_theme(theme))
        self.toolbox.refresh_icons()
        self.layers_panel.refresh_icons()

    def _fill_panels_menu(self) -> None:
        """The show/hide switches of the panels the active workspace has."""
        menu: QMenu = self.panels_menu
        menu.clear()
        self.host.panel_actions(lambda dock: menu.addAction(dock.toggleViewAction()))

    # --- behaviour ------------------------------------------------------------------------------------------------
    @property
    def active_workspace(self) -> Workspace | None:
        return self.host.active

    def _undo_provider(self) -> UndoProvider | None:
        """The active workspace's own undo history (Annotate's label edits), or None for the document's."""
        active = self.host.active
        return active.undo_provider() if active is not None else None

    def undo(self) -> None:
        provider = self._undo_provider()
        if provider is not None:
            provider.undo()
        else:
            self.session.undo()

    def redo(self) -> None:
        provider = self._undo_provider()
        if provider is not None:
            provider.redo()
        else:
            self.session.redo()

    def _open_review_list(self, path: Path | None = None) -> None:
        """Annotate the next model of a batch's review list (`live2d batch`: review/report.json)."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open review list", "", "Batch report (report.json)")
            if not chosen:
                return
            path = Path(chosen)
        self.session.review_list_requested.emit(path)

    def _next_in_review_list(self) -> None:
        self.session.review_list_requested.emit(None)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.files.recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open(Path(p)))
        self.recent_menu.setEnabled(bool(self.files.recent()))

    def _update_undo(self) -> None:
        undo, redo = self.undo_action, self.redo_action
        if undo is None or redo is None:  # the menus are not built yet
            return
        provider = self._undo_provider()
        if provider is not None:  # Annotate: the actions drive its label history
            for action, text in ((undo, f"Undo {provider.what}"), (redo, f"Redo {provider.what}")):
                action.setEnabled(True)
                action.setText(text)
            return
        history = self.session.document.history if self.session.document else None
        undo.setEnabled(bool(history and history.can_undo))
        redo.setEnabled(bool(history and history.can_redo))
        undo.setText(f"Undo {history.undo_text}" if history and history.can_undo else "Undo")
        redo.setText(f"Redo {history.redo_text}" if history and history.can_redo else "Redo")

    def _update_title(self) -> None:
        doc = self.session.document
        name = self.session.display_name or "untitled"
        dirty = " •" if self.session.is_dirty else ""
        self.setWindowTitle(f"{name}{dirty} — See-through Studio")
        self.size_label.setText(f"{doc.width}×{doc.height}, {len(doc.layers)} layers" if doc else "")

    def _job_started(self, title: str) -> None:
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.statusBar().showMessage(title)

    def _job_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.statusBar().showMessage(message)

    def _job_done(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.statusBar().clearMessage()

    def _show_jobs_panel(self) -> None:
        self.docks["Jobs"].show()
        self.docks["Jobs"].raise_()

    def _update_jobs_button(self, _job: object = None) -> None:
        running = self.jobs.active()
        self.jobs_button.setVisible(bool(running))
        self.jobs_button.setText(f"⚙ {len(running)} job{'s' if len(running) != 1 else ''}")

    def _on_switched(self, workspace: Workspace) -> None:
        """A workspace came to the front: the tool bar belongs to document workspaces, the canvas is fitted."""
        self.toolbox.toolbar.setVisible(workspace.shows_document)
        for label in (self.cursor_label, self.zoom_label):  # the document canvas's: shown only where it is
            label.setVisible(workspace.shows_document)
        for action in getattr(self, "view_actions", ()):
            action.setEnabled(self.navigable() is not None)
        if workspace.shows_document and self.canvas.fitting:
            self.canvas.fit()
        if self.undo_action is not None:  # None while the window is being built
            self._update_undo()

    def _go_to(self, key: str) -> None:
        if key == "export":
            self.files.export_psd()
        elif key in self.workspaces:
            self.tabs.setCurrentWidget(self.workspaces[key])

    def _about(self) -> None:
        QMessageBox.about(self, "See-through Studio", "See-through Studio — single-image layer decomposition of "
                          "anime characters into 2.5D-ready layered PSDs.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.files.open(Path(url.toLocalFile()))
                break

    # --- layout and lifetime ------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        """The last session's window size (never larger than the screen) and workspace, each with its panels."""
        settings = Settings()
        geometry = settings.get(keys.WINDOW_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        fit_to_screen(self)
        self.host.start(settings.get(keys.WORKSPACE))

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved edits, let workspaces object, then stop every job and wait for the workers."""
        if self._stop_timer.isActive():  # already stopping: wait for the workers
            event.ignore()
            return
        if not self._discard_confirmed:
            if not all(workspace.confirm_close() for workspace in self.workspaces.values()):
                event.ignore()
                return
            if not self.files.maybe_save("quit", self.close):
                event.ignore()
                return
            self._discard_confirmed = True
            settings = Settings()
            settings.set(keys.WINDOW_GEOMETRY, self.saveGeometry())
            self.host.save()
            if self.host.active is not None:
                settings.set(keys.WORKSPACE, self.host.active.key)
        if self.jobs.stopping():
            running = ", ".join(job.title for job in self.jobs.active()) or "background work"
            self.statusBar().showMessage(f"stopping… waiting for {running} to finish")
            self.setEnabled(False)
            self._stop_timer.start()
            event.ignore()
            return
        for workspace in self.workspaces.values():
            workspace.shutdown()
        self.autosave.timer.stop()
        self.autosave.discard()
        self.log_panel.detach()
        super().closeEvent(event)

    def _check_stopped(self) -> None:
        if self.jobs.threads_alive():
            return
        self._stop_timer.stop()
        self.jobs.wait(0)  # deliver what the last jobs reported
        self.close()
