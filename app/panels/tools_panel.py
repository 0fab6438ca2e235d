"""The Tools panel: how the canvas shows the document (composite mode, depth view, current-layer outline)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QWidget

from seethrough.app.canvas import CanvasView

MODES = {"Layer order": "stack", "By depth (far → near)": "depth", "Per-pixel depth (z-buffer)": "zbuffer"}


class ToolsPanel(QWidget):
    def __init__(self, canvas: CanvasView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        form = QFormLayout(self)
        self.mode = QComboBox()
        self.mode.addItems(list(MODES))
        self.mode.currentTextChanged.connect(lambda text: canvas.set_mode(MODES[text]))
        self.show_depth = QCheckBox("Show pseudo-depth (near = white)")
        self.show_depth.toggled.connect(canvas.set_show_depth)
        self.outline = QCheckBox("Outline the current layer")
        self.outline.setChecked(True)
        self.outline.toggled.connect(self._set_outline)
        form.addRow("Composite", self.mode)
        form.addRow(self.show_depth)
        form.addRow(self.outline)

    def _set_outline(self, on: bool) -> None:
        self.canvas.outline_current = on
        self.canvas.schedule_render()
