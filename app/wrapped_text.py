"""A read-only text box for messages that hold paths and commands: selectable (to copy a command), wrapped anywhere
(a long path breaks instead of being cut off at the edge), and as tall as its text up to `max_lines` (then it
scrolls) — the layout gives it the height its text needs, so nothing beside it is overlapped and no line is clipped.
`text()` / `setText()` make it a drop-in for a word-wrapped QLabel; `hide_when_empty` hides it while it says nothing.
"""

from __future__ import annotations

import math
from collections import deque

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QPalette, QResizeEvent, QTextDocument, QTextOption
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QSizePolicy, QWidget


class WrappedText(QPlainTextEdit):
    def __init__(self, text: str = "", max_lines: int = 12, framed: bool = True, hide_when_empty: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_lines = max_lines
        self.hide_when_empty = hide_when_empty
        self._widths: deque[int] = deque(maxlen=2)
        self._pending = False
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setHorizontalScrollBarPolicy(self.horizontalScrollBarPolicy().ScrollBarAlwaysOff)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        if not framed:  # reads like a label: no frame, the window's background
            self.setFrameShape(QFrame.Shape.NoFrame)
            self.viewport().setAutoFillBackground(False)
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
            self.setPalette(palette)
        self.textChanged.connect(self.updateGeometry)
        self.setText(text)

    # --- label-like API --------------------------------------------------------------------------------------------
    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        if text != self.toPlainText():
            self.setPlainText(text)
        if self.hide_when_empty:
            self.setVisible(bool(text))

    # --- size: as tall as the text --------------------------------------------------------------------------------
    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """The height that shows every line at `width` (at most `max_lines` lines; then a scroll bar)."""
        frame = 2 * self.frameWidth()
        doc = QTextDocument()
        doc.setDefaultFont(self.font())
        doc.setDocumentMargin(self.document().documentMargin())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc.setDefaultTextOption(option)
        doc.setPlainText(self.toPlainText() or " ")
        doc.setTextWidth(max(width - frame, 1))
        margin = 2 * self.document().documentMargin()
        cap = self.max_lines * self.fontMetrics().lineSpacing() + margin
        return math.ceil(min(doc.size().height(), cap)) + frame + 1

    def sizeHint(self) -> QSize:
        width = super().sizeHint().width()
        return QSize(width, self.heightForWidth(self.width() if self.isVisible() else width))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        width = event.size().width()
        if width == event.oldSize().width():
            return
        # the lines wrap differently: ask for another height — later, not from inside the layout that resized us
        # (in a scroll area, a new height can show or hide the scroll bar, which changes the width again: asking
        # at once recursed until the stack overflowed), and not when the width only flips back to where it was
        flipping = len(self._widths) == 2 and width == self._widths[0]
        self._widths.append(width)
        if not flipping and not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._ask_for_height)

    def _ask_for_height(self) -> None:
        self._pending = False
        self.updateGeometry()
