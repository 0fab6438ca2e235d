"""How the main window hosts its workspaces, as Krita and Blender do: one centre, panels docked around it, and a
saved layout per workspace.

- The workspace bar (a tab bar at the top) switches workspaces.
- The centre is a stack: the one document canvas (for every workspace that `shows_document`) and the centre of each
  other workspace (the Live2D view, the 2.5D preview, the training curves).
- Panels are dock widgets: the window's own (Layers, Properties, Tool Options, Checks, Jobs, Log) and each
  workspace's (`Workspace.panels()`). A workspace shows its panels and the shared ones it names; every panel can be
  moved, floated, closed and restored (View ▸ Panels), and the arrangement is remembered per workspace
  (Window ▸ Reset Layout goes back to the default).
- Panels sit in scroll areas, so no panel's minimum size can push the window past the screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QStackedWidget, QTabBar, QWidget

from seethrough.app import settings as keys
from seethrough.app.settings import Settings
from seethrough.app.workspaces.base import Panel, Workspace

#: QMainWindow.saveState's version: raise it when the docks change so an old layout is not applied to new docks
LAYOUT_VERSION = 2
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
#: what a docked panel adds above and below its content: the title bar, and the tab bar of a tabbed group
TITLE_BAR, TAB_BAR = 26, 28


def dock_name(title: str) -> str:
    return "dock-" + "-".join(title.lower().split())


class WorkspaceBar(QTabBar):
    """The workspace switcher; answers in workspaces what a QTabWidget answers in pages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspaces: list[Workspace] = []
        self.setDocumentMode(True)
        self.setExpanding(False)
        self.setDrawBase(False)

    def add(self, workspace: Workspace) -> None:
        self._workspaces.append(workspace)
        self.addTab(workspace.title)

    def widget(self, index: int) -> Workspace | None:
        return self._workspaces[index] if 0 <= index < len(self._workspaces) else None

    def currentWidget(self) -> Workspace | None:
        return self.widget(self.currentIndex())

    def setCurrentWidget(self, workspace: Workspace) -> None:
        self.setCurrentIndex(self._workspaces.index(workspace))


