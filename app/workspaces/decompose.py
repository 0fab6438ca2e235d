"""The Decompose workspace: one illustration in, a layered document out, on the user's GPU.

Settings (model folders, tag set, resolution, steps, seed, memory mode, device) form one immutable
`DecomposeOptions` (remembered between starts); the run is a job in the app's job system, in the `decompose` lane
that owns the loaded engine (loaded once, reused while the options that matter for loading do not change), reports
progress per step and pass, and is cancelled between steps. The result replaces the open document as one undoable
step (Edit ▸ Undo brings the previous document back). Without weights the page says exactly which are missing
and how to get them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seethrough.app import settings as keys
from seethrough.app.jobs import Job, JobManager
from seethrough.app.operations import run_operation
from seethrough.app.params import bind_combo, bind_spin
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings
from seethrough.app.workspaces.base import Panel, Workspace
from seethrough.app.wrapped_text import WrappedText
from seethrough.core.decompose.options import SPEED_SETTINGS, DecomposeOptions
from seethrough.core.document import Document
from seethrough.core.errors import ModelNotFound, SeeThroughError
from seethrough.core.operations.base import Context, Planned, commit
from seethrough.core.operations.decomposing import Decompose, RedecomposeRegion

if TYPE_CHECKING:  # the engine module loads torch: imported where a model is loaded, not with the app
    from seethrough.core.decompose.engine import DecomposeEngine

LANE = "decompose"
REGION_TIP = ("Run the model again on the region selected on the canvas (View ▸ Select Region, R) at full resolution; "
              "the rest of the document stays as it is")
#: the workspace's speed choice: the GPU's defaults, or every speed-up off
SPEED_CHOICES = ("auto", "eager")
EAGER_OPTIONS: dict[str, Any] = dict(compile="off", channels_last="off", cuda_graphs="off", decoder_batch=1,
                                     decoder_tile=0, skip_empty="off")


class EngineCache:
    """The loaded layer and depth models, reused while the options that matter for loading do not change.

    Touched only by jobs of the `decompose` lane, which run one at a time on one thread: the lane owns the models.
    """

    def __init__(self) -> None:
        self.engine: DecomposeEngine | None = None
        self.key: tuple | None = None

    def get(self, options: DecomposeOptions, progress: Callable[[float, str], None]) -> DecomposeEngine:
        from seethrough.core.decompose.engine import load_engine

        key = (options.tagset, options.layer_model, options.depth_model, options.depth, options.device,
               options.dtype, options.offload, options.quantize, options.attention,
               *(getattr(options, name) for name in SPEED_SETTINGS))  # applied when the models are loaded
        engine = self.engine
        if engine is None or key != self.key:
            progress(0.0, "loading models…")
            self.engine, self.key = None, None
            engine = load_engine(options)  # uninterruptible: closing the window waits for it
            self.engine, self.key = engine, key
        return engine


def model_status(options: DecomposeOptions) -> list[str]:
    """One line per model the run needs: where it is, or what is missing and how to get it."""
    from seethrough.core.models.catalog import find_model

    lines = []
    needs = [("layers-v3" if options.tagset == "v3" else "layers-v2", options.layer_model)]
    if options.depth:
        needs.append(("depth", options.depth_model))
    for kind, chosen in needs:
        if chosen is not None:
            lines.append(f"✔ {kind}: {chosen}" if Path(chosen).is_dir() else f"✘ {kind}: {chosen} does not exist")
            continue
        try:
            lines.append(f"✔ {kind}: {find_model(kind, [options.models_dir] if options.models_dir else ()).path}")
        except ModelNotFound as exc:
            lines.append(f"✘ {exc}")
    return lines


def _preview(rgba: np.ndarray, side: int = 256) -> QPixmap:
    h, w = rgba.shape[:2]
    image = QImage(np.ascontiguousarray(rgba).data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)


class DecomposeWorkspace(Workspace):
    title = "Decompose"
    key = "decompose"
    shows_document = True
    shared_panels = ("Layers", "Checks", "Jobs", "Log")

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.image: np.ndarray | None = None
        self.image_path: Path | None = None
        self.image_from_document = False
        self._started = 0.0
        #: every model the run needs is where the status box says (Run and Re-decompose region need them)
        self.models_ready = False
        #: what the message under the buttons is about: "models" (gone once they are found), "input" or "run"
        #: (gone with a new input), "" for none or a result
        self._message_cause = ""
        self.engines = EngineCache()
        self.job: Job | None = None
        self.jobs = JobManager(self, error_parent=self)  # until the window attaches the app's
        self._own_jobs = True
        self.jobs.job_changed.connect(self._on_job)
        self._build()
        self._restore_options()
        session.layer_model_chosen.connect(self.use_layer_model)
        session.region_changed.connect(self._update_buttons)
        session.document_replaced.connect(self._update_buttons)
        self.refresh_status()

    def attach_jobs(self, jobs: JobManager) -> None:
        super().attach_jobs(jobs)
        self._own_jobs = False
        jobs.job_changed.connect(self._on_job)

    # --- layout -----------------------------------------------------------------------------------------------
    def _build(self) -> None:
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        # what is used most comes first, so that Run shows without scrolling: the input, whether the models are
        # there, Run and its progress; then the settings, set once
        self._add_input_rows(form)
        self._add_status_row(form)
        self._add_action_rows(form)
        self._add_model_rows(form)
        self._add_run_option_rows(form)
        self._lay_out(form)

    def _add_input_rows(self, form: QFormLayout) -> None:
        """Where the illustration comes from: a file, or the open document's source."""
        self.image_label = QLabel("no illustration: open one or drop it here")
        self.image_label.setWordWrap(True)
        open_button = QPushButton("Open illustration…")
        open_button.clicked.connect(self._browse_image)
        use_doc = QPushButton("Use the document's")
        use_doc.setToolTip("Decompose the open document's illustration (its source image)")
        use_doc.clicked.connect(self.use_session_source)
        form.addRow(open_button, use_doc)
        form.addRow(self.image_label)

    def _add_model_rows(self, form: QFormLayout) -> None:
        """Which models run: the models folder, the layer and depth model folders, the layer model's tag set."""
        from seethrough.core.models.catalog import default_models_dir

        settings = Settings()
        self.models_dir = QLineEdit(settings.get(keys.MODELS_FOLDER))
        self.models_dir.setPlaceholderText(f"default: {default_models_dir()}")
        self.models_dir.setToolTip("Searched first; then $SEETHROUGH_MODELS, the default models folder "
                                   f"{default_models_dir()}, ./models and the Hugging Face cache")
        self.models_dir.editingFinished.connect(self._models_dir_changed)
        models_row = QHBoxLayout()
        models_row.addWidget(self.models_dir)
        self.models_browse = QPushButton("Browse…")
        self.models_browse.clicked.connect(lambda: self._browse_folder(self.models_dir))
        models_row.addWidget(self.models_browse)
        form.addRow("Models folder", models_row)
        self.layer_model = QLineEdit(settings.get(keys.LAYER_MODEL))
        self.layer_model.setPlaceholderText("installed model (catalogue) — or choose a folder")
        self.depth_model = QLineEdit(settings.get(keys.DEPTH_MODEL))
        self.depth_model.setPlaceholderText("installed model (catalogue) — or choose a folder")
        for label, edit in (("Layer model", self.layer_model), ("Depth model", self.depth_model)):
            row = QHBoxLayout()
            row.addWidget(edit)
            browse = QPushButton("…")
            browse.clicked.connect(lambda _=False, e=edit: self._browse_folder(e))
            row.addWidget(browse)
            edit.editingFinished.connect(self.refresh_status)
            form.addRow(label, row)
        self.tagset = QComboBox()
        self.tagset.addItems(["v3", "v2"])
        self.tagset.currentTextChanged.connect(self.refresh_status)
        form.addRow("Tag set", self.tagset)

    def _add_run_option_rows(self, form: QFormLayout) -> None:
        """How a run goes: working sizes, steps, seed, memory mode, weights, device, and whether depth follows."""
        # ranges, steps, defaults and tooltips from DecomposeOptions' declaration (the CLI's flags come from it too)
        self.resolution = QSpinBox()
        bind_spin(self.resolution, DecomposeOptions, "resolution")
        form.addRow("Resolution", self.resolution)
        self.depth_resolution = QSpinBox()
        bind_spin(self.depth_resolution, DecomposeOptions, "depth_resolution")
        self.depth_resolution.setSingleStep(64)
        form.addRow("Depth resolution", self.depth_resolution)
        self.steps = QSpinBox()
        bind_spin(self.steps, DecomposeOptions, "steps")
        form.addRow("Steps", self.steps)
        self.seed = QSpinBox()
        bind_spin(self.seed, DecomposeOptions, "seed")
        form.addRow("Seed", self.seed)
        self.offload = QComboBox()
        bind_combo(self.offload, DecomposeOptions, "offload")
        form.addRow("Memory mode", self.offload)
        self.quantize = QComboBox()
        self.quantize.addItems(["bf16 (full)", "8-bit", "4-bit", "fp8"])
        self.quantize.setToolTip("8-bit/4-bit weights need bitsandbytes and a CUDA GPU "
                                 "(pip install 'seethrough-studio[lowvram]'); less memory, slightly lower quality. "
                                 "fp8 needs torchao and a GPU of compute capability 8.9+ (Ada, Hopper)")
        form.addRow("Weights", self.quantize)
        self.speed = QComboBox()
        self.speed.addItems(SPEED_CHOICES)
        self.speed.setToolTip("auto: torch.compile, channels-last, CUDA graphs … as suit the GPU found; eager: every "
                              "speed-up off (the reference path; docs/speed.md)")
        form.addRow("Speed", self.speed)
        self.device = QComboBox()
        self.device.addItems(["auto", "cuda", "cpu"])
        form.addRow("Device", self.device)
        self.with_depth = QCheckBox("Estimate pseudo-depth")
        self.with_depth.setChecked(True)
        self.with_depth.toggled.connect(self.refresh_status)
        form.addRow(self.with_depth)

    def _add_status_row(self, form: QFormLayout) -> None:
        """Which models are ready, or what is missing and how to get it."""
        # the missing-model message holds paths and a command to copy: selectable, wrapped anywhere, as tall as its
        # text (up to 14 lines, then it scrolls): never clipped, never overlapped by the rows below
        self.status = WrappedText(max_lines=14)
        form.addRow("Models", self.status)

    def _add_action_rows(self, form: QFormLayout) -> None:
        """Run, re-decompose a region and cancel; the run's progress and result; where to go next."""
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run")
        self.run_button.setShortcut("Ctrl+Return")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.region_button = QPushButton("Re-decompose region")
        self.region_button.clicked.connect(self.redecompose_region)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.region_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        self.progress = QProgressBar(minimum=0, maximum=1000)
        self.progress_label = QLabel("")
        form.addRow(self.progress)
        form.addRow(self.progress_label)
        # the run's outcome, or why it failed (paths and commands: wrapped anywhere, selectable, never clipped)
        self.result_label = WrappedText(max_lines=14, framed=False, hide_when_empty=True)
        form.addRow(self.result_label)
        next_row = QHBoxLayout()
        for text, key in (("→ Stratify", "stratify"), ("→ Preview", "preview"), ("Export PSD…", "export")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, k=key: self.go_to(k))
            next_row.addWidget(button)
        form.addRow(next_row)

    def _lay_out(self, form: QFormLayout) -> None:
        """One panel: the input's thumbnail over the settings. In the window it is a dock beside the document canvas
        (the result of a run and the region to redo are on the canvas); on its own the workspace shows it."""
        self.preview = QLabel("input preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(160, 160)
        self.preview.setMaximumHeight(220)
        self.settings_panel = QWidget()
        column = QVBoxLayout(self.settings_panel)
        column.addWidget(self.preview)
        column.addLayout(form)
        column.addStretch(1)
        # on its own the workspace scrolls the panel (squeezed, its rows would overlap); a dock has its own scroll
        self.settings_column = QScrollArea()
        self.settings_column.setWidget(self.settings_panel)
        self.settings_column.setWidgetResizable(True)
        self.settings_column.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.settings_column)
        self.setAcceptDrops(True)

    def panels(self) -> list[Panel]:
        # the window docks the panel (in a scroll area of its own): the standalone scroll area lets go of it first,
        # or both would lay it out
        if self.settings_column.widget() is self.settings_panel:
            self.settings_column.takeWidget()
        return [Panel("Decompose", self.settings_panel, Qt.DockWidgetArea.LeftDockWidgetArea, group="", extent=380)]

    # --- persisted options ----------------------------------------------------------------------------------
    def _restore_options(self) -> None:
        settings = Settings()
        self.tagset.setCurrentText(settings.get(keys.TAGSET))
        self.resolution.setValue(settings.get(keys.RESOLUTION))
        self.depth_resolution.setValue(settings.get(keys.DEPTH_RESOLUTION))
        self.steps.setValue(settings.get(keys.STEPS))
        self.seed.setValue(settings.get(keys.SEED))
        self.offload.setCurrentText(settings.get(keys.OFFLOAD))
        self.speed.setCurrentText(settings.get(keys.SPEED))
        self.device.setCurrentText(settings.get(keys.DEVICE))
        self.with_depth.setChecked(settings.get(keys.WITH_DEPTH))

    def save_options(self) -> None:
        """Remember the parameters for the next start (on every run and when the window closes)."""
        settings = Settings()
        settings.set(keys.MODELS_FOLDER, self.models_dir.text())
        settings.set(keys.LAYER_MODEL, self.layer_model.text())
        settings.set(keys.DEPTH_MODEL, self.depth_model.text())
        settings.set(keys.TAGSET, self.tagset.currentText())
        settings.set(keys.RESOLUTION, self.resolution.value())
        settings.set(keys.DEPTH_RESOLUTION, self.depth_resolution.value())
        settings.set(keys.STEPS, self.steps.value())
        settings.set(keys.SEED, self.seed.value())
        settings.set(keys.OFFLOAD, self.offload.currentText())
        settings.set(keys.SPEED, self.speed.currentText())
        settings.set(keys.DEVICE, self.device.currentText())
        settings.set(keys.WITH_DEPTH, self.with_depth.isChecked())

    def use_layer_model(self, folder: str) -> None:
        """Train → "use this model": the run's model folder becomes the layer model."""
        self.layer_model.setText(folder)
        self.refresh_status()
        self.go_to(self.key)

    # --- inputs -----------------------------------------------------------------------------------------------
    def options(self) -> DecomposeOptions:
        def folder(edit: QLineEdit) -> Path | None:
            return Path(edit.text()).expanduser() if edit.text().strip() else None

        return DecomposeOptions(
            tagset=self.tagset.currentText(), resolution=self.resolution.value(), steps=self.steps.value(),
            seed=self.seed.value(), depth=self.with_depth.isChecked(), depth_resolution=self.depth_resolution.value(),
            device=self.device.currentText(),
            offload=self.offload.currentText(),
            quantize=(None, "8bit", "4bit", "fp8")[self.quantize.currentIndex()],
            **(EAGER_OPTIONS if self.speed.currentText() == "eager" else {}),
            layer_model=folder(self.layer_model),
            depth_model=folder(self.depth_model), models_dir=folder(self.models_dir),
        )

    def refresh_status(self) -> None:
        """Look for the models again; the buttons follow, and a message about missing models goes once they are
        found."""
        try:
            lines = model_status(self.options())
        except SeeThroughError as exc:
            lines = [f"✘ {exc}"]
        text = "\n".join(lines)
        changed = text != self.status.toPlainText()
        self.status.setText(text)
        self.models_ready = all(line.startswith("✔") for line in lines)
        if self.models_ready and changed and self._message_cause == "models":
            self._say("")
        self._update_buttons()

    def _say(self, text: str, cause: str = "") -> None:
        """The message under the buttons: a result, or why something failed (`cause`: what makes it go away)."""
        self.result_label.setText(text)
        self._message_cause = cause if text else ""

    def set_image(self, rgba: np.ndarray, path: Path | None = None, from_document: bool = False) -> None:
        """The illustration to decompose: a file's (`path`), or the open document's own (`from_document`)."""
        self.image, self.image_path, self.image_from_document = rgba, path, from_document
        h, w = rgba.shape[:2]
        self.image_label.setText(f"{path.name if path else 'document source'} — {w}×{h}")
        self.preview.setPixmap(_preview(rgba, 384))
        if self._message_cause in ("input", "run"):  # said about the previous input
            self._say("")
        self.refresh_status()

    def open_image(self, path: Path) -> None:
        from seethrough.core.io.images import load_image

        try:
            self.set_image(load_image(path), path)
        except SeeThroughError as exc:
            self._say(f"Cannot open {path.name}: {exc}", "input")

    def use_session_source(self) -> None:
        doc = self.session.document
        if doc is not None:
            self.set_image(doc.source_or_composite(), self.session.path, from_document=True)

    def _browse_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open illustration", "", "Images (*.png *.jpg *.jpeg *.webp *.bmp)")
        if path:
            self.open_image(Path(path))

    def _models_dir_changed(self) -> None:
        Settings().set(keys.MODELS_FOLDER, self.models_dir.text())
        self.refresh_status()

    def _browse_folder(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", edit.text())
        if folder:
            edit.setText(folder)
            if edit is self.models_dir:
                Settings().set(keys.MODELS_FOLDER, folder)
            self.refresh_status()

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt API
        urls = event.mimeData().urls()
        if urls:
            self.open_image(Path(urls[0].toLocalFile()))

    # --- running ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Decompose the illustration in the `decompose` lane; the result replaces the document as one undo step."""
        if self.image is None or not self.models_ready or self._busy():
            return
        options = self.options()
        self.save_options()
        if options.device == "cpu" or options.device == "auto":
            self.progress_label.setText("Running; on a CPU this takes minutes per step at full resolution.")
        self._say("")
        self.progress.setValue(0)
        self._started = time.monotonic()
        name = self.image_path.name if self.image_path and not self.image_from_document else "decomposition"
        op = Decompose(image=None if self.image_from_document else self.image_path, options=options)
        # the plan reads the illustration shown here (a file's, the document's, or one handed over in memory), never
        # the open document: what runs is what the user sees
        shown = Document(self.image.shape[1::-1], [], source=self.image.copy())
        snapshot = shown.snapshot()

        def plan(progress: Callable[[float, str], None], is_cancelled: Callable[[], bool]) -> Planned:
            return op.plan(snapshot, Context(progress, is_cancelled, self.engines))

        def apply(planned: Planned) -> None:
            doc = self.session.document
            if doc is None:  # nothing was open: the decomposition becomes the document (Undo goes back to the image)
                commit(shown, snapshot, op, planned)
                self.session.set_document(shown, None)
            else:  # it replaces what is open as one undo step
                commit(doc, doc.snapshot(), op, planned)
            self._on_finished(name)

        self.job = self.jobs.submit(op.describe(), plan, apply, self._on_failed, lane=LANE)
        self._update_buttons()

    def _busy(self) -> bool:
        return self.job is not None and self.job.state.active

    def _update_buttons(self, *_: object) -> None:
        """Run is enabled exactly when there is an input, the models are there and nothing runs; Re-decompose
        region when the document has a source, a region is selected, the models are there and nothing runs. A
        disabled button's tooltip says what is missing."""
        busy = self._busy()
        missing = None if self.models_ready else "The models are missing: the Models box says which and how to get them"
        run_why = ("A decomposition is running" if busy else
                   "Open an illustration first (Open illustration…, Use the open document, or drop one here)"
                   if self.image is None else missing)
        self.run_button.setEnabled(run_why is None)
        self.run_button.setToolTip(run_why or "Decompose the illustration into layers (Ctrl+Return)")
        doc, region = self.session.document, self.session.region
        region_why = ("A decomposition is running" if busy else
                      "The open document has no source illustration: decompose one first" if doc is None
                      or doc.source is None else
                      "Select a region on the canvas first (View ▸ Select Region, R)" if region is None else missing)
        self.region_button.setEnabled(region_why is None)
        self.region_button.setToolTip(region_why or REGION_TIP)
        self.region_button.setText("Re-decompose region" if region is None else
                                   f"Re-decompose region {region[2] - region[0]}×{region[3] - region[1]}")
        self.cancel_button.setEnabled(busy)

    def redecompose_region(self) -> None:
        """Decompose the selected region again (decompose lane); the result is one undo step on the document."""
        region = self.session.region
        if region is None or self.session.document is None or not self.models_ready or self._busy():
            return
        self._say("")
        self.progress.setValue(0)
        self._started = time.monotonic()
        op = RedecomposeRegion(box=region, options=self.options())
        self.job = run_operation(self.session, self.jobs, op, self, lambda _c: self._on_region_done(),
                                 self._on_failed, lane=LANE, resources=self.engines, show_errors=False)
        self._update_buttons()

    def _on_region_done(self) -> None:
        self.progress.setValue(1000)
        self._say(f"Region re-decomposed in {time.monotonic() - self._started:.1f} s (Ctrl+Z undoes it)")
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.progress_label.setText("cancelling after this step…")

    def _on_job(self, job: Job) -> None:
        if job is not self.job:
            return
        if job.state.active and job.started_at:
            self._on_progress(job.progress, job.message)
        elif not job.state.active:
            self._update_buttons()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        elapsed = time.monotonic() - self._started
        eta = elapsed / fraction * (1 - fraction) if fraction > 0.01 else None
        self.progress_label.setText(message + (f" — about {eta:.0f} s left" if eta is not None else ""))

    def _on_finished(self, name: str) -> None:
        """The decomposition replaced the document (one undo step): say how long it took and how well the layers
        reconstruct the illustration (checked in a job)."""
        from seethrough.core.metrics import reconstruction_check

        seconds = time.monotonic() - self._started
        self.session.path, self.session.display_name = None, name  # Save asks where: it is a new document
        self.session.set_region(None)  # a region of the old document means nothing on the new one
        self.progress.setValue(1000)
        doc = self.session.require_document()
        count, snapshot = len(doc.layers), self.session.snapshot()
        self._say(f"{count} layers in {seconds:.1f} s")
        self.jobs.submit("Reconstruction check", lambda p, c: reconstruction_check(snapshot),
                         lambda report: self._say(f"{count} layers in {seconds:.1f} s — reconstruction PSNR "
                                                  f"{report.psnr:.1f} dB, SSIM {report.ssim:.3f}"),
                         lane="reconstruction")
        self._update_buttons()

    def _on_failed(self, exc: BaseException) -> None:
        self.progress.setValue(0)
        title = getattr(exc, "title", "Decomposition failed")
        self._say(f"{title}: {exc}", "models" if isinstance(exc, ModelNotFound) else "run")
        self.progress_label.setText("")
        self.refresh_status()  # a model that went missing shows in the Models box, and the buttons follow

    def shutdown(self) -> None:
        """Remember the parameters; a workspace on its own (no window) stops and joins its own worker."""
        self.save_options()
        if self._own_jobs:
            self.jobs.stopping()
            self.jobs.wait(600_000)  # model loading cannot be interrupted: wait for it, never abandon a torch thread
