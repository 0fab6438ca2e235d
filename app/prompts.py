"""The questions the app asks before it could lose work: "Save changes?" and "Recover the autosaved version?".

Each is a small class with one `ask` class method, so tests drive them by patching `ask` (and the app never needs
to know how the question is shown).
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtWidgets import QMessageBox, QWidget


class SaveAnswer(StrEnum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class SaveChangesPrompt:
    """Save / Discard / Cancel before the open document is closed or replaced."""

    @classmethod
    def ask(cls, parent: QWidget | None, name: str, action: str) -> SaveAnswer:
        box = QMessageBox(QMessageBox.Icon.Warning, "Save changes?",
                          f"“{name}” has unsaved changes. Save them before you {action}?", parent=parent)
        box.setObjectName("saveChangesBox")
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        clicked = box.exec()
        if clicked == QMessageBox.StandardButton.Save:
            return SaveAnswer.SAVE
        if clicked == QMessageBox.StandardButton.Discard:
            return SaveAnswer.DISCARD
        return SaveAnswer.CANCEL


class RecoverPrompt:
    """Offered at start when an autosave survived a crash: recover it (True) or throw it away (False)."""

    @classmethod
    def ask(cls, parent: QWidget | None, name: str, when: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                          f"See-through Studio did not close normally. An autosaved version of “{name}” from "
                          f"{when} is available.\n\nRecover the autosaved version?", parent=parent)
        box.setObjectName("recoverBox")
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.exec()
        return box.clickedButton() is recover
