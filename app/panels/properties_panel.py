"""Properties of the current layer: name, tag, representative depth, opacity, visibility, lock, box, provenance."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QWidget

from seethrough.app.session import DocumentSession
from seethrough.core.commands import SetLayerProperty
from seethrough.core.taxonomy import taxonomy

NO_TAG = "(none)"


class PropertiesPanel(QWidget):
    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.editingFinished.connect(lambda: self._set("name", self.name.text().strip() or None))
        self.tag = QComboBox()
        self.tag.addItems([NO_TAG, *taxonomy().v3, *(t for t in taxonomy().v2 if t not in taxonomy().v3)])
        self.tag.activated.connect(lambda _i: self._set("tag", None if self.tag.currentText() == NO_TAG
                                                        else self.tag.currentText()))
        self.depth_value = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.01, decimals=3)
        self.depth_value.editingFinished.connect(lambda: self._set("depth_value", self.depth_value.value()))
        self.opacity = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2)
        self.opacity.editingFinished.connect(lambda: self._set("opacity", self.opacity.value()))
        self.visible = QCheckBox("visible")
        self.visible.clicked.connect(lambda on: self._set("visible", on))
        self.locked = QCheckBox("locked")
        self.locked.clicked.connect(lambda on: self._set("locked", on))
        self.box = QLabel()
        self.provenance = QLabel()
        self.provenance.setWordWrap(True)
        for label, widget in (("Name", self.name), ("Tag", self.tag), ("Depth", self.depth_value),
                              ("Opacity", self.opacity), ("", self.visible), ("", self.locked), ("Box", self.box),
                              ("Made by", self.provenance)):
            form.addRow(label, widget)
        session.current_layer_changed.connect(lambda _uid: self.refresh())
        session.layer_changed.connect(lambda uid: self.refresh() if uid == session.current_uid else None)
        session.document_replaced.connect(lambda _doc: self.refresh())
        self.refresh()

    def _set(self, prop: str, value: object) -> None:
        layer = self.session.current_layer
        if layer is None or value is None and prop == "name" or getattr(layer, prop) == value:
            return
        self.session.try_push(lambda: SetLayerProperty(layer.uid, prop, value), self)

    def refresh(self) -> None:
        layer = self.session.current_layer
        self.setEnabled(layer is not None)
        if layer is None:
            return
        self.name.setText(layer.name)
        self.tag.setCurrentText(layer.tag or NO_TAG)
        self.depth_value.setValue(layer.depth_value)
        self.opacity.setValue(layer.opacity)
        self.visible.setChecked(layer.visible)
        self.locked.setChecked(layer.locked)
        for editor in (self.name, self.tag, self.depth_value, self.opacity):  # what a lock protects
            editor.setEnabled(not layer.locked)
        x0, y0, x1, y1 = layer.bbox
        self.box.setText(f"{x0}, {y0} – {x1}, {y1}  ({x1 - x0}×{y1 - y0})")
        self.provenance.setText(layer.provenance or "—")
