"""The Layers panel, Krita-style: a thin item model over the document (no copy of its state), top layer first.

Row r shows `layers[-1 - r]`. Visibility is the check state, the name is editable in place (F2 / double-click),
the decoration is a thumbnail with the tag's colour chip, and rows are reordered by drag and drop. Every change
goes through a core command, so it is undoable.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.jobs import JobManager
from seethrough.app.session import DocumentSession
from seethrough.core.commands import MoveLayer, SetLayerProperty
from seethrough.core.taxonomy import taxonomy

MIME = "application/x-seethrough-layer"
THUMB = 40
Index = QModelIndex | QPersistentModelIndex


def thumbnail(layer, size: int = THUMB) -> QPixmap:  # noqa: ANN001 - Layer
    """The layer's pixels scaled into a square, over a light checker, with its tag colour as a side chip."""
    pix = QPixmap(size + 6, size)
    pix.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pix)
    painter.fillRect(0, 0, 4, size, QColor(*taxonomy().color(layer.tag)))
    painter.fillRect(6, 0, size, size, QColor(235, 235, 235))
    shown = layer.shown_rgba  # as drawn: the layer mask applied
    if shown.size:
        h, w = shown.shape[:2]
        step = max(1, max(h, w) // (size * 2))
        small = np.ascontiguousarray(shown[::step, ::step])
        img = QImage(small.data, small.shape[1], small.shape[0], 4 * small.shape[1], QImage.Format.Format_RGBA8888)
        scaled = img.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        painter.drawImage(6 + (size - scaled.width()) // 2, (size - scaled.height()) // 2, scaled)
    painter.end()
    return pix


class LayersModel(QAbstractListModel):
    def __init__(self, session: DocumentSession) -> None:
        super().__init__()
        self.session = session
        self._thumbs: dict[tuple[str, int], QIcon] = {}
        session.document_replaced.connect(self._reset)
        session.layers_changed.connect(self._reset)
        session.layer_changed.connect(self._layer_changed)

    # --- mapping --------------------------------------------------------------------------------------------
    def layer_at(self, row: int):  # noqa: ANN201 - Layer
        layers = self.session.document.layers
        return layers[len(layers) - 1 - row]

    def row_of(self, uid: str) -> int:
        doc = self.session.document
        return len(doc.layers) - 1 - doc.index_of(uid)

    def _reset(self, *_args: object) -> None:
        self.beginResetModel()
        self._thumbs.clear()
        self.endResetModel()

    def _layer_changed(self, uid: str) -> None:
        try:
            row = self.row_of(uid)
        except KeyError:
            return
        self._thumbs = {k: v for k, v in self._thumbs.items() if k[0] != uid}
        self.dataChanged.emit(self.index(row), self.index(row))

    # --- Qt model API ----------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        doc = self.session.document
        return 0 if doc is None or parent.isValid() else len(doc.layers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        layer = self.layer_at(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if role == Qt.ItemDataRole.EditRole:
                return layer.name
            lock = " [locked]" if layer.locked else ""
            opacity = "" if layer.opacity >= 1.0 else f"  {layer.opacity:.0%}"
            return f"{layer.name}{lock}{opacity}\n{layer.tag or 'untagged'} · depth {layer.depth_value:.2f}"
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole:
            key = (layer.uid, id(layer.shown_rgba))
            if key not in self._thumbs:
                self._thumbs[key] = QIcon(thumbnail(layer))
            return self._thumbs[key]
        if role == Qt.ItemDataRole.ToolTipRole:
            x0, y0, x1, y1 = layer.bbox
            return f"{layer.name} ({layer.tag or 'no tag'})\nbox {x0},{y0}–{x1},{y1}\n{layer.provenance}"
        if role == Qt.ItemDataRole.UserRole:
            return layer.uid
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        layer = self.layer_at(index.row())
        if role == Qt.ItemDataRole.CheckStateRole:
            visible = Qt.CheckState(value) == Qt.CheckState.Checked
            if visible != layer.visible:
                self.session.push(SetLayerProperty(layer.uid, "visible", visible, text="Toggle visibility"))
            return True
        if role == Qt.ItemDataRole.EditRole:
            name = str(value).strip()
            if name and name != layer.name:
                self.session.try_push(lambda: SetLayerProperty(layer.uid, "name", name, text="Rename layer"))
            return True
        return False

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = base | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled
        if not self.layer_at(index.row()).locked:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        if indexes:
            mime.setData(MIME, QByteArray(self.layer_at(indexes[0].row()).uid.encode()))
        return mime

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:  # noqa: N802
        if not data.hasFormat(MIME) or self.session.document is None:
            return False
        uid = bytes(data.data(MIME).data()).decode()
        if row < 0:
            row = parent.row() if parent.isValid() else self.rowCount()
        self.move_to_row(uid, row)
        return False  # we moved it ourselves; the view must not remove the source row

    def move_to_row(self, uid: str, row: int) -> None:
        """Move a layer so that it appears at display row `row` (0 = top)."""
        count = len(self.session.document.layers)
        current = self.row_of(uid)
        if row > current:
            row -= 1
        target_index = count - 1 - max(0, min(row, count - 1))
        if target_index != self.session.document.index_of(uid):
            self.session.push(MoveLayer(uid, target_index))


class LayersPanel(QWidget):
    def __init__(self, session: DocumentSession, parent: QWidget | None = None, jobs: JobManager | None = None) -> None:
        super().__init__(parent)
        self.session = session
        #: merges are computed here (seconds at 2048²); without a job manager (a panel on its own) they run inline
        self.jobs = jobs
        self.model = LayersModel(session)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setIconSize(QSize(THUMB + 6, THUMB))
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        triggers = QAbstractItemView.EditTrigger
        self.view.setEditTriggers(triggers.DoubleClicked | triggers.EditKeyPressed)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        session.current_layer_changed.connect(self._select_uid)
        self.model.modelReset.connect(lambda: self._select_uid(session.current_uid))

        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=100)
        self.opacity.setToolTip("Opacity of the current layer")
        self.opacity.valueChanged.connect(self._on_opacity)
        session.current_layer_changed.connect(lambda _uid: self._sync_opacity())
        session.layer_changed.connect(lambda _uid: self._sync_opacity())

        buttons = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip in (
            ("up", "Up", "Raise layer"), ("down", "Down", "Lower layer"), ("merge", "Merge", "Merge down"),
            ("duplicate", "Dup", "Duplicate layer"), ("delete", "Del", "Delete layer"),
            ("lock", "Lock", "Lock / unlock"), ("sort", "Sort", "Sort by depth (far → near)"),
        ):
            button = QToolButton(text=text, toolTip=tip)
            button.clicked.connect(lambda _=False, k=key: self.act(k))
            buttons.addWidget(button)
            self.buttons[key] = button
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        row.addWidget(self.opacity)
        layout.addLayout(row)
        layout.addWidget(self.view)
        layout.addLayout(buttons)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.session.set_current(self.model.data(current, Qt.ItemDataRole.UserRole))

    def _select_uid(self, uid: str) -> None:
        if not uid or self.session.document is None:
            return
        try:
            index = self.model.index(self.model.row_of(uid))
        except KeyError:
            return
        if self.view.currentIndex() != index:
            self.view.setCurrentIndex(index)

    def _sync_opacity(self) -> None:
        layer = self.session.current_layer
        self.opacity.blockSignals(True)
        self.opacity.setValue(round((layer.opacity if layer else 1.0) * 100))
        self.opacity.setEnabled(layer is not None and not layer.locked)
        self.opacity.blockSignals(False)
        locked = layer is not None and layer.locked
        for key in ("merge", "delete"):  # a locked layer cannot be merged or deleted (the core refuses it too)
            self.buttons[key].setEnabled(not locked)
        self.buttons["lock"].setText("Unlock" if locked else "Lock")

    def _on_opacity(self, value: int) -> None:
        layer = self.session.current_layer
        if layer is not None:
            self.session.try_push(lambda: SetLayerProperty(layer.uid, "opacity", value / 100.0, text="Set opacity"),
                                  self)

    def act(self, key: str) -> None:
        """Run a panel action on the current layer."""
        from seethrough.core import layer_ops

        doc, layer = self.session.document, self.session.current_layer
        if doc is None:
            return
        if key == "sort":
            self.session.push(layer_ops.sort_by_depth_command(doc))
            return
        if layer is None:
            return
        index = doc.index_of(layer.uid)
        if key == "up" and index < len(doc.layers) - 1:
            self.session.push(MoveLayer(layer.uid, index + 1))
        elif key == "down" and index > 0:
            self.session.push(MoveLayer(layer.uid, index - 1))
        elif key == "merge" and index > 0:
            self._merge_down(layer.uid)
        elif key == "duplicate":
            self.session.push(layer_ops.duplicate_command(doc, layer.uid))
        elif key == "delete":
            self.session.try_push(lambda: layer_ops.delete_command(doc, layer.uid), self)
        elif key == "lock":
            self.session.push(SetLayerProperty(layer.uid, "locked", not layer.locked, text="Lock layer"))

    def _merge_down(self, uid: str) -> None:
        """Merge the layer into the one below. A refusal (bottom or locked layer) is shown at once; the merged
        pixels are computed in a job on a snapshot, and the merge is applied only if neither layer changed
        meanwhile (otherwise the user is told and nothing changes)."""
        from seethrough.app.errors import show_error
        from seethrough.core import layer_ops
        from seethrough.core.errors import BadInput, SeeThroughError

        doc = self.session.document
        if doc is None:
            return
        try:
            lower, upper = layer_ops.merge_down_pair(doc, uid)
        except SeeThroughError as exc:
            show_error(self, exc)
            return
        if self.jobs is None:
            self.session.try_push(lambda: layer_ops.merge_down_command(doc, uid), self)
            return
        snapshot = self.session.snapshot()

        def apply(command) -> None:  # noqa: ANN001 - a Command, back on the UI thread
            if not self.session.unchanged_since(snapshot, [lower.uid, uid]):
                show_error(self, BadInput(f"“{upper.name}” or the layer below changed while they were being merged: "
                                          "nothing was merged; merge again"))
                return
            self.session.push(command)

        self.jobs.submit(f"Merge {upper.name} down", lambda p, c: layer_ops.merge_down_command(snapshot, uid),
                         apply, lambda exc: show_error(self, exc))
