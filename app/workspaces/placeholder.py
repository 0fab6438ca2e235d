"""A workspace that is not built yet: says what it will offer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.base import Workspace


class PlaceholderWorkspace(Workspace):
    def __init__(self, session: DocumentSession, title: str, key: str, text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.title, self.key = title, key
        label = QLabel(text)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
