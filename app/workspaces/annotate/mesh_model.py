"""The ArtMesh list as a thin Qt item model over `AnnotationState`: two groupings (by tag, by the model's part
hierarchy) of the same meshes, a check box per item and per group bound to `state.hidden`, a colour chip per tag
and counts per group. Nothing is copied: visibility, tags and rules are read from the state on every `data()` call,
so the list can never disagree with the canvas (labelme's "visibility stored twice" trap).

`MeshFilterProxy` filters it (regex over ids and names, unlabelled only, labelled by one rule) and keeps a group
when any of its meshes passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import overload

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPixmap

from seethrough.annotation.session import AnnotationState
from seethrough.core.taxonomy import taxonomy

MESH_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: all mesh ids under an item (a mesh: itself)
MESH_IDS_ROLE = Qt.ItemDataRole.UserRole + 2
BY_TAG, BY_PART = 0, 1
UNTAGGED = "(untagged)"
Index = QModelIndex | QPersistentModelIndex


@dataclass(eq=False)
class Node:
    kind: str  # "root" | "group" | "mesh"
    key: str  # tag, part id or mesh id
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child

    def mesh_ids(self) -> Iterator[str]:
        if self.kind == "mesh":
            yield self.key
        for child in self.children:
            yield from child.mesh_ids()

    @property
    def row(self) -> int:
        return self.parent.children.index(self) if self.parent else 0


def chip(tag: str | None, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(*taxonomy().color(tag)) if tag else QColor(0, 0, 0, 0))
    return QIcon(pix)


def displayable(text: str, font: QFont | None = None) -> bool:
    """Whether the UI font has every glyph of `text` (display names are often Japanese; without a CJK font they
    would show as boxes, so the id is shown and the name goes to the tooltip)."""
    metrics = QFontMetrics(font or QFont())
    return all(metrics.inFontUcs4(ord(c)) for c in text)


class MeshTreeModel(QAbstractItemModel):
    """Two columns: the ArtMesh (or group) with its check box and chip, and its tag — upright when a person set it,
    grey italic when a rule did (the tooltip names the rule)."""

    #: the user toggled visibility through a check box (the canvas re-renders)
    visibility_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state: AnnotationState | None = None
        self.grouping = BY_TAG
        self.root = Node("root", "")
        self._chips: dict[str | None, QIcon] = {}

    # --- building --------------------------------------------------------------------------------------------
    def set_state(self, state: AnnotationState | None) -> None:
        self.state = state
        self.rebuild()

    def set_grouping(self, grouping: int) -> None:
        self.grouping = grouping
        self.rebuild()

    def rebuild(self) -> None:
        """Regroup (after tags change, meshes move between tag groups)."""
        self.beginResetModel()
        self.root = Node("root", "")
        if self.state is not None:
            (self._build_by_tag if self.grouping == BY_TAG else self._build_by_part)(self.state)
        self.endResetModel()

    def _build_by_tag(self, state: AnnotationState) -> None:
        groups: dict[str, list[str]] = {}
        for mesh in state.model.artmeshes:
            groups.setdefault(state.labels.tag(mesh.id) or UNTAGGED, []).append(mesh.id)
        known = list(taxonomy().all_tags)
        for tag in sorted(groups, key=lambda t: (t != UNTAGGED, known.index(t) if t in known else len(known), t)):
            group = self.root.add(Node("group", tag))
            for mid in groups[tag]:
                group.add(Node("mesh", mid))

    def _build_by_part(self, state: AnnotationState) -> None:
        model = state.model
        meshes: dict[str | None, list[str]] = {}
        for mesh in model.artmeshes:
            meshes.setdefault(mesh.part_id, []).append(mesh.id)

        def build(parent: Node, pid: str) -> None:
            node = Node("group", pid)
            for child in model.parts[pid].children:
                build(node, child)
            for mid in meshes.get(pid, []):
                node.add(Node("mesh", mid))
            if node.children:  # parts without any ArtMesh below are left out
                parent.add(node)

        for pid, part in model.parts.items():
            if part.parent_id is None:
                build(self.root, pid)
        for mid in meshes.get(None, []):
            self.root.add(Node("mesh", mid))

    # --- structure ---------------------------------------------------------------------------------------------
    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self.root

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        node = self.node(parent)
        if 0 <= row < len(node.children) and 0 <= column < 2:
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    @overload
    def parent(self) -> QObject | None: ...

    @overload
    def parent(self, index: Index) -> QModelIndex: ...

    def parent(self, index: Index | None = None) -> QObject | QModelIndex | None:
        """The parent of an item (Qt's item-model API); without an index, the QObject parent (Qt's object API)."""
        if index is None:
            return super().parent()
        if not index.isValid():
            return QModelIndex()
        parent = self.node(index).parent
        if parent is None or parent is self.root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ("ArtMesh", "Tag")[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    # --- data --------------------------------------------------------------------------------------------------
    def _chip(self, tag: str | None) -> QIcon:
        if tag not in self._chips:
            self._chips[tag] = chip(tag)
        return self._chips[tag]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201 - one role table
        if not index.isValid() or self.state is None:
            return None
        node, state = self.node(index), self.state
        if role == MESH_ID_ROLE:
            return node.key if node.kind == "mesh" else None
        if role == MESH_IDS_ROLE:
            return list(node.mesh_ids())
        if node.kind == "mesh":
            return self._mesh_data(state, node.key, index.column(), role)
        ids = list(node.mesh_ids())
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 1:
                return ""
            return f"{self._group_title(state, node)}  ({len(ids)})"
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == 0:
            hidden = sum(1 for mid in ids if mid in state.hidden)
            return (Qt.CheckState.Checked if hidden == 0 else Qt.CheckState.Unchecked if hidden == len(ids)
                    else Qt.CheckState.PartiallyChecked)
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0 and self.grouping == BY_TAG:
            return self._chip(None if node.key == UNTAGGED else node.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if self.grouping == BY_PART:
                part = state.model.parts[node.key]
                return f"part {part.id}" + (f" — {part.name}" if part.name else "") + f"\n{len(ids)} ArtMeshes"
            return f"{node.key}: {len(ids)} ArtMeshes"
        return None

    def _group_title(self, state: AnnotationState, node: Node) -> str:
        if self.grouping == BY_TAG:
            return node.key
        part = state.model.parts[node.key]
        return f"{part.id} · {part.name}" if part.name and displayable(part.name) else part.id

    def _mesh_data(self, state: AnnotationState, mid: str, column: int, role: int):
        tag = state.labels.tag(mid)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 1:
                return tag or "—"
            name = state.model.artmesh(mid).name
            return f"{mid} · {name}" if name and displayable(name) else mid
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Unchecked if mid in state.hidden else Qt.CheckState.Checked
        automatic = column == 1 and tag is not None and state.labels.source(mid) != "human"
        if role == Qt.ItemDataRole.FontRole and automatic:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and automatic:
            return QColor(110, 110, 110)
        if role == Qt.ItemDataRole.DecorationRole and column == (0 if self.grouping == BY_PART else 1):
            return self._chip(tag)
        if role == Qt.ItemDataRole.ToolTipRole:
            mesh = state.model.artmesh(mid)
            path = " / ".join(state.model.parts[p].name or p for p in mesh.part_path)
            return (f"{mid}" + (f" — {mesh.name}" if mesh.name else "") + f"\npart: {path or '(root)'}"
                    f"\ntag: {tag or '—'}" + (f" (by {state.labels.source(mid)})" if tag else "")
                    + f"\nrender order {mesh.render_order}")
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or self.state is None:
            return False
        visible = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        ids = set(self.node(index).mesh_ids())
        self.state.set_visible(ids, visible)
        self.refresh()
        self.visibility_changed.emit()
        return True

    def refresh(self) -> None:
        """Every item may have changed (visibility, a tag's rule): repaint without regrouping."""
        def walk(node: Node, parent: QModelIndex) -> None:
            if node.children:
                self.dataChanged.emit(self.index(0, 0, parent), self.index(len(node.children) - 1, 1, parent))
                for row, child in enumerate(node.children):
                    if child.children:
                        walk(child, self.index(row, 0, parent))

        walk(self.root, QModelIndex())

    def indexes_of(self, mesh_ids: set[str]) -> list[QModelIndex]:
        """Column-0 indexes of the given meshes (to select them in a view)."""
        out: list[QModelIndex] = []

        def walk(node: Node, parent: QModelIndex) -> None:
            for row, child in enumerate(node.children):
                index = self.index(row, 0, parent)
                if child.kind == "mesh" and child.key in mesh_ids:
                    out.append(index)
                walk(child, index)

        walk(self.root, QModelIndex())
        return out

    def group_index(self, key: str) -> QModelIndex:
        """The index of a group (a tag, or a part id) anywhere in the tree; invalid when absent."""
        def walk(node: Node, parent: QModelIndex) -> QModelIndex:
            for row, child in enumerate(node.children):
                index = self.index(row, 0, parent)
                if child.kind == "group" and child.key == key:
                    return index
                found = walk(child, index)
                if found.isValid():
                    return found
            return QModelIndex()

        return walk(self.root, QModelIndex())


class MeshFilterProxy(QSortFilterProxyModel):
    """Meshes passing the filter, and every group holding one (Qt's recursive filtering)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.regex: re.Pattern[str] | None = None
        self.unlabelled_only = False
        self.source: str | None = None
        self.error = ""

    def set_filter(self, pattern: str, unlabelled_only: bool, source: str | None) -> None:
        """A bad regex filters nothing and leaves its message in `error` (shown beside the search box)."""
        self.beginFilterChange()
        try:
            self.regex, self.error = (re.compile(pattern, re.IGNORECASE) if pattern else None), ""
        except re.error as exc:
            self.regex, self.error = None, f"bad regex: {exc}"
        self.unlabelled_only, self.source = unlabelled_only, source
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def refilter(self) -> None:
        """The data behind the filter changed (tags, rules)."""
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def active(self) -> bool:
        return self.regex is not None or self.unlabelled_only or bool(self.source)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, MeshTreeModel):  # no mesh tree attached yet: nothing to filter
            return True
        index = model.index(row, 0, parent)
        node = model.node(index)
        if node.kind != "mesh":
            return not self.active  # with a filter on, a group shows only through a passing mesh
        return model.state is not None and model.state.matches(node.key, self.regex, self.unlabelled_only, self.source)
