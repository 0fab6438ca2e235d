"""Re-rendering the model at a new pose off the UI thread, latest request wins.

A pose costs ~80 ms of rasterising plus ~40 ms of compositing at 1024 px (bench/bench_annotate.py): too slow
for a slider drag on the UI thread. A request is a snapshot of the annotation document (its pose and hidden meshes);
the worker renders it on its *own copy* of the model (loading one is ~10 ms), so the live model is never touched
from two threads; the UI thread then only sets the parameters on its model and takes the finished raster
(`AnnotationState.install_pose`). While a render runs, newer requests replace each other
and only the last is rendered next. Renders run in the `pose` lane of the window's job system (`attach`), so the
Jobs panel lists them and quitting waits for them like every other job.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from seethrough.annotation.document import AnnotationSnapshot
from seethrough.annotation.model import Live2DModel
from seethrough.annotation.render import ModelRaster, to_uint8
from seethrough.annotation.session import AnnotationState
from seethrough.app.jobs import JobManager


class PoseRenderer(QObject):
    #: (state, values, raster, hidden ids, composite) for the latest request
    rendered = Signal(object)
    failed = Signal(object)

    LANE = "pose"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JobManager(self)  # until the workspace hands over the window's (`attach`)
        self._pending: tuple[AnnotationState, AnnotationSnapshot] | None = None
        self._copies: dict[Path, Live2DModel] = {}  # only touched by the worker (one job at a time)

    def attach(self, jobs: JobManager) -> None:
        """Render in the window's job system from now on."""
        self.runner = jobs

    @property
    def busy(self) -> bool:
        return bool(self.runner.active(self.LANE)) or self._pending is not None

    def forget(self) -> None:
        """Drop the worker's model copies (another model was opened, or the same one again)."""
        self._copies = {}

    def request(self, state: AnnotationState, snapshot: AnnotationSnapshot) -> None:
        """Render `state`'s model at the snapshot's pose, with its hidden meshes left out of the composite."""
        self._pending = (state, snapshot)
        if not self.runner.active(self.LANE):
            self._next()

    def wait(self, msecs: int = 30000) -> bool:
        return self.runner.wait(msecs)

    def _next(self) -> None:
        if self._pending is None:
            return
        state, snapshot = self._pending
        self._pending = None
        path, frame, copies = state.model.path, state.frame, self._copies

        def job(progress, cancel):  # noqa: ANN001 - the job system's job signature
            model = copies.get(path)
            if model is None:
                model = copies[path] = snapshot.load_model()
            else:
                snapshot.pose_model(model)
            raster = ModelRaster(model, frame)
            shown = {m.id for m in model.artmeshes if m.id not in snapshot.hidden}
            return state, dict(snapshot.pose), raster, snapshot.hidden, to_uint8(raster.composite(shown))

        self.runner.submit("Pose", job, self._done, self._fail, lane=self.LANE)

    def _done(self, result: tuple) -> None:
        self.rendered.emit(result)
        self._next()

    def _fail(self, exc: BaseException) -> None:
        self.failed.emit(exc)
        self._next()
