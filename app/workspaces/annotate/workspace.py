"""The Annotate workspace: open a Live2D model, see its ArtMeshes by tag or by part, label them (palette, number
keys, auto-label), preview a fragment and its whole tag, pose the model, and export a dataset or a PSD.

Everything is read from and written to `AnnotationState` (engine objects); label edits go through the label
store, so they autosave and undo. Loading, auto-labelling and exports run in the window's job runner.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.canvas import to_qimage
from app.errors import show_error
from app.session import DocumentSession
from app.workspaces.annotate.state import AnnotationState
from app.workspaces.base import Workspace
from core.errors import SeeThroughError
from core.taxonomy import taxonomy

log = logging.getLogger(__name__)
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _pixmap(rgba: np.ndarray, side: int) -> QPixmap:
    return QPixmap.fromImage(to_qimage(rgba)).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation)


def _chip(tag: str | None) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(QColor(*taxonomy().color(tag)) if tag else QColor(0, 0, 0, 0))
    return QIcon(pix)


class AnnotateCanvas(QLabel):
    """The rendered model; click selects the top fragment, Alt-click cycles through the fragments below."""

    def __init__(self, workspace: AnnotateWorkspace) -> None:
        super().__init__("Open a Live2D model (.model3.json)")
        self.workspace = workspace
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 320)
        self._cycle: tuple[tuple[int, int], int] | None = None
        self._scale = 1.0

    def show_image(self, rgba: np.ndarray) -> None:
        pix = QPixmap.fromImage(to_qimage(rgba))
        scaled = pix.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self._scale = scaled.width() / max(pix.width(), 1)
        self.setPixmap(scaled)

    def image_point(self, x: float, y: float) -> tuple[int, int]:
        pix = self.pixmap()
        ox = (self.width() - pix.width()) / 2
        oy = (self.height() - pix.height()) / 2
        return int((x - ox) / self._scale), int((y - oy) / self._scale)

    def mousePressEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        state = self.workspace.state
        if state is None or self.pixmap() is None:
            return
        point = self.image_point(event.position().x(), event.position().y())
        hits = state.meshes_at(*point)
        if not hits:
            return
        index = 0
        if event.modifiers() & Qt.KeyboardModifier.AltModifier and self._cycle and self._cycle[0] == point:
            index = (self._cycle[1] + 1) % len(hits)
        self._cycle = (point, index)
        self.workspace.select([hits[index]])


class AnnotateWorkspace(Workspace):
    title = "Annotate"
    key = "annotate"
    #: the label history changed (the window refreshes its Undo/Redo actions)
    history_changed = Signal()

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.state: AnnotationState | None = None
        self.jobs = None  # the window's JobRunner (set by MainWindow); None → work runs inline
        self._render_timer = QTimer(self, singleShot=True, interval=30)
        self._render_timer.timeout.connect(self.refresh_view)
        self._build()

    # --- layout -----------------------------------------------------------------------------------------------
    def _build(self) -> None:
        bar = QHBoxLayout()
        for text, slot in (("Open model…", self._browse), ("Auto-label", self.auto_label),
                           ("Export dataset…", self._export_dataset), ("Export PSD…", self._export_psd),
                           ("Open in Stratify", self.open_in_stratify)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        self.status = QLabel("")
        bar.addWidget(self.status, 1)

        left = QWidget()
        lv = QVBoxLayout(left)
        row = QHBoxLayout()
        self.grouping = QComboBox()
        self.grouping.addItems(["By tag", "By part"])
        self.grouping.currentIndexChanged.connect(lambda _i: self.rebuild_tree())
        self.search = QLineEdit(placeholderText="regex over ids and names")
        self.search.textChanged.connect(lambda _t: self.rebuild_tree())
        row.addWidget(self.grouping)
        row.addWidget(self.search)
        lv.addLayout(row)
        filters = QHBoxLayout()
        self.unlabelled_only = QCheckBox("Unlabelled only")
        self.unlabelled_only.toggled.connect(lambda _b: self.rebuild_tree())
        self.rule_filter = QComboBox()
        self.rule_filter.addItems(["any rule", "human", "name-match", "sibling-vote", "parent-vote", "2d-seed",
                                   "hair-split", "eye-split"])
        self.rule_filter.currentIndexChanged.connect(lambda _i: self.rebuild_tree())
        filters.addWidget(self.unlabelled_only)
        filters.addWidget(self.rule_filter)
        lv.addLayout(filters)
        self.tree_model = QStandardItemModel()
        self.tree_model.itemChanged.connect(self._on_item_changed)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.selectionModel().selectionChanged.connect(self._on_tree_selection)
        lv.addWidget(self.tree)

        self.canvas = AnnotateCanvas(self)
        right = QWidget()
        rv = QVBoxLayout(right)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Tag colours"))
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=45)
        self.opacity.valueChanged.connect(lambda _v: self._render_timer.start())
        opacity_row.addWidget(self.opacity)
        rv.addLayout(opacity_row)
        previews = QHBoxLayout()
        self.fragment_preview = QLabel("fragment")
        self.tag_preview = QLabel("its tag")
        for label in (self.fragment_preview, self.tag_preview):
            label.setFixedSize(160, 160)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            previews.addWidget(label)
        rv.addLayout(previews)
        palette = QGridLayout()
        self.palette_buttons: dict[str, QPushButton] = {}
        for i, tag in enumerate(taxonomy().v3):
            key = f"{i + 1}" if i < 9 else ("0" if i == 9 else "")
            button = QPushButton(f"{key} {tag}".strip())
            button.setIcon(_chip(tag))
            button.clicked.connect(lambda _=False, t=tag: self.assign(t))
            palette.addWidget(button, i // 3, i % 3)
            self.palette_buttons[tag] = button
            if key:
                QShortcut(QKeySequence(key), self, activated=lambda t=tag: self.assign(t))
        rv.addLayout(palette)
        self.pose_box = QVBoxLayout()
        rv.addLayout(self.pose_box)
        rv.addStretch(1)

        split = QSplitter(Qt.Orientation.Horizontal)
        for w in (left, self.canvas, right):
            split.addWidget(w)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

    # --- model lifetime -------------------------------------------------------------------------------------
    def _run(self, title: str, fn, done) -> None:  # noqa: ANN001 - callables
        if self.jobs is None:
            try:
                done(fn(lambda *_: None, lambda: False))
            except Exception as exc:  # shown, the workspace stays usable
                show_error(self, exc)
            return
        try:
            self.jobs.submit(title, fn, done, lambda exc: show_error(self, exc))
        except SeeThroughError as exc:  # another job is running
            show_error(self, exc)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Live2D model", "", "Live2D (*.model3.json *.model.json)")
        if path:
            self.open_model(Path(path))

    def open_model(self, path: Path) -> None:
        self._run(f"Open {path.name}", lambda progress, cancel: AnnotationState.open(path), self._set_state)

    def _set_state(self, state: AnnotationState) -> None:
        self.state = state
        self._build_pose_sliders()
        self.rebuild_tree()
        self.refresh_view()
        self.history_changed.emit()

    def _build_pose_sliders(self) -> None:
        while self.pose_box.count():
            item = self.pose_box.takeAt(0)
            if item.widget():
                item.widget().setParent(None)
        wanted = ("ParamAngleX", "ParamAngleY", "ParamAngleZ", "ParamBodyAngleX", "ParamEyeLOpen", "ParamEyeROpen")
        self.sliders: dict[str, QSlider] = {}
        for p in self.state.model.parameters if self.state else []:
            if p.id not in wanted:
                continue
            slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
            slider.setValue(round((p.default - p.min) / max(p.max - p.min, 1e-6) * 100))
            slider.setToolTip(f"{p.id} {p.name}")
            slider.sliderReleased.connect(self.apply_pose)
            label = QLabel(p.id)  # ids are ASCII; display names (often Japanese) go in the tooltip
            label.setToolTip(p.name)
            self.pose_box.addWidget(label)
            self.pose_box.addWidget(slider)
            self.sliders[p.id] = slider

    def apply_pose(self) -> None:
        if self.state is None:
            return
        params = {p.id: p for p in self.state.model.parameters}
        values = {pid: params[pid].min + s.value() / 100 * (params[pid].max - params[pid].min)
                  for pid, s in self.sliders.items()}
        self.state.model.set_parameters(values)
        self.state.model.update()
        self.state.rerender()
        self.refresh_view()

    # --- tree ---------------------------------------------------------------------------------------------------
    def rebuild_tree(self) -> None:
        self.tree_model.blockSignals(True)
        self.tree_model.clear()
        state = self.state
        if state is None:
            self.tree_model.blockSignals(False)
            return
        rule = self.rule_filter.currentText()
        ids = state.filtered(self.search.text(), self.unlabelled_only.isChecked(), None if rule == "any rule" else rule)
        groups: dict[str, list[str]] = {}
        for mid in ids:
            if self.grouping.currentIndex() == 0:
                key = state.store.tag(mid) or "(untagged)"
            else:
                mesh = state.model.artmesh(mid)
                key = "/".join(state.model.parts[p].name or p for p in mesh.part_path) or "(root)"
            groups.setdefault(key, []).append(mid)
        for key in sorted(groups):
            group = QStandardItem(f"{key}  ({len(groups[key])})")
            group.setCheckable(True)
            group.setEditable(False)
            group.setCheckState(Qt.CheckState.Unchecked if all(m in state.hidden for m in groups[key])
                                else Qt.CheckState.Checked)
            group.setData(groups[key], ID_ROLE + 1)
            for mid in groups[key]:
                tag = state.store.tag(mid)
                item = QStandardItem(_chip(tag), f"{mid}  [{tag or '—'}]")
                item.setEditable(False)
                item.setCheckable(True)
                item.setCheckState(Qt.CheckState.Unchecked if mid in state.hidden else Qt.CheckState.Checked)
                item.setData(mid, ID_ROLE)
                group.appendRow(item)
            self.tree_model.appendRow(group)
        self.tree.expandAll()
        self.tree_model.blockSignals(False)
        labelled, total = state.coverage()
        self.status.setText(f"{state.model.path.name}: {labelled}/{total} ArtMeshes labelled")

    def _on_item_changed(self, item: QStandardItem) -> None:
        if self.state is None:
            return
        visible = item.checkState() == Qt.CheckState.Checked
        ids = item.data(ID_ROLE + 1) or [item.data(ID_ROLE)]
        for mid in ids:
            (self.state.hidden.discard if visible else self.state.hidden.add)(mid)
        if item.data(ID_ROLE + 1):
            QTimer.singleShot(0, self.rebuild_tree)
        self._render_timer.start()

    def _on_tree_selection(self, *_args: object) -> None:
        ids = [i.data(ID_ROLE) for i in self.tree.selectionModel().selectedIndexes() if i.data(ID_ROLE)]
        if ids and self.state is not None:
            self.state.selected = ids
            self._update_previews()

    def select(self, ids: list[str]) -> None:
        if self.state is None:
            return
        self.state.selected = list(ids)
        for row in range(self.tree_model.rowCount()):
            group = self.tree_model.item(row)
            for r in range(group.rowCount()):
                child = group.child(r)
                if child.data(ID_ROLE) in ids:
                    self.tree.setCurrentIndex(child.index())
        self._update_previews()

    # --- labelling ----------------------------------------------------------------------------------------------
    def assign(self, tag: str) -> None:
        if self.state is None or not self.state.selected:
            return
        self.state.store.set_tag(self.state.selected, tag, source="human")
        self._after_label_change()

    def undo(self) -> bool:
        if self.state is None or not self.state.store.undo():
            return False
        self._after_label_change()
        return True

    def redo(self) -> bool:
        if self.state is None or not self.state.store.redo():
            return False
        self._after_label_change()
        return True

    def handles_undo(self) -> bool:
        return self.state is not None

    def auto_label(self) -> None:
        if self.state is None:
            return
        from annotation.auto_label import auto_label, from_live2d

        state = self.state

        def job(progress, cancel):  # noqa: ANN001, ANN202
            progress(0.2, "labelling by names, part votes and refinements")
            return auto_label(from_live2d(state.model), state.store)

        def done(report) -> None:  # noqa: ANN001
            log.info("auto-label: %s labelled (%.0f%%), rules %s", report.labelled, report.coverage * 100,
                     report.counts)
            self._after_label_change()

        self._run("Auto-label", job, done)

    def _after_label_change(self) -> None:
        selected = list(self.state.selected) if self.state else []
        self.rebuild_tree()
        if selected:
            self.select(selected)
        self._render_timer.start()
        self.history_changed.emit()

    # --- views --------------------------------------------------------------------------------------------------
    def refresh_view(self) -> None:
        if self.state is not None:
            self.canvas.show_image(self.state.overlay(self.opacity.value() / 100))
            self._update_previews()

    def _update_previews(self) -> None:
        state = self.state
        if state is None or not state.selected:
            return
        mid = state.selected[0]
        self.fragment_preview.setPixmap(_pixmap(state.fragment(mid), 160))
        tag = state.store.tag(mid)
        if tag:
            self.tag_preview.setPixmap(_pixmap(state.tag_composite(tag), 160))
        else:
            self.tag_preview.setText("untagged")

    # --- exports ------------------------------------------------------------------------------------------------
    def _labels(self) -> dict[str, str]:
        return {k: v for k, v in self.state.store.tags().items() if v} if self.state else {}

    def export_dataset(self, folder: Path) -> None:
        from annotation.dataset import export_dataset
        from annotation.poses import default_poses

        state = self.state
        if state is None:
            return

        def job(progress, cancel):  # noqa: ANN001, ANN202
            poses = default_poses(state.model)
            out = export_dataset(state.model, self._labels(), folder, poses,
                                 progress=lambda i, n: progress(i / n, f"pose {i}/{n}"), is_cancelled=cancel)
            state.rerender()
            return out

        self._run(f"Export dataset to {folder.name}", job, lambda out: log.info("dataset written to %s", out))

    def _export_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export dataset into folder")
        if folder:
            self.export_dataset(Path(folder))

    def _export_psd(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export ground-truth PSD", "", "Photoshop (*.psd)")
        if path and self.state is not None:
            from annotation.dataset import live2d_document
            from core.io.psd_export import export_psd

            state, labels = self.state, self._labels()
            self._run("Export PSD", lambda p, c: export_psd(live2d_document(state.model, labels), Path(path)),
                      lambda _r: log.info("PSD written to %s", path))

    def open_in_stratify(self) -> None:
        if self.state is None:
            return
        from annotation.dataset import live2d_document

        doc = live2d_document(self.state.model, self._labels(), size=self.state.raster.frame.width)
        self.session.display_name = self.state.model.path.name
        self.session.set_document(doc, None)
