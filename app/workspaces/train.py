"""The Train workspace: pick a dataset and a job, start/stop/resume a run (as one process or several), watch its
curves and checkpoints.

The curves hold one point per step: a resumed run's history is read once from `metrics.jsonl` and the new run's
events are added to it (a step computed again after a resume from an older checkpoint replaces its point). The
ETA is the resumed run's own pace: the steps it has done in the seconds it has trained (`elapsed_s`).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from pathlib import Path

import pyqtgraph as pg
import yaml
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from seethrough.app import settings as keys
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings
from seethrough.app.workspaces.base import Workspace
from seethrough.app.workspaces.train_process import TrainingProcess
from seethrough.core.io.strict_yaml import load_yaml
from seethrough.training.config import JOBS, JOBS_WITH_VALIDATION_IMAGES, packaged_configs
from seethrough.training.events import read_metrics


def dataset_summary(folder: Path) -> tuple[str, list[Path]]:
    """A one-line description of an exported dataset and up to 4 composite thumbnails."""
    index = folder / "dataset.json"
    if not index.exists():
        return f"{folder} has no dataset.json: export one from the Annotate workspace", []
    from seethrough.core.dataset_layout import read_dataset
    from seethrough.core.errors import BadInput

    try:
        data = read_dataset(folder)  # validated: sample ids are folder names inside the dataset
    except (BadInput, OSError) as exc:
        return f"dataset.json cannot be used: {exc}", []
    splits: dict[str, int] = {}
    for s in data.samples:
        splits[s.split] = splits.get(s.split, 0) + 1
    thumbs = [data.folder(s.id) / "composite.png" for s in data.samples[:4]]
    split_text = ", ".join(f"{k} {v}" for k, v in sorted(splits.items()))
    return f"{len(data.samples)} samples ({split_text}); {len(data.tags)} tags ({data.taxonomy})", thumbs


def _batch_size_in(config: Path) -> int:
    raw = load_yaml(config) or {}
    value = raw.get("batch_size", 1) if isinstance(raw, dict) else 1
    return value if isinstance(value, int) and value > 0 else 1


def _checkpoint_of(event: dict) -> str:
    """The checkpoint (or final model) an event reports, or ""."""
    key = {"checkpoint": "path", "stopped": "checkpoint", "done": "model_dir"}.get(event["event"])
    return str(event.get(key) or "") if key else ""


def eta_seconds(step: int, run_start_step: int, max_steps: int, elapsed_s: float) -> float | None:
    """Seconds left at the pace of the run going now: the steps it has done since it started (or resumed) at
    `run_start_step`, in the seconds it has trained. None before it has a pace."""
    done = step - run_start_step
    if done <= 0 or elapsed_s <= 0 or max_steps <= 0:
        return None
    return max(0.0, elapsed_s / done * (max_steps - step))


def validation_note(job: str, every: int | None = None) -> str:
    """What the validation panel says before the first image: true for the job."""
    if job in JOBS_WITH_VALIDATION_IMAGES:
        when = f"every {every} steps" if every else "while it trains"
        return f"The {job} job shows a validation image here {when}."
    return f"The {job} job makes no validation images: its loss curve shows how it trains."


def wrapping_label(text: str = "") -> QLabel:
    """A label that wraps its text and never widens its layout: a word longer than the space (a path) is cut,
    and the tooltip holds the whole text (`set_text`)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setToolTip(text)
    return label


