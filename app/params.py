"""Widgets set up from declared parameters (core.operations.params): a spin box takes the parameter's limits,
default and help, a combo box its choices. The GUI thus offers exactly what the operation accepts, and the limits
live in one place."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox, QWidget

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


def _describe(widget: QWidget, p: Param) -> None:
    widget.setToolTip(tooltip(p))
    widget.setAccessibleName(p.label)
