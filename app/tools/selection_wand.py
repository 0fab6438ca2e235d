"""The magic wand: a click selects the pixels whose colour is within the tolerance of the clicked one
(core/selection/shapes.py: premultiplied RGBA, every channel within `tolerance`), only those connected to it when
contiguous. It samples the current layer as drawn, or the composite of the visible layers. The wand is planned in
a job: sampling the composite takes a moment on a large document."""

from __future__ import annotations

import math
from typing import ClassVar

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QSpinBox

from seethrough.app.canvas import CanvasView
from seethrough.app.params import bind_spin, tooltip
from seethrough.app.tools.selection import SelectionTool, mode_of
from seethrough.core.operations.editing import Select
from seethrough.core.operations.params import param_named

#: what the wand samples: (label, key)
SOURCES = (("Current layer", "layer"), ("Composite", "composite"))


class WandTool(SelectionTool):
    key: ClassVar[str] = "select-wand"
    title: ClassVar[str] = "Magic Wand"
    icon: ClassVar[str] = "wand"
    tip: ClassVar[str] = "Click a colour to select the pixels like it."

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.tolerance = QSpinBox()
        self.tolerance.setObjectName("wand-tolerance")
        bind_spin(self.tolerance, Select, "tolerance")
        self.contiguous = QCheckBox("Contiguous")
        self.contiguous.setObjectName("wand-contiguous")
        contiguous = param_named(Select, "contiguous")
        self.contiguous.setChecked(bool(contiguous.default))
        self.contiguous.setToolTip(tooltip(contiguous))
        self.source = QComboBox()
        self.source.setObjectName("wand-source")
        for label, key in SOURCES:
            self.source.addItem(label, key)
        self.source.setToolTip("Sample the current layer as drawn, or the composite of the visible layers")

    def add_options(self, form: QFormLayout) -> None:
        form.addRow("Tolerance", self.tolerance)
        form.addRow("Sample", self.source)
        form.addRow("", self.contiguous)

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        doc = self.canvas.session.document
        if doc is None:
            return False
        x, y = math.floor(pos.x()), math.floor(pos.y())
        if not (0 <= x < doc.width and 0 <= y < doc.height):
            return False
        layer = self.current_ref() if self.source.currentData() == "layer" else None
        if self.source.currentData() == "layer" and layer is None:
            return False
        self.run(background=True, shape="wand", mode=mode_of(modifiers, self.mode), at=(float(x), float(y)),
                 tolerance=self.tolerance.value(), contiguous=self.contiguous.isChecked(), layer=layer)
        return False
