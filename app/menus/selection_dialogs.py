"""The small dialogs of the Select and Edit menus: a radius in pixels (Grow, Shrink, Feather: limits from the
`select` operation's declaration) and the layer the selected pixels move to (an existing one, or a new one)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.params import bind_spin
from seethrough.core.operations.editing import Select


class RadiusDialog(QDialog):
    """Grow / Shrink / Feather selection by a number of pixels."""

    def __init__(self, action: str, px: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = action
        self.setWindowTitle(f"{action.capitalize()} Selection")
        self.spin = QSpinBox()
        self.spin.setObjectName("selection-radius")
        bind_spin(self.spin, Select, "px", set_default=False)
        self.spin.setMinimum(max(1, self.spin.minimum()))  # 0 would change nothing: the operation refuses it
        self.spin.setSuffix(" px")
        self.spin.setValue(px)
        verb = {"grow": "Grow by", "shrink": "Shrink by", "feather": "Feather radius"}[action]
        form = QFormLayout()
        form.addRow(verb, self.spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @property
    def px(self) -> int:
        return self.spin.value()


class MoveToLayerDialog(QDialog):
    """Where the selected pixels of `source` go: one of `layers` ((name, how operations name it), top first), or a
    new layer of a name."""

    def __init__(self, source: str, layers: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move Selection to Layer")
        self.existing_names = [name for name, _ref in layers]
        self.existing = QRadioButton("Existing layer")
        self.new = QRadioButton("New layer")
        group = QButtonGroup(self)
        group.addButton(self.existing)
        group.addButton(self.new)
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("move-target")
        for name, ref in layers:
            self.layer_box.addItem(name, ref)
        self.name_edit = QLineEdit(f"{source} part")
        self.name_edit.setObjectName("move-new-name")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d9534f")
        (self.existing if self.existing_names else self.new).setChecked(True)
        self.existing.setEnabled(bool(self.existing_names))
        self.layer_box.setEnabled(bool(self.existing_names))
        self.layer_box.activated.connect(lambda _i: self.existing.setChecked(True))
        self.name_edit.textEdited.connect(lambda _t: self.new.setChecked(True))
        form = QFormLayout()
        form.addRow(self.existing, self.layer_box)
        form.addRow(self.new, self.name_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Move the selected pixels of “{source}” to:"))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    @property
    def target(self) -> str:
        """The chosen layer (as operations name it), or the new layer's name."""
        return str(self.layer_box.currentData()) if self.existing.isChecked() else self.name_edit.text().strip()

    def problem(self) -> str | None:
        """Why the choice cannot be taken (a new layer needs a name no layer has), or None."""
        if self.existing.isChecked():
            return None
        name = self.name_edit.text().strip()
        if not name:
            return "Give the new layer a name."
        if name in self.existing_names:
            return f"A layer named “{name}” exists: choose it as the existing layer, or another name."
        return None

    def _accept_if_valid(self) -> None:
        problem = self.problem()
        self.message.setText(problem or "")
        if problem is None:
            self.accept()
