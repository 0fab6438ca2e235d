"""The ArtMesh panel: grouping switch, regex search, "unlabelled only" and "labelled by rule" filters, the tree
(multi-selection synced with the canvas) and its context menu (set tag, hide/show tags, propagate labels)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from seethrough.annotation.labels import SOURCES
from seethrough.annotation.session import AnnotationState
from seethrough.app.workspaces.annotate.mesh_model import (
    BY_PART,
    BY_TAG,
    MESH_IDS_ROLE,
    MeshFilterProxy,
    MeshTreeModel,
    chip,
)

ANY_RULE = "labelled by any rule"


class MeshPanel(QWidget):
    #: the user changed the selection in the list (mesh ids)
    selection_changed = Signal(list)
    #: context menu requests, handled by the workspace (which owns label edits and redraws)
    set_tag_requested = Signal(str)  # tag, "" = clear
    visibility_requested = Signal(str)  # "hide-tags" | "show-tags" | "only-selected" | "show-all"
    propagate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tags: tuple[str, ...] = ()
        self._syncing = False
        self.model = MeshTreeModel(self)
        self.proxy = MeshFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.grouping = QComboBox()
        self.grouping.addItems(["Group by tag", "Group by part"])
        self.grouping.currentIndexChanged.connect(self._regroup)
        self.search = QLineEdit(placeholderText="regex over ids and names", clearButtonEnabled=True)
        self.search.textChanged.connect(self.apply_filter)
        self.unlabelled_only = QCheckBox("Unlabelled only")
        self.unlabelled_only.toggled.connect(self.apply_filter)
        self.rule = QComboBox()
        self.rule.addItems([ANY_RULE, *SOURCES])
        self.rule.setToolTip("Show only ArtMeshes labelled by this rule")
        self.rule.currentIndexChanged.connect(self.apply_filter)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #b00020")

        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 96)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(lambda pos: self.context_menu().popup(
            self.tree.viewport().mapToGlobal(pos)))

        top = QHBoxLayout()
        top.addWidget(self.grouping)
        top.addWidget(self.search, 1)
        filters = QHBoxLayout()
        filters.addWidget(self.unlabelled_only)
        filters.addWidget(self.rule, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.tree, 1)
        self.message.hide()

    @property
    def state(self) -> AnnotationState | None:
        return self.model.state

    def set_state(self, state: AnnotationState | None, tags: tuple[str, ...]) -> None:
        self.tags = tags
        self._syncing = True
        try:
            self.model.set_state(state)
        finally:
            self._syncing = False
        self._after_rebuild()

    # --- grouping and filters ------------------------------------------------------------------------------
    def set_grouping(self, grouping: int) -> None:
        self.grouping.setCurrentIndex(grouping)

    def _regroup(self, index: int) -> None:
        self._syncing = True
        try:
            self.model.set_grouping(BY_PART if index == 1 else BY_TAG)
        finally:
            self._syncing = False
        self._after_rebuild()

    def apply_filter(self, *_args: object) -> None:
        """Filtering hides rows but keeps the selection (it lives in the state, not in the view)."""
        rule = self.rule.currentText()
        self._syncing = True
        try:
            self.proxy.set_filter(self.search.text(), self.unlabelled_only.isChecked(),
                                  None if rule == ANY_RULE else rule)
        finally:
            self._syncing = False
        self.message.setText(self.proxy.error)
        self.message.setVisible(bool(self.proxy.error))
        self._after_rebuild()

    def relabelled(self) -> None:
        """Tags changed: regroup when grouped by tag (meshes move between groups), else just repaint."""
        self._syncing = True
        try:
            if self.model.grouping == BY_TAG:
                self.model.rebuild()
            else:
                self.model.refresh()
                self.proxy.refilter()
        finally:
            self._syncing = False
        self._after_rebuild()

    def _after_rebuild(self) -> None:
        self.tree.expandAll()
        if self.state is not None:
            self.show_selection(self.state.selected)

    # --- selection -----------------------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        """Meshes of the selected rows; a selected group stands for all its meshes."""
        seen: dict[str, None] = {}
        for index in self.tree.selectionModel().selectedRows(0):
            seen.update(dict.fromkeys(index.data(MESH_IDS_ROLE) or []))
        return list(seen)

    def _on_selection(self, *_args: object) -> None:
        if not self._syncing:
            self.selection_changed.emit(self.selected_ids())

    def show_selection(self, mesh_ids: list[str]) -> None:
        """Select these meshes' rows (from a canvas click) without echoing the change back."""
        selection = QItemSelection()
        first: QModelIndex | None = None
        for source_index in self.model.indexes_of(set(mesh_ids)):
            index = self.proxy.mapFromSource(source_index)
            if index.isValid():
                selection.select(index, index.siblingAtColumn(1))
                first = first or index
        self._syncing = True
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.tree.selectionModel().select(selection, flags)
            if first is not None:
                self.tree.scrollTo(first)
        finally:
            self._syncing = False

    # --- context menu ------------------------------------------------------------------------------------------
    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        has_selection = bool(self.state and self.state.selected)
        tags = menu.addMenu("Set tag")
        tags.setEnabled(has_selection)
        for tag in self.tags:
            tags.addAction(chip(tag), tag, lambda t=tag: self.set_tag_requested.emit(t))
        tags.addSeparator()
        tags.addAction("Clear tag", lambda: self.set_tag_requested.emit(""))
        menu.addSeparator()
        for text, what in (("Hide selected tags", "hide-tags"), ("Show selected tags", "show-tags"),
                           ("Hide all but selected", "only-selected")):
            menu.addAction(text, partial(self.visibility_requested.emit, what)).setEnabled(has_selection)
        menu.addAction("Show all", lambda: self.visibility_requested.emit("show-all"))
        menu.addSeparator()
        menu.addAction("Propagate labels from another pose or model…", self.propagate_requested.emit)
        return menu
