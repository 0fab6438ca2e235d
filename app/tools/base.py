"""The contract of a canvas tool.

The canvas (app/canvas.py) hands pointer input to the active tool in canvas (document pixel) coordinates, with the
pen's pressure (1.0 for a mouse). A tool shows its options in the Tool Options panel (`options()`), draws its
feedback as scene items it owns, and changes the document only through operations (core.operations), so every
edit is one undo step and part of the operation log. Panning stays with the canvas: the middle button, or Space
held with any tool, as in Krita.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QCursor, QKeyEvent
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from seethrough.app.canvas import CanvasView


class Tool(QObject):
    """One canvas tool. Subclasses set the class attributes and override the handlers they need."""

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""
    icon: ClassVar[str] = ""  # a name of resources/icons
    shortcut: ClassVar[str] = ""
    tip: ClassVar[str] = ""

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self._options: QWidget | None = None

    def options(self) -> QWidget:
        """The tool's settings for the Tool Options panel (built once)."""
        if self._options is None:
            self._options = self.build_options()
        return self._options

    def build_options(self) -> QWidget:
        from PySide6.QtWidgets import QLabel

        label = QLabel(self.tip or self.title)
        label.setWordWrap(True)
        return label

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.ArrowCursor)

    def activate(self) -> None:
        """The tool became the active one."""

    def deactivate(self) -> None:
        """Another tool became the active one: drop any feedback items and unfinished work."""

    # --- input, in canvas pixels ----------------------------------------------------------------------------------
    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        """The primary button (or the pen) went down; True when the tool takes the drag."""
        return False

    def move(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> None:
        """The pointer moved while the tool holds a drag."""

    def hover(self, pos: QPointF) -> None:
        """The pointer moved with no button down (brush outlines follow it)."""

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        """The drag ended."""

    def leave(self) -> None:
        """The pointer left the canvas (hide what follows it)."""

    def key_press(self, event: QKeyEvent) -> bool:
        """A key while the canvas has the focus (Enter, Esc, …); True when the tool used it."""
        return False
