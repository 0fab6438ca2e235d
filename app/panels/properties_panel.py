"""Properties of the current layer: name, tag, representative depth, opacity, visibility, lock, box, provenance."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QWidget

from seethrough.app.errors import show_error
from seethrough.app.operations import run_operation
from seethrough.app.params import bind_spin
from seethrough.app.session import DocumentSession
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import Operation, layer_ref
from seethrough.core.operations.layer_edits import Rename, SetDepth, SetLocked, SetOpacity, SetTag, SetVisible
from seethrough.core.taxonomy import taxonomy

#: the operation that sets each property, and its value's parameter
SETTERS: dict[str, tuple[type[Operation], str]] = {
    "name": (Rename, "name"), "tag": (SetTag, "tag"), "depth_value": (SetDepth, "value"),
    "opacity": (SetOpacity, "value"), "visible": (SetVisible, "visible"), "locked": (SetLocked, "locked"),
}

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
        self.depth_value = QDoubleSpinBox()
        self.depth_value.setSingleStep(0.01)
        self.depth_value.setDecimals(3)
        bind_spin(self.depth_value, SetDepth, "value")
        self.depth_value.editingFinished.connect(lambda: self._set("depth_value", self.depth_value.value()))
        self.opacity = QDoubleSpinBox()
        self.opacity.setSingleStep(0.05)
        self.opacity.setDecimals(2)
        bind_spin(self.opacity, SetOpacity, "value")
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
        layer, doc = self.session.current_layer, self.session.document
        if layer is None or doc is None or value is None and prop == "name" or getattr(layer, prop) == value:
            return
        cls, field = SETTERS[prop]
        try:
            op = cls(layer=layer_ref(doc, layer.uid), **{field: value})  # type: ignore[call-arg]
        except SeeThroughError as exc:
            show_error(self, exc)
            self.refresh()
            return
        run_operation(self.session, None, op, self)

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
