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
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QWidget,
)

from seethrough.app import settings as keys
from seethrough.app.autosave import Autosave
from seethrough.app.file_actions import FileActions
from seethrough.app.jobs import JobManager
from seethrough.app.panels.checks_panel import ChecksPanel
from seethrough.app.panels.jobs_panel import JobsPanel
from seethrough.app.panels.layers_panel import LayersPanel
from seethrough.app.panels.log_panel import LogPanel
from seethrough.app.panels.properties_panel import PropertiesPanel
from seethrough.app.panels.tools_panel import ToolsPanel
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings
from seethrough.app.workspaces.base import UndoProvider, Workspace
from seethrough.app.workspaces.registry import WORKSPACES

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("See-through Studio")
        self.resize(1440, 900)
        self.setAcceptDrops(True)
        self.undo_action: QAction | None = None
        self.session = DocumentSession(self)
        self.jobs = JobManager(self, error_parent=self)
        self.files = FileActions(self.session, self.jobs, self)
        self.autosave = Autosave(self.session, self.jobs, self)
        self.files.saved.connect(lambda _p: self.autosave.discard())
        self._discard_confirmed = False  # the user chose Discard (or saved) for this close
        self._stop_timer = QTimer(self, interval=50)
        self._stop_timer.timeout.connect(self._check_stopped)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.workspaces: dict[str, Workspace] = {}
        for key, factory in WORKSPACES:
            workspace = factory(self.session)
            self.workspaces[key] = workspace
            self.tabs.addTab(workspace, workspace.title)
        self.setCentralWidget(self.tabs)
        self._active: Workspace | None = None
        self.tabs.currentChanged.connect(self._on_tab)
        stratify = self.workspaces["stratify"]
        for workspace in self.workspaces.values():  # one job system for the whole app
            workspace.attach_jobs(self.jobs)
        self.canvas = stratify.canvas  # type: ignore[attr-defined]
        self.docks: dict[str, QDockWidget] = {}
        self.layers_panel = LayersPanel(self.session, jobs=self.jobs)
        self.properties_panel = PropertiesPanel(self.session)
        self.tools_panel = ToolsPanel(self.canvas)
        self.log_panel = LogPanel()
        self.jobs_panel = JobsPanel(self.jobs)
        self.checks_panel = ChecksPanel(self.session, self.jobs, self.canvas)
        self._dock("Layers", self.layers_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Properties", self.properties_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Tools", self.tools_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Log", self.log_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Checks", self.checks_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["Log"], self.docks["Jobs"])
        self.tabifyDockWidget(self.docks["Log"], self.docks["Checks"])
        self.docks["Log"].raise_()
        self.resizeDocks([self.docks["Log"]], [110], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Tools"], self.docks["Layers"]], [220, 300], Qt.Orientation.Horizontal)
        self._build_status_bar()
        self._build_menus()
        self.session.go_to.connect(self._go_to)
        self.session.document_replaced.connect(lambda _d: self._update_title())
        self.session.history_changed.connect(self._update_title)
        self.tabs.setCurrentWidget(stratify)
        self._restore_layout()

    # --- construction ---------------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.size_label = QLabel("")
        self.zoom_label = QLabel("")
        self.cursor_label = QLabel("")
        self.progress = QProgressBar(minimum=0, maximum=1000, maximumWidth=220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel", visible=False)
        self.cancel_button.clicked.connect(lambda: self.jobs.cancel())
        self.jobs_button = QPushButton("", flat=True, visible=False)
        self.jobs_button.setToolTip("Jobs running in the background: show the Jobs panel")
        self.jobs_button.clicked.connect(lambda: (self.docks["Jobs"].show(), self.docks["Jobs"].raise_()))
        self.jobs.job_changed.connect(self._update_jobs_button)
        for widget in (self.cursor_label, self.zoom_label, self.size_label):
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.jobs_button)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self.canvas.cursor_moved.connect(lambda x, y: self.cursor_label.setText(f"{x}, {y}"))
        self.jobs.started.connect(self._job_started)
        self.jobs.progress.connect(lambda f, m: (self.progress.setValue(int(f * 1000)), bar.showMessage(m)))
        self.jobs.done.connect(self._job_done)

    def _action(self, menu, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:  # noqa: ANN001
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
        m.addSeparator()
        self._action(m, "Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("&Edit")
        self.undo_action = self._action(e, "Undo", self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(e, "Redo", self.redo, "Ctrl+Shift+Z")
        self.session.history_changed.connect(self._update_undo)
        for workspace in self.workspaces.values():
            workspace.history_changed.connect(self._update_undo)
        self._update_undo()
        v = self.menuBar().addMenu("&View")
        self._action(v, "Fit", self.canvas.fit, "F")
        self._action(v, "Actual Size (1:1)", self.canvas.actual_size, "Ctrl+1")
        self._action(v, "Zoom In", self.canvas.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._action(v, "Zoom Out", self.canvas.zoom_out, QKeySequence.StandardKey.ZoomOut)
        self.region_action = self._action(v, "Select Region", self.canvas.set_region_mode, "R")
        self.region_action.setCheckable(True)
        self.region_action.setToolTip("Drag on the canvas to select a region (for Re-decompose region)")
        self._action(v, "Clear Region", lambda: self.session.set_region(None), "Shift+R")
        v.addSeparator()
        for dock in self.docks.values():
            v.addAction(dock.toggleViewAction())
        w = self.menuBar().addMenu("&Workspace")
        for i, workspace in enumerate(self.workspaces.values()):
            self._action(w, workspace.title, lambda _=False, ws=workspace: self.tabs.setCurrentWidget(ws),
                         f"Alt+{i + 1}")
        h = self.menuBar().addMenu("&Help")
        self._action(h, "About", self._about)

    # --- behaviour ------------------------------------------------------------------------------------------------
    def _undo_provider(self) -> UndoProvider | None:
        """The active workspace's own undo history (Annotate's label edits), or None for the document's."""
        return self._active.undo_provider() if self._active is not None else None

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
        self.tabs.setCurrentWidget(self.workspaces["annotate"])
        self.workspaces["annotate"].open_review_list(path)  # type: ignore[attr-defined]

    def _next_in_review_list(self) -> None:
        self.tabs.setCurrentWidget(self.workspaces["annotate"])
        self.workspaces["annotate"].open_review_list()  # type: ignore[attr-defined]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.files.recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open(Path(p)))
        self.recent_menu.setEnabled(bool(self.files.recent()))

    def _update_undo(self) -> None:
        provider = self._undo_provider()
        if provider is not None:  # Annotate: the actions drive its label history
            for action, text in ((self.undo_action, f"Undo {provider.what}"),
                                 (self.redo_action, f"Redo {provider.what}")):
                action.setEnabled(True)
                action.setText(text)
            return
        history = self.session.document.history if self.session.document else None
        self.undo_action.setEnabled(bool(history and history.can_undo))
        self.redo_action.setEnabled(bool(history and history.can_redo))
        self.undo_action.setText(f"Undo {history.undo_text}" if history and history.can_undo else "Undo")
        self.redo_action.setText(f"Redo {history.redo_text}" if history and history.can_redo else "Redo")

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

    def _job_done(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.statusBar().clearMessage()

    def _update_jobs_button(self, _job: object = None) -> None:
        running = self.jobs.active()
        self.jobs_button.setVisible(bool(running))
        self.jobs_button.setText(f"⚙ {len(running)} job{'s' if len(running) != 1 else ''}")

    def _on_tab(self, index: int) -> None:
        if self._active is not None:
            self._active.deactivated()
        self._active = self.tabs.widget(index)  # type: ignore[assignment]
        if self._active is not None:
            self._active.activated()
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

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.files.open(Path(url.toLocalFile()))
                break

    # --- layout and lifetime ------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = Settings()
        geometry, state = settings.get(keys.WINDOW_GEOMETRY), settings.get(keys.WINDOW_STATE)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if not state.isEmpty():
            self.restoreState(state)
        workspace = self.workspaces.get(settings.get(keys.WORKSPACE))
        if workspace is not None:
            self.tabs.setCurrentWidget(workspace)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
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
            settings.set(keys.WINDOW_STATE, self.saveState())
            active = self.tabs.currentWidget()
            if isinstance(active, Workspace):
                settings.set(keys.WORKSPACE, active.key)
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
