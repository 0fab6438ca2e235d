"""The brush's Tool Options: what it paints (mode, target layer, value, colours) and how (size, hardness, opacity,
flow, spacing, smoothing, pressure and its curve). Every number, choice and switch takes its range, default and
tooltip from the `Stroke` operation's declaration (app/params.py), so the panel offers exactly what a stroke in the
operation log accepts; `params(...)` reads them into the stroke's `StrokeParams`."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.curve_editor import PRESETS, CurveEditor
from seethrough.app.params import ParamSlider, bind_check, bind_combo, bind_slider
from seethrough.app.session import DocumentSession
from seethrough.app.tools.colour_chips import ColourChips
from seethrough.core.brush import StrokeParams
from seethrough.core.brush.params import MAX_CURVE_POINTS, Point
from seethrough.core.operations.editing import Stroke
from seethrough.core.operations.params import param_named

#: what the value slider means in the modes that use it
VALUE_LABELS = {"depth": "Depth", "mask": "Mask"}
KEYS_HELP = ("B brush · E eraser · M layer mask · X swap colours · D black/white · [ ] size · Shift+drag size · "
             "Ctrl+click picks a colour · Space+drag pans")


class BrushOptions(QWidget):
    #: the mode changed (its name)
    mode_changed = Signal(str)
    #: the size changed (px)
    size_changed = Signal(float)
    #: "Add mask" was clicked
    add_mask_requested = Signal()

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.mode = QComboBox()
        bind_combo(self.mode, Stroke, "tool")
        self.mode.setCurrentText("paint")
        self.target = QComboBox()
        self.target.setToolTip("move-to-layer: the layer the pixels under the brush join")
        self.target.setAccessibleName("target layer")
        self.value = ParamSlider(decimals=2)
        bind_slider(self.value, Stroke, "value")
        self.value_label = QLabel("Value")
        self.mask_note = QLabel()
        self.mask_note.setWordWrap(True)
        self.add_mask = QPushButton("Add mask")
        self.add_mask.setToolTip("Give the current layer a mask (from the selection, else all white) to paint on")
        self.add_mask.clicked.connect(self.add_mask_requested)
        self.colours = ColourChips()
        self.brush_size = ParamSlider(decimals=1, log=True, suffix=" px")
        bind_slider(self.brush_size, Stroke, "size")
        self.hardness = self._slider("hardness")
        self.opacity = self._slider("opacity")
        self.flow = self._slider("flow")
        self.spacing = ParamSlider(decimals=2, log=True)
        bind_slider(self.spacing, Stroke, "spacing")
        self.smoothing = self._slider("smoothing")
        self.pressure_size = QCheckBox("Size")
        bind_check(self.pressure_size, Stroke, "pressure_size")
        self.pressure_opacity = QCheckBox("Opacity")
        bind_check(self.pressure_opacity, Stroke, "pressure_opacity")
        self.curve = CurveEditor(max_points=MAX_CURVE_POINTS)
        self.curve.set_curve(param_default_curve())
        self.presets = QComboBox()
        self.presets.addItems([name for name, _ in PRESETS])
        self.presets.setToolTip("Pressure curve presets (then drag the points to adjust)")
        self.presets.setAccessibleName("pressure curve preset")
        self.presets.activated.connect(lambda i: self.curve.set_curve(PRESETS[i][1]))
        self.keys = QLabel(KEYS_HELP)
        self.keys.setWordWrap(True)
        self.keys.setEnabled(False)  # a hint, drawn quieter
        self._layout()
        self.mode.currentTextChanged.connect(self._on_mode)
        self.brush_size.valueChanged.connect(self.size_changed)
        session.document_replaced.connect(lambda _d: self.refresh_layers())
        session.layers_changed.connect(self.refresh_layers)
        session.layer_changed.connect(lambda _uid: self._show_mask_state())
        session.current_layer_changed.connect(lambda _uid: self.refresh_layers())
        self.refresh_layers()
        self._on_mode(self.mode.currentText())

    def _slider(self, name: str) -> ParamSlider:
        slider = ParamSlider(decimals=2)
        bind_slider(slider, Stroke, name)
        return slider

    def _layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Mode", self.mode)
        self.target_label = QLabel("Target")
        form.addRow(self.target_label, self.target)
        form.addRow(self.value_label, self.value)
        mask_row = QHBoxLayout()
        mask_row.addWidget(self.mask_note, 1)
        mask_row.addWidget(self.add_mask)
        self.mask_row = QWidget()
        self.mask_row.setLayout(mask_row)
        mask_row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.mask_row)
        form.addRow("Colours", self.colours)
        form.addRow("Size", self.brush_size)
        form.addRow("Hardness", self.hardness)
        form.addRow("Opacity", self.opacity)
        form.addRow("Flow", self.flow)
        form.addRow("Spacing", self.spacing)
        form.addRow("Smoothing", self.smoothing)
        pressure = QHBoxLayout()
        pressure.setContentsMargins(0, 0, 0, 0)
        pressure.addWidget(self.pressure_size)
        pressure.addWidget(self.pressure_opacity)
        pressure.addStretch(1)
        pressure.addWidget(self.presets)
        form.addRow("Pressure", pressure)
        form.addRow(self.curve)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.keys)

    # --- what the panel shows ----------------------------------------------------------------------------------------
    def _on_mode(self, mode: str) -> None:
        moving = mode == "move-to-layer"
        self.target.setVisible(moving)
        self.target_label.setVisible(moving)
        valued = mode in VALUE_LABELS
        self.value.setVisible(valued)
        self.value_label.setVisible(valued)
        self.value_label.setText(VALUE_LABELS.get(mode, "Value"))
        self.colours.setEnabled(mode == "paint")
        self._show_mask_state()
        self.mode_changed.emit(mode)

    def _show_mask_state(self) -> None:
        layer = self.session.current_layer
        has_mask = layer is not None and layer.layer_mask is not None
        self.mask_row.setVisible(self.mode.currentText() == "mask" and not has_mask)
        self.mask_note.setText(f"“{layer.name}” has no mask." if layer is not None else "No layer is selected.")
        self.add_mask.setEnabled(layer is not None and not layer.locked)

    def refresh_layers(self) -> None:
        """The target list: every layer but the current one, top first (the chosen one kept when it is there)."""
        doc, current = self.session.document, self.session.current_uid
        kept = self.target.currentData()
        self.target.blockSignals(True)
        self.target.clear()
        if doc is not None:
            for layer in reversed(doc.layers):
                if layer.uid != current:
                    self.target.addItem(layer.name, layer.uid)
        index = self.target.findData(kept)
        self.target.setCurrentIndex(index if index >= 0 else 0)
        self.target.blockSignals(False)
        self._show_mask_state()

    # --- reading the settings --------------------------------------------------------------------------------------
    def colour_name(self) -> str:
        return self.colours.foreground.name()

    def params(self, layer: str, first: Point) -> StrokeParams:
        """The stroke these settings paint on the layer `layer` (a uid), starting at `first`."""
        mode = self.mode.currentText()
        return StrokeParams(
            layer=layer, tool=mode,  # type: ignore[arg-type]  # the combo holds the declared choices only
            target=self.target.currentData() if mode == "move-to-layer" else None,
            size=self.brush_size.value(), hardness=self.hardness.value(), opacity=self.opacity.value(),
            color=self.colour_name(), value=self.value.value(), points=(first,), flow=self.flow.value(),
            spacing=self.spacing.value(), pressure_size=self.pressure_size.isChecked(),
            pressure_opacity=self.pressure_opacity.isChecked(), pressure_curve=self.curve.curve(),
            smoothing=self.smoothing.value())


def param_default_curve() -> tuple[tuple[float, float], ...]:
    """The curve a stroke has when none is given."""
    curve: tuple[tuple[float, float], ...] = param_named(Stroke, "pressure_curve").default
    return curve
