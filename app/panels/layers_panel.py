"""The Layers panel, Krita-style: a thin item model over the document (no copy of its state), top layer first.

Row r shows `layers[-1 - r]`. Visibility is the check state, the name is editable in place (F2 / double-click),
the decoration is a thumbnail with the tag's colour chip, and rows are reordered by drag and drop. Every change
is an operation (core.operations), so it is undoable and in the document's operation log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
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

from seethrough.app.errors import show_error
from seethrough.app.icons import icon
from seethrough.app.jobs import JobManager
from seethrough.app.operations import run_operation
from seethrough.app.session import DocumentSession
from seethrough.core.document import Layer
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import Operation, layer_ref
from seethrough.core.operations.editing import NewLayer
from seethrough.core.operations.layer_edits import (
    Delete,
    Duplicate,
    MergeDown,
    Move,
    Rename,
    SetLocked,
    SetOpacity,
    SetVisible,
    SortByDepth,
)
from seethrough.core.taxonomy import taxonomy

MIME = "application/x-seethrough-layer"
#: the panel's buttons: (action, icon, tooltip)
BUTTONS = (
    ("new", "new-layer", "New layer above the current one (Ctrl+Shift+N)"),
    ("up", "layer-up", "Raise layer"), ("down", "layer-down", "Lower layer"),
    ("merge", "merge-down", "Merge down (into the layer below)"), ("duplicate", "duplicate", "Duplicate layer"),
    ("delete", "delete", "Delete layer"), ("lock", "lock", "Lock layer"),
    ("sort", "sort-depth", "Sort by depth (far at the bottom, near on top)"),
)
THUMB = 40
#: the side of a layer mask's thumbnail, in the layer thumbnail's lower right corner
MASK_THUMB = 20
Index = QModelIndex | QPersistentModelIndex


def thumbnail(layer: Layer, size: int = THUMB) -> QPixmap:
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
    if layer.layer_mask is not None:
        _draw_mask(painter, layer, 6 + size - MASK_THUMB, size - MASK_THUMB)
    painter.end()
    return pix


def unused_name(layers: Sequence[Layer], stem: str = "Layer") -> str:
    """"Layer 1", "Layer 2", …: the first not taken, so that an operation log finds the new layer by its name."""
    taken = {layer.name for layer in layers}
    n = 1
    while f"{stem} {n}" in taken:
        n += 1
    return f"{stem} {n}"


def _draw_mask(painter: QPainter, layer: Layer, x: int, y: int) -> None:
    """The layer's mask in grey (white shows) over the layer's box, framed; crossed out in red when disabled."""
    mask = layer.layer_mask
    assert mask is not None
    x0, y0, x1, y1 = layer.bbox
    if x1 > x0 and y1 > y0:
        step = max(1, max(x1 - x0, y1 - y0) // (MASK_THUMB * 2))
        grey = np.ascontiguousarray(mask.over(layer.bbox)[::step, ::step])
    else:
        grey = np.full((1, 1), mask.fill, np.uint8)
    img = QImage(grey.data, grey.shape[1], grey.shape[0], grey.shape[1], QImage.Format.Format_Grayscale8)
    painter.fillRect(x - 1, y - 1, MASK_THUMB + 2, MASK_THUMB + 2, QColor(30, 30, 30))
    painter.drawImage(QRect(x, y, MASK_THUMB, MASK_THUMB), img)
    if not mask.enabled:
        painter.setPen(QPen(QColor(230, 40, 40), 2))
        painter.drawLine(x, y, x + MASK_THUMB, y + MASK_THUMB)
        painter.drawLine(x + MASK_THUMB, y, x, y + MASK_THUMB)


def mask_text(layer: Layer) -> str:
    """How a layer's row names its mask: "" without one."""
    if layer.layer_mask is None:
        return ""
    return " · mask" if layer.layer_mask.enabled else " · mask off"


