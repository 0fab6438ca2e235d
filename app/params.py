"""Widgets set up from declared parameters (core.operations.params): a spin box takes the parameter's limits,
default and help, a combo box its choices. The GUI thus offers exactly what the operation accepts, and the limits
live in one place."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QSlider, QSpinBox, QWidget

from seethrough.core.operations.params import Param, param_named

#: QSpinBox holds a C int
INT_MAX = 2**31 - 1


def tooltip(p: Param) -> str:
    limits = p.range_text()
    return f"{p.spec.help}{f' ({limits})' if limits else ''}"


def bind_spin(spin: QSpinBox | QDoubleSpinBox, cls: type, name: str, set_default: bool = True) -> Param:
    """Give `spin` the range, step, default and tooltip of `cls`'s parameter `name`."""
    p = param_named(cls, name)
    lo = p.spec.lo if p.spec.lo is not None else -INT_MAX
    hi = p.spec.hi if p.spec.hi is not None else INT_MAX
    if isinstance(spin, QSpinBox):
        spin.setRange(int(max(lo, -INT_MAX)), int(min(hi, INT_MAX)))
        if p.spec.multiple_of:
            spin.setSingleStep(p.spec.multiple_of)
    else:
        spin.setRange(float(lo), float(hi))
    if set_default and not p.required and p.default is not None:
        spin.setValue(p.default)
    _describe(spin, p)
    return p


def bind_combo(combo: QComboBox, cls: type, name: str, set_default: bool = True) -> Param:
    """Fill `combo` with the choices of `cls`'s parameter `name` (their text is the value) and select the default."""
    p = param_named(cls, name)
    choices = p.choices or ()
    combo.clear()
    combo.addItems([str(c) for c in choices])
    if set_default and not p.required and p.default is not None:
        combo.setCurrentText(str(p.default))
    _describe(combo, p)
    return p


def bind_check(box: QCheckBox, cls: type, name: str, set_default: bool = True) -> Param:
    """Give the check box `box` the default and tooltip of `cls`'s true/false parameter `name`."""
    p = param_named(cls, name)
    if set_default and not p.required and p.default is not None:
        box.setChecked(bool(p.default))
    _describe(box, p)
    return p


class ParamSlider(QWidget):
    """A slider and a spin box showing one number: drag for a quick change, type for an exact one. `log` makes the
    slider logarithmic (a brush size from 1 to 1000 px)."""

    valueChanged = Signal(float)

    #: the slider's steps
    STEPS = 1000

    def __init__(self, decimals: int = 2, log: bool = False, suffix: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.STEPS)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(decimals)
        self.spin.setSuffix(suffix)
        self.spin.setKeyboardTracking(False)
        self.spin.setFixedWidth(84)  # the same for every slider of a panel, so their sliders line up
        self.spin.setSingleStep(1.0 if decimals == 0 else 10.0 ** -min(decimals, 2))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    def value(self) -> float:
        return float(self.spin.value())

    def setValue(self, value: float) -> None:
        self.spin.setValue(value)

    def minimum(self) -> float:
        return float(self.spin.minimum())

    def maximum(self) -> float:
        return float(self.spin.maximum())

    def _position(self, value: float) -> int:
        lo, hi = self.minimum(), self.maximum()
        if hi <= lo:
            return 0
        if self.log and lo > 0:
            share = math.log(value / lo) / math.log(hi / lo)
        else:
            share = (value - lo) / (hi - lo)
        return round(max(0.0, min(1.0, share)) * self.STEPS)

    def _from_slider(self, position: int) -> None:
        if position == self._position(self.value()):
            return  # the spin box set the slider; rounding must not change its value back
        lo, hi = self.minimum(), self.maximum()
        share = position / self.STEPS
        self.spin.setValue(lo * (hi / lo) ** share if self.log and lo > 0 else lo + (hi - lo) * share)

    def _from_spin(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self._position(value))
        self.slider.blockSignals(False)
        self.valueChanged.emit(float(value))


def bind_slider(widget: ParamSlider, cls: type, name: str, set_default: bool = True) -> Param:
    """`bind_spin` for a `ParamSlider`: its range, default and tooltip from `cls`'s parameter `name`."""
    p = bind_spin(widget.spin, cls, name, set_default)
    widget._from_spin(widget.value())  # the slider follows the range and the default
    _describe(widget.slider, p)
    widget.setToolTip(tooltip(p))
    return p


def _describe(widget: QWidget, p: Param) -> None:
    widget.setToolTip(tooltip(p))
    widget.setAccessibleName(p.label)