def set_text(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setToolTip(text)


class TrainWorkspace(Workspace):
    title = "Train"
    key = "train"
    #: a trained model folder the user wants Decompose to use

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.process = TrainingProcess(self)
        self.process.training_event.connect(self._on_event)
        self.process.log_line.connect(self._on_log)
        self.process.running_changed.connect(self._on_running)
        self._steps: list[int] = []  # sorted, each step once
        self._loss: list[float] = []
        self._lr: list[float] = []
        self._max_steps = 0
        self._run_start_step = 0  # where the run going now started (a resumed run: its checkpoint's step)
        self._started = 0.0
        self._build()
        self._refresh_configs()

    # --- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget()
        form = QFormLayout(left)
        self.dataset_edit = QLineEdit()
        self.dataset_edit.setPlaceholderText("folder exported by Annotate ▸ Export dataset…")
        self.dataset_edit.editingFinished.connect(self._refresh_dataset)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_dataset)
        row = QHBoxLayout()
        row.addWidget(self.dataset_edit)
        row.addWidget(browse)
        form.addRow("Dataset", row)
        self.dataset_info = wrapping_label("no dataset chosen")
        form.addRow("", self.dataset_info)
        self.thumbs = QHBoxLayout()
        form.addRow("", self.thumbs)
        self.config_combo = QComboBox()
        self.config_combo.currentIndexChanged.connect(self._load_config_into_form)
        form.addRow("Config", self.config_combo)
        self.job_combo = QComboBox()
        self.job_combo.addItems(JOBS)
        self.job_combo.currentTextChanged.connect(self._on_job_chosen)
        form.addRow("Job", self.job_combo)
        self.lr_spin = QDoubleSpinBox(decimals=7, minimum=1e-7, maximum=1.0, singleStep=1e-5, value=4e-5)
        form.addRow("Learning rate", self.lr_spin)
        self.steps_spin = QSpinBox(minimum=1, maximum=10_000_000, value=20000)
        form.addRow("Steps", self.steps_spin)
        self.batch_spin = QSpinBox(minimum=1, maximum=1024, value=1)
        form.addRow("Batch size", self.batch_spin)
        self.res_spin = QSpinBox(minimum=32, maximum=2048, singleStep=32, value=1024)
        form.addRow("Resolution", self.res_spin)
        self.ckpt_spin = QSpinBox(minimum=1, maximum=1_000_000, value=1000)
        form.addRow("Checkpoint every", self.ckpt_spin)
        self.precision_combo = QComboBox()
        self.precision_combo.addItems(["bf16", "fp16", "no"])
        form.addRow("Mixed precision", self.precision_combo)
        self.processes_spin = QSpinBox(minimum=1, maximum=64, value=1)
        self.processes_spin.setToolTip(
            "Training processes (accelerate launch): one per GPU. The batch size is the global batch, shared out "
            "among them, so it must be a multiple of this. With fewer GPUs than processes they run on the CPU."
        )
        form.addRow("Processes", self.processes_spin)
        self.output_edit = QLineEdit(str(Path.home() / "seethrough-runs" / "run"))
        self.output_browse = QPushButton("Browse…")
        self.output_browse.clicked.connect(self._browse_output)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit)
        output_row.addWidget(self.output_browse)
        form.addRow("Output", output_row)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        for b in (self.start_button, self.stop_button, self.resume_button):
            buttons.addWidget(b)
        form.addRow(buttons)
        self.status_label = wrapping_label("idle")
        form.addRow("Status", self.status_label)

        right = QSplitter(Qt.Orientation.Vertical)
        self.loss_plot = pg.PlotWidget(title="loss")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#e0a030", width=2))
        self.lr_plot = pg.PlotWidget(title="learning rate")
        self.lr_plot.setLabel("bottom", "step")
        self.lr_curve = self.lr_plot.plot(pen=pg.mkPen("#30a0e0", width=2))
        right.addWidget(self.loss_plot)
        right.addWidget(self.lr_plot)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        ckpt_box = QGroupBox("Checkpoints")
        ckpt_layout = QVBoxLayout(ckpt_box)
        self.checkpoints = QListWidget()
        ckpt_layout.addWidget(self.checkpoints)
        self.use_button = QPushButton("Use this model for Decompose")
        self.use_button.clicked.connect(self._use_selected)
        ckpt_layout.addWidget(self.use_button)
        validation_box = QGroupBox("Validation")
        validation_layout = QVBoxLayout(validation_box)
        self.validation_image = wrapping_label(validation_note(self.job_combo.currentText()))
        self.validation_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.validation_image.setMinimumSize(160, 160)
        validation_layout.addWidget(self.validation_image)
        self.log_view = QPlainTextEdit(readOnly=True)
        self.log_view.setMaximumBlockCount(5000)
        bottom.addWidget(ckpt_box)
        bottom.addWidget(validation_box)
        bottom.addWidget(self.log_view)
        right.addWidget(bottom)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    # --- dataset and config -----------------------------------------------------------------------------
    def _browse_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", self.dataset_edit.text())
        if folder:
            self.dataset_edit.setText(folder)
            self._refresh_dataset()

    def _browse_output(self) -> None:
        """The run's folder: the dialog starts at the one in the field, or the nearest folder above it that exists."""
        current = Path(self.output_edit.text().strip() or Path.home()).expanduser()
        start = next((p for p in (current, *current.parents) if p.is_dir()), Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Output folder of the run", str(start))
        if folder:
            self.output_edit.setText(folder)

    def _refresh_dataset(self) -> None:
        text, thumbs = dataset_summary(Path(self.dataset_edit.text()))
        set_text(self.dataset_info, text)
        while self.thumbs.count():
            item = self.thumbs.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for path in thumbs:
            label = QLabel()
            label.setPixmap(QPixmap(str(path)).scaled(64, 64, Qt.AspectRatioMode.KeepAspectRatio))
            self.thumbs.addWidget(label)

    def _refresh_configs(self) -> None:
        self.config_combo.clear()
        for name, path in packaged_configs().items():  # the names `seethrough-gui train NAME` accepts
            self.config_combo.addItem(name, str(path))

    def _load_config_into_form(self) -> None:
        path = self.config_combo.currentData()
        if not path:
            return
        raw = load_yaml(path) or {}
        self.job_combo.setCurrentText(str(raw.get("job", "vae")))
        self.lr_spin.setValue(float(raw.get("lr", 4e-5)))
        self.steps_spin.setValue(int(raw.get("max_steps", 20000)))
        self.batch_spin.setValue(int(raw.get("batch_size", 1)))
        self.res_spin.setValue(int(raw.get("resolution", 1024)))
        self.ckpt_spin.setValue(int(raw.get("checkpoint_every", 1000)))
        self.precision_combo.setCurrentText(str(raw.get("mixed_precision", "bf16")))

    def write_config(self, output: Path) -> Path:
        """The form (over the chosen base config) as `<output>/config.yaml`."""
        base_path = self.config_combo.currentData()
        raw = load_yaml(base_path) if base_path else {}
        raw = dict(raw or {})
        raw.update(
            job=self.job_combo.currentText(),
            data=self.dataset_edit.text(),
            lr=self.lr_spin.value(),
            max_steps=self.steps_spin.value(),
            batch_size=self.batch_spin.value(),
            resolution=self.res_spin.value(),
            checkpoint_every=self.ckpt_spin.value(),
            mixed_precision=self.precision_combo.currentText(),
        )
        output.mkdir(parents=True, exist_ok=True)
        path = output / "config.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        return path

    # --- run control ------------------------------------------------------------------------------------
    def start(self, resume: bool = False) -> None:
        output = Path(self.output_edit.text())
        if not (Path(self.dataset_edit.text()) / "dataset.json").exists():
            QMessageBox.warning(self, "No dataset", "Choose a dataset folder exported by the Annotate workspace.")
            return
        if resume and not (output / "checkpoints").exists():
            QMessageBox.warning(self, "Nothing to resume", f"{output} has no checkpoints yet.")
            return
        processes = self.processes_spin.value()
        reuse = resume and (output / "config.yaml").exists()
        batch = _batch_size_in(output / "config.yaml") if reuse else self.batch_spin.value()
        if batch % processes:
            QMessageBox.warning(self, "Batch size and processes",
                                f"The batch size ({batch}) is shared out among the processes: it must be a multiple "
                                f"of {processes}.")
            return
        config = output / "config.yaml" if reuse else self.write_config(output)
        self._clear_run()
        if resume:
            self._load_history(output)
        self._started = time.monotonic()
        self.process.start(config, output, resume=resume, processes=processes)
        set_text(self.status_label, "starting…")

    def stop(self) -> None:
        self.process.request_stop()
        set_text(self.status_label, "stopping (saving a checkpoint)…")

    def _clear_run(self) -> None:
        self._steps, self._loss, self._lr = [], [], []
        self.loss_curve.setData([], [])
        self.lr_curve.setData([], [])
        self.checkpoints.clear()

    def _load_history(self, output: Path) -> None:
        """The curves and checkpoints of the runs recorded in `output` so far, each step once."""
        for event in read_metrics(output):
            if event["event"] == "metrics":
                self._add_point(event)
            elif checkpoint := _checkpoint_of(event):
                self._add_checkpoint(checkpoint)
        self._draw_curves()

    def _on_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if not running and not self.status_label.text().startswith(("done", "stopped", "error")):
            set_text(self.status_label, "not running")

    def _on_job_chosen(self, job: str) -> None:
        if self.validation_image.pixmap().isNull():
            set_text(self.validation_image, validation_note(job))

    def _on_event(self, event: dict) -> None:
        kind = event["event"]
        if kind == "start":
            self._max_steps = int(event.get("max_steps") or 0)
            self._run_start_step = int(event.get("resumed_from_step") or 0)
            self._started = time.monotonic()
            self.validation_image.clear()
            set_text(self.validation_image, validation_note(str(event.get("job")), event.get("validation_every")))
        elif kind == "metrics":
            self._add_point(event)
            self._draw_curves()
            set_text(self.status_label, self._status_text(event))
        elif kind == "validation" and event.get("images"):
            pixmap = QPixmap(event["images"][0])
            self.validation_image.setPixmap(pixmap.scaled(160, 160, Qt.AspectRatioMode.KeepAspectRatio))
        if checkpoint := _checkpoint_of(event):
            self._add_checkpoint(checkpoint)
        if kind == "done":  # the path is the last entry under Checkpoints, and the tooltip
            set_text(self.status_label, f"done at step {event.get('step')}: the model is in "
                                        f"{Path(str(event.get('model_dir'))).name}/ of the run folder")
            self.status_label.setToolTip(str(event.get("model_dir")))
        elif kind == "stopped":
            set_text(self.status_label, f"stopped at step {event.get('step')} (resumable)")
        elif kind == "error":
            set_text(self.status_label, f"error: {event.get('message')}")

    def _add_point(self, event: dict) -> None:
        """One step's loss and learning rate; a step seen again (recomputed after a resume) replaces its point."""
        step = int(event["step"])
        loss = float(event["loss"]) if event.get("loss") is not None else float("nan")
        lr = float(event.get("lr") or 0.0)
        i = bisect_left(self._steps, step)
        if i < len(self._steps) and self._steps[i] == step:
            self._loss[i], self._lr[i] = loss, lr
        else:
            self._steps.insert(i, step)
            self._loss.insert(i, loss)
            self._lr.insert(i, lr)

    def _draw_curves(self) -> None:
        self.loss_curve.setData(self._steps, self._loss)
        self.lr_curve.setData(self._steps, self._lr)

    def _add_checkpoint(self, path: str) -> None:
        """List a checkpoint (or the final model) once; drop those the run has since deleted (it keeps the
        newest few)."""
        for row in reversed(range(self.checkpoints.count())):
            listed = _checkpoint_path(self.checkpoints.item(row))
            if listed == path or not Path(listed).exists():
                self.checkpoints.takeItem(row)
        if Path(path).exists():  # shown inside the run's folder (the whole path in the tooltip)
            try:
                shown = str(Path(path).relative_to(Path(self.output_edit.text())))
            except ValueError:
                shown = path
            item = QListWidgetItem(shown)
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            self.checkpoints.addItem(item)

    def _status_text(self, event: dict) -> str:
        step = int(event["step"])
        rate = event.get("samples_per_s") or 0.0
        parts = [f"step {step}/{self._max_steps or '?'}", f"loss {event.get('loss', float('nan')):.4g}"]
        if rate:
            parts.append(f"{rate:.2f} samples/s")
        elapsed = event.get("elapsed_s")  # the trainer's own clock; an older trainer has none: ours from its start
        eta = eta_seconds(step, self._run_start_step, self._max_steps,
                          float(elapsed) if elapsed is not None else time.monotonic() - self._started)
        if eta is not None:
            parts.append(f"ETA {eta:.0f} s")
        if event.get("gpu_mem_mb"):
            parts.append(f"GPU {event['gpu_mem_mb']:.0f} MB")
        return " · ".join(parts)

    def _on_log(self, line: str) -> None:
        if not line.startswith('{"event"'):
            self.log_view.appendPlainText(line)

    def _use_selected(self) -> None:
        item = self.checkpoints.currentItem() or (self.checkpoints.item(self.checkpoints.count() - 1))
        if item is None:
            return
        Settings().set(keys.LAYER_MODEL, _checkpoint_path(item))
        self.session.layer_model_chosen.emit(_checkpoint_path(item))

    # --- app lifetime --------------------------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """Called by the main window before quitting: stop the run, keep it running, or cancel closing."""
        if not self.process.is_running():
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                          "A training run is still going. Stop it (a checkpoint is saved) or keep it running?",
                          parent=self)
        stop = box.addButton("Stop training", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep running", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is stop:
            self.process.request_stop()
            return True
        return box.clickedButton() is keep


def _checkpoint_path(item: QListWidgetItem) -> str:
    """The whole path of a listed checkpoint."""
    return str(item.data(Qt.ItemDataRole.UserRole) or item.text())
