"""The review queue: automatic labels ordered by (1 − confidence) × visible area, one key to accept, the palette
to fix, and the share of the visible area a person has verified. The seed map (what the labeller's 2D provider
saw) can be laid over the model, computed in the job runner on a snapshot (its own copy of the model at the
snapshot's pose). Logic lives in `annotation.review`; accepting is the label operation `AcceptLabels`, which the
workspace applies (`operation_requested`); this is the view.

The queue's current item is always the mesh shown selected on the canvas: the first one when a model opens, the
next one after an accept or a fix of the item it showed, the one clicked or reached with the arrow keys; when the user
selects something else on the canvas the list follows (that mesh, or no current item when the selection is not one
queued mesh), and labelling a mesh picked on the canvas leaves the selection where the user put it.

Keys (in the Annotate workspace): Enter accepts the current mesh's label and moves on — only when that mesh is the
one shown; otherwise Enter first shows the current (or first) item, so nothing is accepted unseen. The palette's
number keys retag the selection (the current mesh) as a person's label, which also verifies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsPixmapItem,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seethrough.annotation.document import AnnotationSnapshot
from seethrough.annotation.label_operations import AcceptLabels
from seethrough.annotation.review import ReviewItem, review_queue, seed_overlay, verified_fraction
from seethrough.app.canvas import to_qimage
from seethrough.app.workspaces.annotate.mesh_model import chip

Runner = Callable[[str, Callable[..., Any], Callable[[Any], None]], None]


class ReviewPanel(QWidget):
    #: show these meshes selected (the current queue item)
    select_requested = Signal(list)
    #: apply this label operation (the workspace runs it on the annotation document's history)
    operation_requested = Signal(object)

    def __init__(self, canvas: Any, run: Runner, shortcut_scope: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state: Any = None
        self.items: list[ReviewItem] = []
        self.areas: dict[str, int] = {}
        self.excluded: set[str] = set()
        self._run = run
        self._reviewing: str | None = None  # the mesh this panel showed for review (or Enter accepted)
        self._showing = False  # this panel is selecting a mesh (follow_selection hears its own request)
        self._maps_for: tuple[int, int] | None = None  # (id(state), model state version) of the seed overlay
        self.overlay_item = QGraphicsPixmapItem()
        self.overlay_item.setZValue(0.5)  # over the model, under the selection tint
        canvas.scene().addItem(self.overlay_item)

        self.progress_bar = QProgressBar(maximum=1000, textVisible=False)
        self.progress_bar.setMaximumHeight(8)
        self.progress = QLabel("No model")
        self.list = QListWidget()
        self.list.setToolTip("Meshes to check, most uncertain visible area first")
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemClicked.connect(lambda item: self._on_row(self.list.row(item)))  # the current one, too
        self.accept_button = QPushButton("Accept (Enter)")
        self.accept_button.setToolTip("Confirm the current mesh's label and go to the next")
        self.accept_button.clicked.connect(self.accept_current)
        skip = QPushButton("Skip")
        skip.clicked.connect(self.next_item)
        self.seed_box = QCheckBox("Seed map")
        self.seed_box.setToolTip("Show the 2D seed provider's map for this pose (colour = its best tag)")
        self.seed_box.toggled.connect(self._on_seed_toggled)
        buttons = QHBoxLayout()
        for w in (self.accept_button, skip, self.seed_box):
            buttons.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Review</b>"))
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # Space is the canvas's pan key
            QShortcut(QKeySequence(key), shortcut_scope, self.accept_current,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # --- model -----------------------------------------------------------------------------------------------
    def set_state(self, state: Any) -> None:
        from seethrough.annotation.auto_label import excluded_meshes, from_live2d

        self.state = state
        self._maps_for = None
        self.overlay_item.setPixmap(QPixmap())
        self.seed_box.setChecked(False)
        self.areas = {mid: visible for mid, (_, visible) in state.raster.areas().items()}
        self.excluded = excluded_meshes(from_live2d(state.model), sorted(state.labels.excluded_parts))
        self.refresh(keep_row=False)

    def refresh(self, keep_row: bool = True) -> None:
        """Rebuild the queue after labels changed. When the mesh this panel showed for review was just verified, the
        next one is shown; any other selection (a mesh picked on the canvas and labelled there) is left alone and the
        list follows it. `keep_row=False` (a model opened): the first item is shown."""
        if self.state is None:
            return
        row = max(self.list.currentRow(), 0) if keep_row else 0
        current = self.current()
        under_review = current is not None and current.id == self._reviewing and self.showing_current()
        reviewed = self._reviewing if under_review else None  # the mesh this panel showed, still shown
        self.items = review_queue(self.state.labels, self.areas, self.state.mesh_ids, self.excluded)
        self.list.blockSignals(True)
        self.list.clear()
        for it in self.items:
            conf = "—" if it.tag is None else f"{it.confidence:.2f}"
            item = QListWidgetItem(chip(it.tag), f"{it.id}   {it.tag or 'unlabelled'}   {conf}   {it.visible_area} px")
            item.setToolTip(f"rule: {it.source or 'none'}; priority {(it.priority):.0f}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        fraction = verified_fraction(self.state.labels, self.areas, self.excluded)
        self.progress_bar.setValue(round(fraction * 1000))
        self.progress.setText(f"{fraction:.0%} of the visible area verified · {len(self.items)} meshes to review")
        gone = reviewed is not None and all(it.id != reviewed for it in self.items)
        if self.items and (not keep_row or gone):  # a model opened, or the mesh under review was verified
            self.show_item(min(row, len(self.items) - 1))
        else:
            self.follow_selection(self.state.selected)

    def current(self) -> ReviewItem | None:
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def showing_current(self) -> bool:
        """Whether the current item is the mesh shown (alone) selected on the canvas."""
        item = self.current()
        return item is not None and self.state is not None and list(self.state.selected) == [item.id]

    def follow_selection(self, selected: list[str]) -> None:
        """The selection changed elsewhere (canvas, mesh list): the queued mesh selected alone becomes the current
        item; any other selection leaves the queue without one (so Enter cannot accept what is not shown)."""
        if not self._showing:
            self._reviewing = None  # the user chose this selection, not the queue
        ids = [it.id for it in self.items]
        row = ids.index(selected[0]) if len(selected) == 1 and selected[0] in ids else -1
        if row != self.list.currentRow():
            self.list.blockSignals(True)
            self.list.setCurrentRow(row)
            self.list.blockSignals(False)

    # --- actions ------------------------------------------------------------------------------------------------
    def show_item(self, row: int) -> None:
        """Make `row` the current item and show it: selected on the canvas, in view."""
        if not 0 <= row < len(self.items):
            return
        if row != self.list.currentRow():
            self.list.setCurrentRow(row)  # → _on_row
        else:
            self._on_row(row)

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self.items):
            self._reviewing, self._showing = self.items[row].id, True
            try:
                self.select_requested.emit([self.items[row].id])
            finally:
                self._showing = False

    def accept_current(self) -> None:
        """Accept the current mesh's label — when it is the mesh shown; else show the current (or first) item."""
        item = self.current()
        if self.state is None or not self.items:
            return
        if item is None or not self.showing_current():
            self.show_item(max(self.list.currentRow(), 0))
            return
        if item.tag is None:  # nothing to accept: the palette labels it
            self.next_item()
            return
        self._reviewing = item.id  # accepted here: the next item follows, wherever it was selected
        self.operation_requested.emit(AcceptLabels((item.id,)))  # the workspace refreshes, which calls refresh() here

    def next_item(self) -> None:
        if self.items:
            self.show_item((self.list.currentRow() + 1) % len(self.items))

    # --- seed overlay -------------------------------------------------------------------------------------------
    def _on_seed_toggled(self, on: bool) -> None:
        state = self.state
        if state is None:
            return
        key = (id(state), state.model.state_version)
        if on and self._maps_for != key:
            snapshot, frame = state.document.snapshot(), state.frame
            self._run("Seed map", lambda progress, cancel: (state, key[1], self._compute_maps(snapshot, frame)),
                      self._show_maps)
            return
        self.overlay_item.setVisible(on)

    @staticmethod
    def _compute_maps(snapshot: AnnotationSnapshot, frame: Any) -> np.ndarray:
        """The seed map of the snapshot's pose, from the worker's own copy of the model."""
        from seethrough.annotation.auto_label import excluded_meshes, from_live2d
        from seethrough.annotation.render import ModelRaster
        from seethrough.annotation.review import seed_maps

        model = snapshot.load_model()
        excluded = excluded_meshes(from_live2d(model), sorted(snapshot.labels.excluded_parts))
        return seed_overlay(seed_maps(model, ModelRaster(model, frame), snapshot.labels, excluded))

    def _show_maps(self, result: tuple[Any, int, np.ndarray]) -> None:
        state, version, image = result
        if state is not self.state:
            return
        self._maps_for = (id(state), version)
        self.overlay_item.setPixmap(QPixmap.fromImage(to_qimage(image)))
        self.overlay_item.setVisible(self.seed_box.isChecked())
