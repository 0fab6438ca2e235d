"""The tool box: every canvas tool, the tool bar that picks one (icons, Krita's shortcuts) and the Tool Options
panel that shows the active tool's settings."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from seethrough.app.canvas import CanvasView
from seethrough.app.icons import icon
from seethrough.app.tools.base import Tool


class ToolOptionsPanel(QWidget):
    """The Tool Options panel: the active tool's name and its settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.stack)
        layout.addStretch(1)

    def show_tool(self, tool: Tool) -> None:
        widget = tool.options()
        if self.stack.indexOf(widget) < 0:
            self.stack.addWidget(widget)
        self.stack.setCurrentWidget(widget)
        self.title.setText(tool.title)


class Toolbox(QObject):
    """Owns the tools of one canvas; exactly one is active."""

    tool_changed = Signal(object)

    def __init__(self, canvas: CanvasView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.tools: dict[str, Tool] = {}
        self.actions: dict[str, QAction] = {}
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.toolbar = QToolBar("Tools")
        self.toolbar.setObjectName("toolbar-tools")
        self.toolbar.setOrientation(Qt.Orientation.Vertical)
        self.toolbar.setIconSize(QSize(22, 22))
        self.toolbar.setMovable(True)
        self.options_panel = ToolOptionsPanel()
        self.active: Tool | None = None

    def add(self, tool: Tool) -> Tool:
        self.tools[tool.key] = tool
        action = QAction(icon(tool.icon), tool.title, self)
        action.setCheckable(True)
        action.setObjectName(f"tool-{tool.key}")
        tip = f"{tool.title} ({tool.shortcut})" if tool.shortcut else tool.title
        action.setToolTip(f"<b>{tip}</b><br>{tool.tip}" if tool.tip else tip)
        if tool.shortcut:
            action.setShortcut(QKeySequence(tool.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False, key=tool.key: self.activate(key))
        self.group.addAction(action)
        self.toolbar.addAction(action)
        self.actions[tool.key] = action
        return tool

    def refresh_icons(self) -> None:
        """Draw the tools' icons in the current theme's colours."""
        for key, action in self.actions.items():
            action.setIcon(icon(self.tools[key].icon))

    def activate(self, key: str) -> Tool:
        tool = self.tools[key]
        if tool is not self.active:
            if self.active is not None:
                self.active.deactivate()
            self.active = tool
            self.canvas.set_tool(tool)
            tool.activate()
            self.options_panel.show_tool(tool)
            self.actions[key].setChecked(True)
            self.tool_changed.emit(tool)
        return tool
