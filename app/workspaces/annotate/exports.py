"""The Annotate workspace's exports: a dataset of the pose sweep, a ground-truth PSD of the current pose, and the
labelled model as a layer document for the other workspaces. Exports render from a fresh copy of the model in the
job runner, so the view (and its pose) is never touched from the worker."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from seethrough.app import settings as keys
from seethrough.app.errors import show_error
from seethrough.app.jobs import JobFn, OnDone
from seethrough.app.save_names import last_folder, suggested_path
from seethrough.app.settings import Settings
from seethrough.app.workspaces.annotate.pose_panel import PosePanel
from seethrough.app.workspaces.annotate.state import AnnotationState
from seethrough.app.workspaces.base import Workspace
from seethrough.core.errors import SeeThroughError

log = logging.getLogger(__name__)


class ExportActions(Workspace):
    """The base of `AnnotateWorkspace`: its exports, written against what the workspace provides (declared here)."""

    #: the open model and its labels (None before one is opened)
    state: AnnotationState | None
    #: the poses of the sweep and the current pose
    pose_panel: PosePanel

    def _run(self, title: str, fn: JobFn, done: OnDone) -> None:
        """Run `fn` as the workspace's job, then `done(result)` on the UI thread."""
        raise NotImplementedError

    # --- exports ------------------------------------------------------------------------------------------------
    def _labels(self) -> dict[str, str]:
        return {k: v for k, v in self.state.store.tags().items() if v} if self.state else {}

    def export_dataset(self, folder: Path, size: int = 1024) -> None:
        """One sample per pose of the sweep list, rendered from a fresh copy of the model in the worker."""
        from seethrough.annotation.dataset import export_dataset
        from seethrough.annotation.loader import load_model

        if self.state is None:
            return
        path, labels, poses = self.state.model.path, self._labels(), list(self.pose_panel.poses)

        def job(progress, cancel):  # noqa: ANN001
            progress(0.0, "loading the model")
            return export_dataset(load_model(path), labels, Path(folder), poses, size=size,
                                  progress=lambda i, n: progress(i / n, f"pose {i}/{n}"), is_cancelled=cancel)

        self._run(f"Export dataset to {Path(folder).name}", job, lambda out: log.info("dataset written to %s", out))

    def _browse_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export dataset into folder", str(self.dataset_folder()))
        if folder:
            Settings().set(keys.DATASET_FOLDER, folder)
            self.export_dataset(Path(folder))

    def dataset_folder(self) -> Path:
        """Where Export dataset… starts: the dataset exported to last (a dataset grows model by model), else the
        folder that holds the model's folder (where a dataset folder beside the models would go)."""
        last = Settings().get(keys.DATASET_FOLDER)
        if last and Path(last).is_dir():
            return Path(last)
        if self.state is not None:
            return self.state.model.path.parent.parent
        return last_folder()

    def export_psd(self, target: Path) -> None:
        """The ground-truth PSD of the current pose (one layer per tag, depth companions)."""
        from seethrough.annotation.loader import load_model
        from seethrough.annotation.to_document import live2d_document
        from seethrough.core.io.psd_export import export_psd

        if self.state is None:
            return
        path, labels, pose, frame = self.state.model.path, self._labels(), self.pose_panel.values(), self.state.frame

        def job(progress, cancel):  # noqa: ANN001
            progress(0.1, "rendering the tag layers")
            doc = live2d_document(load_model(path), labels, pose=pose, frame=frame)
            progress(0.6, "writing the PSD")
            return export_psd(doc, Path(target))

        self._run(f"Export {Path(target).name}", job, lambda _r: log.info("PSD written to %s", target))

    def _browse_psd(self) -> None:
        model = self.state.model.path if self.state is not None else None
        suggestion = suggested_path(model.name if model else "", ".psd", beside=model)  # Mark.psd beside the model
        path, _ = QFileDialog.getSaveFileName(self, "Export ground-truth PSD", str(suggestion), "Photoshop (*.psd)")
        if path:
            self.export_psd(Path(path) if path.lower().endswith(".psd") else Path(path + ".psd"))

    def open_in_stratify(self) -> None:
        """The labelled model at its current pose as a layer document, opened in the other workspaces (replacing the
        open document as one undoable step)."""
        if self.state is None:
            return
        from seethrough.annotation.to_document import live2d_document

        try:
            doc = live2d_document(self.state.model, self._labels(), frame=self.state.frame)
        except SeeThroughError as exc:
            show_error(self, exc)
            return
        name = self.state.model.path.name
        self.session.offer_document(doc, name, f"Open {name} in Stratify")
        self.session.go_to.emit("stratify")
