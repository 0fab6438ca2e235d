"""The transform tool's Tool Options: what is transformed, numeric entry bound to the `transform` operation's
declaration (translate x/y, scale x/y, rotate; the limits and help come from core.operations.editing.Transform),
flips, Apply (Enter) and Cancel (Esc)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.params import bind_spin
from seethrough.app.tools.transform_geometry import PLACES, SCALE_PLACES, Placement
from seethrough.core.operations.editing import Transform


def _spin(name: str, param: str, decimals: int, step: float, suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setObjectName(f"transform-{name}")
    bind_spin(spin, Transform, param, set_default=False)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)  # a typed number counts when it is finished (Enter, focus out), not per digit
    spin.setAccessibleName(f"{param} {name}")
    return spin


class TransformOptions(QWidget):
    """Numeric entry for the pending transform; `edited` carries the placement the user typed."""

    edited = Signal(object)
    flip = Signal(str)
    apply = Signal()
    cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what = QLabel("Nothing to transform")
        self.what.setWordWrap(True)
        self.tx = _spin("x", "translate", PLACES, 1.0, " px")
        self.ty = _spin("y", "translate", PLACES, 1.0, " px")
        self.sx = _spin("sx", "scale", SCALE_PLACES, 0.05)
        self.sy = _spin("sy", "scale", SCALE_PLACES, 0.05)
        self.rotate = _spin("rotate", "rotate", PLACES, 1.0, "°")
        self.flip_h = QPushButton("Flip horizontally")
        self.flip_v = QPushButton("Flip vertically")
        self.apply_button = QPushButton("Apply (Enter)")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.flip_h.clicked.connect(lambda: self.flip.emit("h"))
        self.flip_v.clicked.connect(lambda: self.flip.emit("v"))
        self.apply_button.clicked.connect(self.apply.emit)
        self.cancel_button.clicked.connect(self.cancel.emit)
        for spin in self.spins:
            spin.valueChanged.connect(self._typed)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Move", self._pair(self.tx, self.ty))
        form.addRow("Scale", self._pair(self.sx, self.sy))
        form.addRow("Rotate", self.rotate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.what)
        layout.addLayout(form)
        layout.addLayout(self._row(self.flip_h, self.flip_v))
        layout.addLayout(self._row(self.apply_button, self.cancel_button))
        hint = QLabel("Drag inside the box to move, a handle to scale (Shift keeps the proportions), outside the "
                      "box to rotate (Shift: steps of 15°).")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.set_placement(Placement())
        self.set_target_text(None)

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(a, 1)
        row.addWidget(b, 1)
        return row

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        for widget in widgets:
            row.addWidget(widget, 1)
        return row

    @property
    def spins(self) -> tuple[QDoubleSpinBox, ...]:
        return (self.tx, self.ty, self.sx, self.sy, self.rotate)

    def placement(self) -> Placement:
        return Placement((self.tx.value(), self.ty.value()), (self.sx.value(), self.sy.value()), self.rotate.value())

    def set_placement(self, placement: Placement) -> None:
        """Show `placement` (without telling anyone it was edited)."""
        values = (*placement.translate, *placement.scale, placement.rotate)
        for spin, value in zip(self.spins, values, strict=True):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def set_target_text(self, text: str | None) -> None:
        self.what.setText(text or "Nothing to transform: pick a layer with pixels")
        for widget in (*self.spins, self.flip_h, self.flip_v, self.apply_button, self.cancel_button):
            widget.setEnabled(text is not None)

    def _typed(self) -> None:
        self.edited.emit(self.placement())