class PageStack(QStackedWidget):
    """A stack whose size needs are those of the page shown (QStackedWidget takes the largest of all pages: one
    workspace's wide tool row would squeeze every other workspace's panels)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()


def scrollable(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area that lets the dock shrink below the widget's minimum size."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class WorkspaceHost(QObject):
    """Owns the centre stack and the docks of a main window, and switches them with the workspace."""

    #: the active workspace changed (the new one)
    switched = Signal(object)

    def __init__(self, window: QMainWindow, canvas: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        self.bar = WorkspaceBar()
        self.stack = PageStack()
        self.stack.addWidget(canvas)
        self.workspaces: dict[str, Workspace] = {}
        self.docks: dict[str, QDockWidget] = {}
        self._owner: dict[str, str] = {}  # dock title → workspace key ("" for the window's own)
        self._defaults: dict[str, Panel] = {}
        self._layouts: dict[str, QByteArray] = {}
        self.active: Workspace | None = None
        self.bar.currentChanged.connect(self._on_switch)

    # --- building --------------------------------------------------------------------------------------------
    def add_shared(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, group: str = "",
                   extent: int = 340) -> QDockWidget:
        return self._dock(Panel(title, widget, area, group=group, extent=extent), owner="")

    def add_workspace(self, workspace: Workspace) -> None:
        self.workspaces[workspace.key] = workspace
        if not workspace.shows_document:
            self.stack.addWidget(workspace.central())
        for panel in workspace.panels():
            self._dock(panel, owner=workspace.key)
        self.bar.blockSignals(True)  # the first switch happens in `start`, once every workspace is in
        self.bar.add(workspace)
        self.bar.blockSignals(False)

    def _dock(self, panel: Panel, owner: str) -> QDockWidget:
        dock = QDockWidget(panel.title, self.window)
        dock.setObjectName(dock_name(panel.title))
        dock.setWidget(scrollable(panel.widget))
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.window.addDockWidget(panel.area, dock)
        dock.hide()
        self.docks[panel.title] = dock
        self._owner[panel.title] = owner
        self._defaults[panel.title] = panel
        return dock

    def start(self, key: str) -> None:
        """Read the saved layouts and show the workspace `key` (or the first)."""
        settings = Settings()
        for workspace_key in self.workspaces:
            state = settings.get(keys.layout_key(workspace_key))
            if not state.isEmpty():
                self._layouts[workspace_key] = state
        workspace = self.workspaces.get(key) or next(iter(self.workspaces.values()))
        if self.bar.currentWidget() is workspace:
            self._on_switch(self.bar.currentIndex())
        else:
            self.bar.setCurrentWidget(workspace)

    # --- switching -------------------------------------------------------------------------------------------
    def panels_of(self, workspace: Workspace) -> list[str]:
        """The titles of the docks a workspace shows (its own, then the shared ones it names)."""
        own = [title for title, owner in self._owner.items() if owner == workspace.key]
        return own + [title for title in workspace.shared_panels if title in self.docks]

    def _on_switch(self, index: int) -> None:
        workspace = self.bar.widget(index)
        if workspace is None:
            return
        if self.active is not None:
            self._layouts[self.active.key] = self.window.saveState(LAYOUT_VERSION)
            self.active.deactivated()
        self.active = workspace
        self.stack.setCurrentWidget(self.canvas if workspace.shows_document else workspace.central())
        saved = self._layouts.get(workspace.key)
        if saved is None or not self.window.restoreState(saved, LAYOUT_VERSION):
            self.apply_default_layout(workspace)
        for title, dock in self.docks.items():  # a layout never shows another workspace's panels
            if title not in self.panels_of(workspace):
                dock.hide()
        workspace.activated()
        self.switched.emit(workspace)

    def apply_default_layout(self, workspace: Workspace) -> None:
        """The workspace's panels in their areas, each group's panels tabbed together with the workspace's own panel
        in front; the bottom strip low, the side columns narrow, the canvas taking the rest."""
        shown = self.panels_of(workspace)
        own = {title for title, owner in self._owner.items() if owner == workspace.key}
        groups: dict[tuple[Qt.DockWidgetArea, str], list[QDockWidget]] = {}
        for dock in self.docks.values():  # out of every tab group first: re-tabbing adds tabs, it never regroups
            self.window.removeDockWidget(dock)
        for title, dock in self.docks.items():
            panel = self._defaults[title]
            if title not in shown or not (panel.shown or title not in own):
                dock.hide()
                continue
            dock.setFloating(False)
            self.window.addDockWidget(panel.area, dock)
            dock.show()
            groups.setdefault((panel.area, panel.group or title), []).append(dock)
        for (_area, _group), docks in groups.items():
            docks.sort(key=lambda d: d.windowTitle() not in own)  # the workspace's own panel first
            for dock in docks[1:]:
                self.window.tabifyDockWidget(docks[0], dock)
            docks[0].raise_()
        sizes = []
        for (area, _group), docks in groups.items():
            extent = max(self._defaults[d.windowTitle()].extent for d in docks)
            vertical = area in (BOTTOM, Qt.DockWidgetArea.TopDockWidgetArea)
            sizes.append((docks[0], extent, Qt.Orientation.Vertical if vertical else Qt.Orientation.Horizontal))
            height = max(self._defaults[d.windowTitle()].height for d in docks)
            if height and not vertical:  # a side panel asking for its height (title bar and tab bar included)
                chrome = TITLE_BAR + (TAB_BAR if len(docks) > 1 else 0)
                sizes.append((docks[0], height + chrome, Qt.Orientation.Vertical))
        # sizes take once the window has laid the docks out (a window being built has no size to share yet)
        QTimer.singleShot(0, lambda: self._resize_docks(sizes))

    def _resize_docks(self, sizes: list[tuple[QDockWidget, int, Qt.Orientation]]) -> None:
        layout = self.window.layout()
        if layout is not None:
            layout.activate()  # the new centre's size needs first
        # one call per orientation: a later call for one dock would undo an earlier one's share of the same column
        for orientation in (Qt.Orientation.Horizontal, Qt.Orientation.Vertical):
            shown = [(dock, extent) for dock, extent, o in sizes if o == orientation and dock.isVisible()]
            if shown:
                self.window.resizeDocks([d for d, _ in shown], [e for _, e in shown], orientation)

    def reset_layout(self) -> None:
        if self.active is not None:
            self._layouts.pop(self.active.key, None)
            self.apply_default_layout(self.active)

    def save(self) -> None:
        """Remember every workspace's layout (the active one as it is now)."""
        if self.active is not None:
            self._layouts[self.active.key] = self.window.saveState(LAYOUT_VERSION)
        settings = Settings()
        for key, state in self._layouts.items():
            settings.set(keys.layout_key(key), state)

    def panel_actions(self, add: Callable[[QDockWidget], object]) -> None:
        """Call `add` with each dock the active workspace shows (to list their show/hide actions)."""
        if self.active is not None:
            for title in self.panels_of(self.active):
                add(self.docks[title])
