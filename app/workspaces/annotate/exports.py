"""The Annotate workspace's exports: a dataset of the pose sweep, a ground-truth PSD of the current pose, and the
labelled model as a layer document for the other workspaces. Each takes a snapshot of the annotation document (its
labels and pose) on the UI thread and renders from a fresh copy of the model in the job runner, posed at the
snapshot's pose, so the view (and its live model) is never touched from the worker."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from seethrough.annotation.document import AnnotationSnapshot
from seethrough.annotation.session import AnnotationState
from seethrough.app import settings as keys
from seethrough.app.jobs import JobFn, OnDone
from seethrough.app.save_names import last_folder, suggested_path
from seethrough.app.settings import Settings
from seethrough.app.workspaces.annotate.pose_panel import PosePanel
from seethrough.app.workspaces.base import Workspace

log = logging.getLogger(__name__)


def labelled(snapshot: AnnotationSnapshot) -> dict[str, str]:
    """The tags of the snapshot's labelled meshes."""
    return {k: v for k, v in snapshot.labels.tags().items() if v}


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
    def export_dataset(self, folder: Path, size: int = 1024) -> None:
        """One sample per pose of the sweep list, rendered from a fresh copy of the model in the worker."""
        from seethrough.annotation.dataset import export_dataset

        if self.state is None:
            return
        snapshot, poses = self.state.document.snapshot(), list(self.pose_panel.poses)

        def job(progress, cancel):  # noqa: ANN001
            progress(0.0, "loading the model")
            return export_dataset(snapshot.load_model(), labelled(snapshot), Path(folder), poses, size=size,
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
        from seethrough.annotation.to_document import live2d_document
        from seethrough.core.io.psd_export import export_psd

        if self.state is None:
            return
        snapshot, frame = self.state.document.snapshot(), self.state.frame

        def job(progress, cancel):  # noqa: ANN001
            progress(0.1, "rendering the tag layers")
            doc = live2d_document(snapshot.load_model(), labelled(snapshot), frame=frame)
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
        """The labelled model at its current pose as a layer document (rendered in the job runner), opened in the
        other workspaces (replacing the open document as one undoable step)."""
        from seethrough.annotation.to_document import live2d_document

        if self.state is None:
            return
        snapshot, frame, name = self.state.document.snapshot(), self.state.frame, self.state.model.path.name

        def done(doc) -> None:  # noqa: ANN001
            self.session.offer_document(doc, name, f"Open {name} in Stratify")
            self.session.go_to.emit("stratify")

        self._run(f"Open {name} in Stratify",
                  lambda progress, cancel: live2d_document(snapshot.load_model(), labelled(snapshot), frame=frame),
                  done)
