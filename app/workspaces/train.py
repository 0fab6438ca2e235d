"""The Train workspace: pick a dataset and a job, start/stop/resume a run, watch its curves and checkpoints."""

from __future__ import annotations

import time
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
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
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
from seethrough.core.paths import resource
from seethrough.training.config import JOBS


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
        self._steps: list[int] = []
        self._loss: list[float] = []
        self._lr: list[float] = []
        self._max_steps = 0
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
        self.dataset_info = QLabel("no dataset chosen")
        self.dataset_info.setWordWrap(True)
        form.addRow("", self.dataset_info)
        self.thumbs = QHBoxLayout()
        form.addRow("", self.thumbs)
        self.config_combo = QComboBox()
        self.config_combo.currentIndexChanged.connect(self._load_config_into_form)
        form.addRow("Config", self.config_combo)
        self.job_combo = QComboBox()
        self.job_combo.addItems(JOBS)
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
        self.status_label = QLabel("idle")
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
        use = QPushButton("Use this model for Decompose")
        use.clicked.connect(self._use_selected)
        ckpt_layout.addWidget(use)
        self.validation_image = QLabel("validation images appear here")
        self.validation_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.validation_image.setMinimumSize(160, 160)
        self.log_view = QPlainTextEdit(readOnly=True)
        self.log_view.setMaximumBlockCount(5000)
        bottom.addWidget(ckpt_box)
        bottom.addWidget(self.validation_image)
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
        self.dataset_info.setText(text)
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
        for path in sorted(resource("configs").glob("*.yaml")):
            self.config_combo.addItem(path.stem, str(path))

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
        config = output / "config.yaml" if resume and (output / "config.yaml").exists() else self.write_config(output)
        if not resume:
            self._steps, self._loss, self._lr = [], [], []
            self.checkpoints.clear()
        self._started = time.monotonic()
        self.process.start(config, output, resume=resume)
        self.status_label.setText("starting…")

    def stop(self) -> None:
        self.process.request_stop()
        self.status_label.setText("stopping (saving a checkpoint)…")

    def _on_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if not running and not self.status_label.text().startswith(("done", "stopped", "error")):
            self.status_label.setText("not running")

    def _on_event(self, event: dict) -> None:
        kind = event["event"]
        if kind == "start":
            self._max_steps = int(event.get("max_steps") or 0)
        elif kind == "metrics":
            self._steps.append(int(event["step"]))
            self._loss.append(float(event["loss"]) if event.get("loss") is not None else float("nan"))
            self._lr.append(float(event.get("lr") or 0.0))
            self.loss_curve.setData(self._steps, self._loss)
            self.lr_curve.setData(self._steps, self._lr)
            self.status_label.setText(self._status_text(event))
        elif kind == "checkpoint":
            self.checkpoints.addItem(str(event["path"]))
        elif kind == "validation" and event.get("images"):
            pixmap = QPixmap(event["images"][0])
            self.validation_image.setPixmap(pixmap.scaled(160, 160, Qt.AspectRatioMode.KeepAspectRatio))
        elif kind == "done":
            self.checkpoints.addItem(str(event["model_dir"]))
            self.status_label.setText(f"done at step {event.get('step')}: {event.get('model_dir')}")
        elif kind == "stopped":
            self.status_label.setText(f"stopped at step {event.get('step')} (resumable)")
        elif kind == "error":
            self.status_label.setText(f"error: {event.get('message')}")

    def _status_text(self, event: dict) -> str:
        step = int(event["step"])
        rate = event.get("samples_per_s") or 0.0
        parts = [f"step {step}/{self._max_steps or '?'}", f"loss {event.get('loss', float('nan')):.4g}"]
        if rate:
            parts.append(f"{rate:.2f} samples/s")
        if self._max_steps and step:
            elapsed = time.monotonic() - self._started
            parts.append(f"ETA {max(0.0, elapsed / step * (self._max_steps - step)):.0f} s")
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
        Settings().set(keys.LAYER_MODEL, item.text())
        self.session.layer_model_chosen.emit(item.text())

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
