"""The Annotate workspace: open a Live2D model, see its ArtMeshes by tag or by part, select them on the canvas or
in the list, label them (palette, number keys, context menu, auto-label, propagation), preview a fragment and its
whole tag, pose the model, and export a dataset or a PSD.

The workspace composes the panels and owns the edits. What it works on is an `AnnotationState` (annotation.session:
the live model for the view, the selection) around an annotation document (annotation.document: the labels as an
immutable value, the pose, the hidden meshes). Every label edit is a label operation (annotation.label_operations)
whose command goes on the document's one history: Edit ▸ Undo/Redo act on it, and every history change rewrites the
label file (autosave). Loading, auto-labelling, propagation, the seed map and the exports run in the window's job
runner on a snapshot of the document taken on the UI thread; the workers never read the live model — those that
render load their own copy, posed at the snapshot's pose — and a result is applied only if the labels are still
those of its snapshot (else the user is told and nothing changes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from seethrough.annotation.label_operations import (
    AssignTag,
    AutoLabel,
    ClearTags,
    LabelOperation,
    LabelPlan,
    PropagateLabels,
    commit,
)
from seethrough.annotation.session import AnnotationState
from seethrough.app.elided_label import ElidedLabel
from seethrough.app.errors import show_error
from seethrough.app.jobs import JobFn, JobRunner, OnDone
from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.annotate.canvas import AnnotateCanvas
from seethrough.app.workspaces.annotate.exports import ExportActions
from seethrough.app.workspaces.annotate.mesh_panel import MeshPanel
from seethrough.app.workspaces.annotate.palette import TagPalette
from seethrough.app.workspaces.annotate.pose_panel import PosePanel
from seethrough.app.workspaces.annotate.pose_renderer import PoseRenderer
from seethrough.app.workspaces.annotate.previews import SelectionPreviews
from seethrough.app.workspaces.annotate.review_panel import ReviewPanel
from seethrough.app.workspaces.base import Navigable, Panel, UndoProvider
from seethrough.core.errors import BadInput, SeeThroughError
from seethrough.core.operations import Context
from seethrough.core.taxonomy import taxonomy

log = logging.getLogger(__name__)


class AnnotateWorkspace(ExportActions):
    title = "Annotate"
    key = "annotate"
    #: the label history changed (the window refreshes its Undo/Redo actions)
    history_changed = Signal()

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.state: AnnotationState | None = None
        self._jobs: JobRunner | None = None
        self._our_job = False
        self._unsubscribe: Callable[[], None] | None = None
        self.last_report: Any = None
        self.review_list: Path | None = None  # a batch's review/report.json (File ▸ Open Review List…)
        self.review_note = ""  # where the open model stands in that list
        self._redraw_timer = QTimer(self, singleShot=True, interval=30)
        self._redraw_timer.timeout.connect(self.redraw)
        self.poser = PoseRenderer(self)
        self.poser.rendered.connect(self._pose_rendered)
        self.poser.failed.connect(lambda exc: show_error(self, exc))
        self._build()
        self.setAcceptDrops(True)
        session.model_requested.connect(self._open_requested)
        session.review_list_requested.connect(self._review_list_requested)

    def _review_list_requested(self, report: object) -> None:
        self.session.go_to.emit(self.key)
        self.open_review_list(None if report is None else Path(str(report)))

    def _open_requested(self, path: object) -> None:
        """A model opened from File ▸ Open, a drop on the window or the command line: show this workspace and open
        it here."""
        self.session.go_to.emit(self.key)
        self.open_model(Path(str(path)))

    # --- layout -----------------------------------------------------------------------------------------------
    def _build(self) -> None:
        open_button = QPushButton("Open model…")
        open_button.clicked.connect(self._browse)
        self.auto_button = QPushButton("Auto-label")
        self.auto_button.setToolTip("Label every ArtMesh by names, geometry rules, the 2D seed vote, part votes "
                                    "and the v3 splits, each with a confidence (human labels are kept)")
        self.auto_button.clicked.connect(self.auto_label)
        self.see_through = QCheckBox("See-through")
        self.see_through.setToolTip("Draw the selected fragments whole, where other fragments hide them too")
        self.see_through.setChecked(True)
        self.see_through.toggled.connect(self._on_see_through)
        self.contours = QCheckBox("Contours")
        self.contours.setChecked(True)
        self.contours.toggled.connect(lambda _b: self._redraw_timer.start())
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setToolTip("Opacity of the tag colours over the model")
        self.opacity.setMaximumWidth(110)
        self.opacity.valueChanged.connect(lambda _v: self._redraw_timer.start())
        fit = QPushButton("Fit")
        # a long status (a model's warnings) must not widen the workspace: it ends in "…", whole in the tooltip
        self.status = ElidedLabel("Open a Live2D model (.model3.json or .model.json)")
        bar = QHBoxLayout()
        for w in (open_button, self.auto_button, self.see_through, self.contours, QLabel("Tag colours"),
                  self.opacity, fit):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)

        self.mesh_panel = MeshPanel()
        self.mesh_panel.selection_changed.connect(self._on_list_selection)
        self.mesh_panel.model.visibility_changed.connect(self._redraw_timer.start)
        self.mesh_panel.set_tag_requested.connect(self.assign)
        self.mesh_panel.visibility_requested.connect(self.change_visibility)
        self.mesh_panel.propagate_requested.connect(self._browse_propagation)
        self.canvas = AnnotateCanvas()
        self.canvas.picked.connect(self.select)
        self.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.canvas.customContextMenuRequested.connect(
            lambda pos: self.mesh_panel.context_menu().popup(self.canvas.viewport().mapToGlobal(pos)))
        fit.clicked.connect(self.canvas.fit)
        self.previews = SelectionPreviews()
        self.tag_palette = TagPalette(self)
        self.tag_palette.tag_chosen.connect(self.assign)
        self.pose_panel = PosePanel()
        self.pose_panel.pose_changed.connect(self.set_pose)
        self.pose_panel.export_dataset_requested.connect(self._browse_dataset)
        self.pose_panel.export_psd_requested.connect(self._browse_psd)
        self.pose_panel.open_in_stratify_requested.connect(self.open_in_stratify)
        self.pose_panel.cancel_requested.connect(lambda: self.jobs.cancel())

        self.review = ReviewPanel(self.canvas, self._run, self)
        self.review.select_requested.connect(self._show_for_review)
        self.review.operation_requested.connect(self.perform)

        # the centre: the model's canvas under its tool row; the lists and palettes are dock panels (`panels`)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        self._own_undo: list[QShortcut] = []

    def navigable(self) -> Navigable | None:
        return self.canvas

    def panels(self) -> list[Panel]:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        return [Panel("ArtMeshes", self.mesh_panel, left, group=""),
                Panel("Fragment", self.previews, right, group="", height=self.previews.minimumSizeHint().height()),
                Panel("Tags", self.tag_palette, right, group="", height=self.tag_palette.full_height()),
                Panel("Review", self.review, right),
                Panel("Pose and Export", self.pose_panel, right)]

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        if self._dropped_model(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        path = self._dropped_model(event)
        if path is not None:
            event.acceptProposedAction()
            self.open_model(path)

    @staticmethod
    def _dropped_model(event) -> Path | None:  # noqa: ANN001
        for url in event.mimeData().urls() if event.mimeData().hasUrls() else []:
            path = Path(url.toLocalFile())
            if path.name.endswith((".model3.json", ".model.json")):
                return path
        return None

    def showEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        """Outside a main window (which routes its Edit actions here) the workspace has its own Ctrl+Z keys."""
        super().showEvent(event)
        if not self._own_undo and not hasattr(self.window(), "undo_action"):
            scope = Qt.ShortcutContext.WidgetWithChildrenShortcut
            self._own_undo = [QShortcut(QKeySequence.StandardKey.Undo, self, self.undo, context=scope),
                              QShortcut(QKeySequence("Ctrl+Shift+Z"), self, self.redo, context=scope)]

    # --- jobs ----------------------------------------------------------------------------------------------------
    @property
    def jobs(self) -> JobRunner:
        runner = self._jobs
        if runner is None:
            runner = JobRunner(self)
            self.jobs = runner
        return runner

    @jobs.setter
    def jobs(self, runner: JobRunner) -> None:
        """The window's runner (one job at a time, its progress also in the status bar); pose renders use it too."""
        self._jobs = runner
        self.poser.attach(runner)
        runner.progress.connect(self._job_progress)
        runner.done.connect(self._job_done)

    def _run(self, title: str, fn: JobFn, done: OnDone) -> None:
        try:
            self.jobs.submit(title, fn, done, lambda exc: show_error(self, exc))
        except SeeThroughError as exc:  # another job is running
            show_error(self, exc)
            return
        self._our_job = True
        self.pose_panel.job_started(title)

    def _job_progress(self, fraction: float, message: str) -> None:
        if self._our_job:
            self.pose_panel.job_progress(fraction, message)

    def _job_done(self) -> None:
        if self._our_job:
            self._our_job = False
            self.pose_panel.job_finished()

    # --- model lifetime -------------------------------------------------------------------------------------
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Live2D model", "", "Live2D (*.model3.json *.model.json)")
        if path:
            self.open_model(Path(path))

    def open_model(self, path: Path) -> None:
        """Open a Live2D model (a `.model3.json` / `.model.json`, or a folder holding one) in this workspace."""
        self.review_note = ""
        self._run(f"Open {Path(path).name}", lambda progress, cancel: AnnotationState.open(Path(path)),
                  self._set_state)

    def open_review_list(self, report: Path | None = None) -> bool:
        """Open the next model of a batch's review list (`live2d batch`: review/report.json), the worst-ranked one
        whose labels nobody has changed since; with no `report`, the list opened last, after the model open now.
        False (and a status message) when the list has none left."""
        from seethrough.annotation.batch.report import next_for_review

        if report is not None:
            self.review_list = Path(report)
        if self.review_list is None:
            return False
        current = [self.state.model.path] if self.state is not None and report is None else []
        try:
            pick = next_for_review(self.review_list, skip=current)
        except BadInput as exc:
            show_error(self, exc)
            return False
        if pick is None:
            self.status.setText(f"{self.review_list.name}: every model of the review list has been labelled")
            return False
        self.open_model(pick.model_file)
        self.review_note = (f"review list: {pick.name}, rank {pick.rank} of {pick.total} ({pick.left} left) — "
                            f"{'; '.join(pick.reasons)}")
        return True

    def _set_state(self, state: AnnotationState) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.state = state
        self._unsubscribe = state.document.subscribe(self._on_document)
        self.poser.forget()
        tags = taxonomy().tags(state.labels.taxonomy_version)
        self.tag_palette.set_tags(tags)
        self.mesh_panel.set_state(state, tags)
        self.pose_panel.set_state(state)
        self.canvas._fitted = False
        self.redraw()
        self.review.set_state(state)  # shows its first item on the canvas: after the canvas has the model
        self._update_status()
        self.history_changed.emit()
        if state.warning:
            show_error(self, BadInput(state.warning))

    def _update_status(self) -> None:
        if self.state is None:
            return
        labelled, total = self.state.coverage()
        selected = f", {len(self.state.selected)} selected" if self.state.selected else ""
        warnings = self.state.model.warnings  # optional files skipped, blending the renderer approximates
        noted = f" · ⚠ {len(warnings)} model warning{'s' * (len(warnings) > 1)} (hover to read)" if warnings else ""
        note = f" · {self.review_note}" if self.review_note else ""
        self.status.setText(f"{self.state.model.path.name}: {labelled}/{total} ArtMeshes labelled{selected}{noted}"
                            f"{note}")
        self.status.setToolTip("\n".join(warnings))

    # --- drawing ---------------------------------------------------------------------------------------------------
    def redraw(self) -> None:
        self.canvas.see_through = self.see_through.isChecked()
        self.canvas.show_state(self.state, self.opacity.value() / 100, self.contours.isChecked())
        self.previews.show_state(self.state)

    def _on_see_through(self, on: bool) -> None:
        self.canvas.see_through = on
        self.canvas.show_selection()

    def set_pose(self, values: dict[str, float]) -> None:
        """Pose the model: the document takes the pose now; the render runs in the pose worker on a snapshot
        (sliders are debounced; latest wins)."""
        if self.state is not None:
            self.state.request_pose(values)
            self.poser.request(self.state, self.state.document.snapshot())

    def _pose_rendered(self, result: tuple) -> None:
        state, values, raster, hidden, composite = result
        if self.state is not None and state is self.state:  # not a render for a model replaced meanwhile
            state.install_pose(values, raster, hidden, composite)
            self.redraw()

    # --- selection -----------------------------------------------------------------------------------------------
    def select(self, ids: list[str], mode: str = "replace") -> None:
        """Select ArtMeshes (from the canvas, or code): replace, toggle (Ctrl-click) or add (Ctrl rubber band)."""
        if self.state is None:
            return
        current = self.state.select(ids, mode)
        self.mesh_panel.show_selection(current)
        self._selection_shown()

    def _show_for_review(self, ids: list[str]) -> None:
        """The review queue's current item: selected, and in view on the canvas."""
        self.select(ids)
        self.canvas.reveal_selection()

    def _on_list_selection(self, ids: list[str]) -> None:
        if self.state is not None:
            self.state.selected = ids
            self._selection_shown()

    def _selection_shown(self) -> None:
        self.canvas.show_selection()
        if self.state is not None:
            self.review.follow_selection(self.state.selected)
        self.previews.show_state(self.state)
        self._update_status()

    # --- labelling ----------------------------------------------------------------------------------------------
    def assign(self, tag: str) -> None:
        """Tag the whole selection ("" clears its tags)."""
        if self.state is None or not self.state.selected:
            return
        meshes = tuple(self.state.selected)
        self.perform(AssignTag(meshes, tag) if tag else ClearTags(meshes))

    def perform(self, op: LabelOperation, on_applied: Callable[[LabelPlan], object] | None = None) -> None:
        """Apply a label operation to the open model's labels: an instant one here, any other as a job on a snapshot
        whose result is applied only if the labels did not change meanwhile. Refusals go to the error presenter."""
        state = self.state
        if state is None:
            return
        document, snapshot = state.document, state.document.snapshot()

        def apply(plan: LabelPlan) -> None:
            self.last_report = plan.report
            if self.state is None or self.state.document is not document:
                log.info("“%s” finished for a model that is no longer open: nothing was applied", op.describe())
                return
            try:
                commit(document, snapshot, op, plan)
            except SeeThroughError as exc:  # stale, or the label file could not be written
                show_error(self, exc)
                return
            if on_applied is not None:
                on_applied(plan)

        if not op.instant:
            self._run(op.describe(), lambda progress, cancel: op.plan(snapshot, Context(progress, cancel)), apply)
            return
        try:
            plan = op.plan(snapshot)
        except SeeThroughError as exc:
            show_error(self, exc)
            return
        apply(plan)

    def undo(self) -> bool:
        return self._step(lambda history: history.undo())

    def redo(self) -> bool:
        return self._step(lambda history: history.redo())

    def _step(self, move: Callable[[Any], bool]) -> bool:
        """Undo or redo on the annotation document's history (an error writing the label file is shown)."""
        if self.state is None:
            return False
        try:
            return move(self.state.document.history)
        except SeeThroughError as exc:
            show_error(self, exc)
            return True

    def handles_undo(self) -> bool:
        return self.state is not None

    def undo_provider(self) -> UndoProvider | None:
        """While a model is open, Edit ▸ Undo/Redo act on its annotation document's history."""
        return UndoProvider(self.undo, self.redo, "label edit") if self.state is not None else None

    def _on_document(self, event: str, _payload: object) -> None:
        if event == "history":  # a label edit, an undo or a redo
            self._after_label_change()

    def _after_label_change(self) -> None:
        self.mesh_panel.relabelled()
        self.review.refresh()
        self.redraw()
        self._update_status()
        self.history_changed.emit()

    def auto_label(self) -> None:
        """Run the labelling rules in the worker on a snapshot (its own copy of the model, at the snapshot's pose);
        the result is one undo step. Meshes left out as not the character leave the review queue too."""
        def applied(plan: LabelPlan) -> None:
            report = plan.report
            self.review.excluded = self.review.excluded | set(report.excluded)
            self.review.refresh()
            log.info("auto-label: %d/%d labelled (%.0f%%), rules %s", report.labelled, report.total,
                     report.coverage * 100, report.counts)

        self.perform(AutoLabel(), applied)

    def _browse_propagation(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Propagate labels from a model or label file", "",
                                              "Live2D model or labels (*.model3.json *.model.json *.labels.json)")
        if path:
            self.propagate_from(Path(path))

    def propagate_from(self, path: Path) -> None:
        """Copy labels from another pose's or model's label file (same ids, or same part path + name)."""
        def applied(plan: LabelPlan) -> None:
            result = plan.report
            log.info("propagated %d labels (%d by id, %d by part path and name, %d human labels kept)",
                     plan.changed, result.by_id, result.by_path, result.skipped_human)

        self.perform(PropagateLabels(Path(path)), applied)

    # --- visibility ---------------------------------------------------------------------------------------------
    def change_visibility(self, what: str) -> None:
        state = self.state
        if state is None:
            return
        if what in ("hide-tags", "show-tags"):
            state.set_tags_hidden(state.selected_tags(), what == "hide-tags")
        elif what == "only-selected":
            state.hide_all_but_selected()
        elif what == "show-all":
            state.show_all()
        self.mesh_panel.model.refresh()
        self.redraw()
