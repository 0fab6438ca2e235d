"""Exporting the Preview's motion: a recorder for mouse-drawn pointer paths, the export dialog, and the job that
renders and writes the frames (core.animate + core.io.animation) off the UI thread, with progress and cancel."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from seethrough.app.jobs import Job, JobManager
from seethrough.core.animate import PRESETS, AnimationSettings
from seethrough.core.parallax import MotionSettings

#: a recorded path keeps at most this many samples (about 10 minutes at 60 Hz)
MAX_SAMPLES = 36_000
FILTER = "MP4 video (*.mp4);;Animated GIF (*.gif);;Animated WebP (*.webp);;PNG frames (folder) (*)"


class PathRecorder(QObject):
    """Records the Preview's pointer as (t, x, y) samples while recording is on."""

    recording_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.samples: list[tuple[float, float, float]] = []
        self.recording = False
        self._start = 0.0

    def start(self) -> None:
        self.samples = []
        self.recording = True
        self._start = time.monotonic()
        self.recording_changed.emit(True)

    def stop(self) -> None:
        self.recording = False
        self.recording_changed.emit(False)

    def add(self, x: float, y: float, t: float | None = None) -> None:
        if self.recording and len(self.samples) < MAX_SAMPLES:
            self.samples.append((time.monotonic() - self._start if t is None else t, float(x), float(y)))

    @property
    def duration(self) -> float:
        return self.samples[-1][0] if self.samples else 0.0


class AnimationExportDialog(QDialog):
    """Where to, how long, how big, which motion: the settings of one export."""

    def __init__(self, recorder: PathRecorder, motion: MotionSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.recorder = recorder
        self.motion = motion
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.output = QLineEdit()
        self.output.setPlaceholderText("preview.mp4, preview.gif, preview.webp or a folder for PNG frames")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.path = QComboBox()
        self.path.addItems(list(PRESETS))
        if recorder.samples:
            self.path.addItem("recorded")
            self.path.setCurrentText("recorded")
        form.addRow("Motion", self.path)
        self.seconds = QDoubleSpinBox(minimum=0.1, maximum=600.0, value=max(4.0, round(recorder.duration, 1)))
        self.seconds.setSuffix(" s")
        form.addRow("Duration", self.seconds)
        self.fps = QSpinBox(minimum=1, maximum=120, value=30)
        form.addRow("Frames per second", self.fps)
        self.size = QSpinBox(minimum=0, maximum=8192, value=1024, singleStep=64)
        self.size.setSpecialValueText("canvas size")
        form.addRow("Longest side", self.size)
        self.background = QComboBox()
        self.background.addItems(["transparent", "#ffffff", "#000000", "#00b140"])
        self.background.setEditable(True)
        form.addRow("Background", self.background)
        self.loop = QSpinBox(minimum=0, maximum=65535, value=0)
        self.loop.setSpecialValueText("forever")
        form.addRow("Loop (GIF/WebP)", self.loop)
        self.overwrite = QCheckBox("Replace the file if it exists")
        form.addRow(self.overwrite)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export animation", self.output.text(), FILTER)
        if name:
            self.output.setText(name)

    def settings(self) -> AnimationSettings:
        from seethrough.core.animate import parse_colour

        path = self.path.currentText()
        return AnimationSettings(
            seconds=float(self.seconds.value()), fps=int(self.fps.value()), size=self.size.value() or None,
            background=parse_colour(self.background.currentText()), path=path,
            samples=tuple(self.recorder.samples) if path == "recorded" else (), motion=replace(self.motion),
        )


def submit_export(jobs: JobManager, snapshot: object, settings: AnimationSettings, output: Path, loop: int,
                  overwrite: bool, on_done: object = None) -> Job:
    """Render and write the animation in the `main` lane (progress in the status bar, Cancel stops it)."""
    from seethrough.core.animate import check_memory, render_frames
    from seethrough.core.io.animation import check_target, format_for, write_animation

    check_target(output, overwrite)  # refuse on the UI thread, before minutes of rendering

    def job(progress, is_cancelled):  # noqa: ANN001, ANN202 - runs in the main lane
        check_memory(snapshot, settings, format_for(output))  # refused before minutes of rendering
        frames = render_frames(snapshot, settings, progress, is_cancelled)  # type: ignore[arg-type]
        return write_animation(frames, output, settings.fps, loop, overwrite)

    return jobs.submit(f"Export {output.name}", job, on_done)  # type: ignore[arg-type]