class LayersModel(QAbstractListModel):
    def __init__(self, session: DocumentSession) -> None:
        super().__init__()
        self.session = session
        self._thumbs: dict[tuple[str, int, int, bool], QIcon] = {}
        session.document_replaced.connect(self._reset)
        session.layers_changed.connect(self._reset)
        session.layer_changed.connect(self._layer_changed)

    # --- mapping --------------------------------------------------------------------------------------------
    def layer_at(self, row: int) -> Layer:
        layers = self.session.require_document().layers
        return layers[len(layers) - 1 - row]

    def row_of(self, uid: str) -> int:
        doc = self.session.require_document()
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
    def rowCount(self, parent: Index = QModelIndex()) -> int:
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
            return (f"{layer.name}{lock}{opacity}\n{layer.tag or 'untagged'} · depth {layer.depth_value:.2f}"
                    f"{mask_text(layer)}")
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole:
            mask = layer.layer_mask
            key = (layer.uid, id(layer.shown_rgba), id(mask), mask is not None and mask.enabled)
            if key not in self._thumbs:
                self._thumbs[key] = QIcon(thumbnail(layer))
            return self._thumbs[key]
        if role == Qt.ItemDataRole.ToolTipRole:
            x0, y0, x1, y1 = layer.bbox
            masked = "" if layer.layer_mask is None else (
                "\nlayer mask" + ("" if layer.layer_mask.enabled else " (disabled)"))
            return f"{layer.name} ({layer.tag or 'no tag'})\nbox {x0},{y0}–{x1},{y1}\n{layer.provenance}{masked}"
        if role == Qt.ItemDataRole.UserRole:
            return layer.uid
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        layer = self.layer_at(index.row())
        if role == Qt.ItemDataRole.CheckStateRole:
            visible = Qt.CheckState(value) == Qt.CheckState.Checked
            if visible != layer.visible:
                self._perform(SetVisible(layer=self._ref(layer.uid), visible=visible))
            return True
        if role == Qt.ItemDataRole.EditRole:
            name = str(value).strip()
            if name and name != layer.name:
                self._perform(lambda: Rename(layer=self._ref(layer.uid), name=name))
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

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        if indexes:
            mime.setData(MIME, QByteArray(self.layer_at(indexes[0].row()).uid.encode()))
        return mime

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        if not data.hasFormat(MIME) or self.session.document is None:
            return False
        uid = bytes(data.data(MIME).data()).decode()
        if row < 0:
            row = parent.row() if parent.isValid() else self.rowCount()
        self.move_to_row(uid, row)
        return False  # we moved it ourselves; the view must not remove the source row

    def move_to_row(self, uid: str, row: int) -> None:
        """Move a layer so that it appears at display row `row` (0 = top)."""
        doc = self.session.require_document()
        count = len(doc.layers)
        current = self.row_of(uid)
        if row > current:
            row -= 1
        target_index = count - 1 - max(0, min(row, count - 1))
        if target_index != doc.index_of(uid):
            self._perform(Move(layer=self._ref(uid), to=target_index))

    def _ref(self, uid: str) -> str:
        assert self.session.document is not None
        return layer_ref(self.session.document, uid)

    def _perform(self, op: Operation | Callable[[], Operation]) -> None:
        """Apply an operation built here (a builder's refusal, e.g. a blank name, is shown like any other)."""
        try:
            operation = op() if callable(op) and not isinstance(op, Operation) else op
        except SeeThroughError as exc:
            show_error(None, exc)
            return
        run_operation(self.session, None, operation)


class LayersPanel(QWidget):
    def __init__(self, session: DocumentSession, parent: QWidget | None = None, jobs: JobManager | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._icons: dict[str, str] = {}
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

        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(100)
        self.opacity.setToolTip("Opacity of the current layer")
        self.opacity.valueChanged.connect(self._on_opacity)
        session.current_layer_changed.connect(lambda _uid: self._sync_opacity())
        session.layer_changed.connect(lambda _uid: self._sync_opacity())

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for key, icon_name, tip in BUTTONS:
            button = QToolButton()
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.setAutoRaise(True)
            button.setIconSize(QSize(18, 18))
            button.clicked.connect(lambda _=False, k=key: self.act(k))
            buttons.addWidget(button)
            self.buttons[key] = button
            self._icons[key] = icon_name
        buttons.addStretch(1)
        self.refresh_icons()
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
            self.session.set_current(self.model.layer_at(current.row()).uid)

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
        self.buttons["lock"].setIcon(icon("unlock" if locked else "lock"))
        self.buttons["lock"].setToolTip("Unlock layer" if locked else "Lock layer")

    def refresh_icons(self) -> None:
        """Draw the buttons' icons in the current theme's colours."""
        for key, name in self._icons.items():
            self.buttons[key].setIcon(icon(name))
        self._sync_opacity()

    def _on_opacity(self, value: int) -> None:
        layer = self.session.current_layer
        if layer is not None:
            self.run(SetOpacity(layer=self._ref(layer.uid), value=value / 100.0))

    def _ref(self, uid: str) -> str:
        assert self.session.document is not None
        return layer_ref(self.session.document, uid)

    def run(self, op: Operation) -> None:
        run_operation(self.session, self.jobs, op, self)

    def act(self, key: str) -> None:
        """Run a panel action on the current layer."""
        doc, layer = self.session.document, self.session.current_layer
        if doc is None:
            return
        if key == "sort":
            self.run(SortByDepth())
            return
        if key == "new":
            self.new_layer()
            return
        if layer is None:
            return
        index, ref = doc.index_of(layer.uid), self._ref(layer.uid)
        if key == "up" and index < len(doc.layers) - 1:
            self.run(Move(layer=ref, to=index + 1))
        elif key == "down" and index > 0:
            self.run(Move(layer=ref, to=index - 1))
        elif key == "merge" and index > 0:
            self._merge_down(layer.uid)
        elif key == "duplicate":
            self.run(Duplicate(layer=ref))
        elif key == "delete":
            self.run(Delete(layer=ref))
        elif key == "lock":
            self.run(SetLocked(layer=ref, locked=not layer.locked))

    def new_layer(self) -> None:
        """An empty layer above the current one (on top when none is), at its depth, made current: ready to paint."""
        doc, current = self.session.document, self.session.current_layer
        if doc is None:
            return
        op = NewLayer(name=unused_name(doc.layers), above=self._ref(current.uid) if current else None,
                      depth=current.depth_value if current else 0.5)

        def select(command: object) -> None:
            added = getattr(command, "new_layers", ())
            if added:
                self.session.set_current(added[0].uid)

        run_operation(self.session, None, op, self, on_applied=select)

    def _merge_down(self, uid: str) -> None:
        """Merge the layer into the one below. A refusal (bottom or locked layer) is shown at once; the merged
        pixels are computed in a job on a snapshot, and the merge is applied only if neither layer changed
        meanwhile (otherwise the user is told and nothing changes: core.operations)."""
        from seethrough.core import layer_ops

        doc = self.session.document
        if doc is None:
            return
        try:
            layer_ops.merge_down_pair(doc, uid)  # refused at once, before any pixel is computed
        except SeeThroughError as exc:
            show_error(self, exc)
            return
        self.run(MergeDown(layer=self._ref(uid)))
