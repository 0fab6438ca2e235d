"""The pose panel: a slider per model parameter (the model re-renders, debounced, while a slider moves), the
pose-sweep list (the default angle sweep or a loaded pose file; picking one poses the model), and the export
buttons with a progress bar and Cancel for the running job."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from seethrough.annotation.model import Parameter
from seethrough.annotation.poses import Pose, default_poses, load_poses
from seethrough.annotation.session import AnnotationState
from seethrough.app.errors import show_error
from seethrough.app.workspaces.annotate.mesh_model import displayable
from seethrough.core.errors import BadInput

STEPS = 200
DEBOUNCE_MS = 40


class PosePanel(QWidget):
    #: the sliders settled on new values: parameter id → value (all parameters)
    pose_changed = Signal(dict)
    export_dataset_requested = Signal()
    export_psd_requested = Signal()
    open_in_stratify_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parameters: list[Parameter] = []
        self.sliders: dict[str, QSlider] = {}
        self.poses: list[Pose] = []
        self._quiet = False
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(lambda: self.pose_changed.emit(self.values()))

        self.slider_box = QWidget()
        self.slider_grid = QGridLayout(self.slider_box)
        self.slider_grid.setContentsMargins(2, 2, 2, 2)
        scroll = QScrollArea()
        scroll.setWidget(self.slider_box)
        scroll.setWidgetResizable(True)
        reset = QPushButton("Reset pose")
        reset.clicked.connect(lambda: self.set_values({p.id: p.default for p in self.parameters}, emit=True))

        self.sweep = QListWidget()
        self.sweep.setMaximumHeight(120)
        self.sweep.currentRowChanged.connect(self._on_sweep_row)
        load = QPushButton("Load pose list…")
        load.clicked.connect(self._load_pose_list)

        buttons = QHBoxLayout()
        for text, signal in (("Export dataset…", self.export_dataset_requested),
                             ("Export PSD…", self.export_psd_requested),
                             ("Open in Stratify", self.open_in_stratify_requested)):
            button = QPushButton(text)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        self.progress = QProgressBar(maximum=1000, textVisible=True)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_requested.emit)
        job_row = QHBoxLayout()
        job_row.addWidget(self.progress, 1)
        job_row.addWidget(self.cancel)
        self.job_label = QLabel("")

        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Pose</b>"))
        top.addStretch(1)
        top.addWidget(reset)
        sweep_row = QHBoxLayout()
        sweep_row.addWidget(QLabel("Pose sweep (exported samples)"))
        sweep_row.addStretch(1)
        sweep_row.addWidget(load)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        layout.addLayout(sweep_row)
        layout.addWidget(self.sweep)
        layout.addLayout(buttons)
        layout.addWidget(self.job_label)
        layout.addLayout(job_row)
        self.job_finished()

    # --- parameters ----------------------------------------------------------------------------------------
    def set_state(self, state: AnnotationState | None) -> None:
        while self.slider_grid.count():
            item = self.slider_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.sliders = {}
        self.parameters = list(state.model.parameters) if state else []
        values = state.model.parameter_values() if state else {}
        for row, p in enumerate(self.parameters):
            label = QLabel(f"{p.id} · {p.name}" if p.name and displayable(p.name) else p.id)
            label.setToolTip(f"{p.id} {p.name}  [{p.min:g} … {p.max:g}], default {p.default:g}")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, STEPS)
            slider.setToolTip(label.toolTip())
            slider.valueChanged.connect(self._on_slider)
            self.slider_grid.addWidget(label, row, 0)
            self.slider_grid.addWidget(slider, row, 1)
            self.sliders[p.id] = slider
        self.set_values(values)
        self.set_poses(default_poses(state.model) if state else [])

    def _position(self, p: Parameter, value: float) -> int:
        return round((value - p.min) / max(p.max - p.min, 1e-9) * STEPS)

    def values(self) -> dict[str, float]:
        return {p.id: p.min + self.sliders[p.id].value() / STEPS * (p.max - p.min) for p in self.parameters}

    def set_values(self, values: dict[str, float], emit: bool = False) -> None:
        """Move the sliders (parameters not given go to their defaults)."""
        self._quiet = True
        try:
            for p in self.parameters:
                self.sliders[p.id].setValue(self._position(p, values.get(p.id, p.default)))
        finally:
            self._quiet = False
        if emit:
            self._debounce.start()

    def _on_slider(self, _value: int) -> None:
        if not self._quiet:
            self._debounce.start()

    # --- pose sweep ------------------------------------------------------------------------------------------
    def set_poses(self, poses: list[Pose]) -> None:
        self.poses = list(poses)
        self.sweep.blockSignals(True)
        self.sweep.clear()
        for name, values in self.poses:
            text = name + ("  " + ", ".join(f"{k}={v:g}" for k, v in values.items()) if values else "")
            self.sweep.addItem(QListWidgetItem(text))
        self.sweep.blockSignals(False)

    def _on_sweep_row(self, row: int) -> None:
        if 0 <= row < len(self.poses):
            self.set_values(self.poses[row][1], emit=True)

    def _load_pose_list(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load pose list", "", "Pose list (*.json)")
        if path:
            self.load_pose_list(Path(path))

    def load_pose_list(self, path: Path) -> None:
        try:
            poses = load_poses(path)
            known = {p.id for p in self.parameters}
            for name, values in poses:
                unknown = sorted(set(values) - known)
                if unknown:
                    raise BadInput(f"pose {name!r} sets parameter(s) this model does not have: {', '.join(unknown)}")
        except BadInput as exc:
            show_error(self, exc)
            return
        self.set_poses(poses)

    # --- jobs ---------------------------------------------------------------------------------------------------
    def job_started(self, title: str) -> None:
        self.job_label.setText(title)
        self.progress.setValue(0)
        for w in (self.progress, self.cancel, self.job_label):
            w.show()

    def job_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if message:
            self.progress.setFormat(message)

    def job_finished(self) -> None:
        self.progress.setFormat("%p%")
        for w in (self.progress, self.cancel, self.job_label):
            w.hide()
