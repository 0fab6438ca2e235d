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

from seethrough.app import settings as keys
from seethrough.app.jobs import Job, JobManager, OnDone
from seethrough.app.save_names import suggested_path
from seethrough.app.settings import Settings
from seethrough.core.animate import PRESETS, AnimationSettings
from seethrough.core.document import DocumentSnapshot
from seethrough.core.parallax import MotionSettings

#: a recorded path keeps at most this many samples (about 10 minutes at 60 Hz)
MAX_SAMPLES = 36_000
#: a take replaces the recorded path only with at least this many samples (a path that moves)
MIN_TAKE = 2
FILTER = "MP4 video (*.mp4);;Animated GIF (*.gif);;Animated WebP (*.webp);;PNG frames (folder) (*)"


class PathRecorder(QObject):
    """Records the Preview's pointer as (t, x, y) samples, one take per recording.

    `samples` is the recorded path (what an export uses); a take becomes it only when it ends with at least
    `MIN_TAKE` samples. So a Record click that was meant for another button, or a take stopped (or `cancel`led)
    before the pointer moved over the preview, never loses the path recorded before: a careful user expects a slip
    of the mouse to cost nothing, and a new path replaces the old one only once there is a new path to replace it.
    """

    recording_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.samples: list[tuple[float, float, float]] = []
        self.take: list[tuple[float, float, float]] = []
        self.recording = False
        #: how many takes became the recorded path, and which of them was last exported
        self.takes = 0
        self.exported_take: int | None = None
        self._start = 0.0

    def start(self) -> None:
        self.take = []
        self.recording = True
        self._start = time.monotonic()
        self.recording_changed.emit(True)

    def stop(self) -> bool:
        """End the take; True when it became the recorded path (it had `MIN_TAKE` samples or more)."""
        kept = self.recording and len(self.take) >= MIN_TAKE
        if kept:
            self.samples, self.takes = self.take, self.takes + 1
        self.take, self.recording = [], False
        self.recording_changed.emit(False)
        return kept

    def cancel(self) -> None:
        """Drop the take; the recorded path stays."""
        self.take, self.recording = [], False
        self.recording_changed.emit(False)

    def add(self, x: float, y: float, t: float | None = None) -> None:
        if self.recording and len(self.take) < MAX_SAMPLES:
            self.take.append((time.monotonic() - self._start if t is None else t, float(x), float(y)))

    @property
    def duration(self) -> float:
        return self.samples[-1][0] if self.samples else 0.0

    @property
    def fresh(self) -> bool:
        """A recorded path that no export has used yet."""
        return bool(self.samples) and self.takes != self.exported_take


class AnimationExportDialog(QDialog):
    """Where to, how long, how big, which motion: the settings of one export. The settings of the last accepted
    export come back the next time (app.settings, `animation/*`) — except "Replace the file if it exists", which is
    asked for every export: remembering it would replace a file nobody chose to replace. The file suggested is the
    document's name in the folder of the last export (or beside the document), one that does not exist yet."""

    def __init__(self, recorder: PathRecorder, motion: MotionSettings, parent: QWidget | None = None,
                 suggestion: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.recorder = recorder
        self.motion = motion
        stored = Settings()
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.output = QLineEdit(str(suggestion) if suggestion is not None else "")
        self.output.setPlaceholderText("preview.mp4, preview.gif, preview.webp or a folder for PNG frames")
        self.output.setMinimumWidth(360)
        self.browse_button = QPushButton("…")
        self.browse_button.setToolTip("Choose the file (or the folder for PNG frames)")
        self.browse_button.clicked.connect(self._browse)
        row.addWidget(self.output, 1)
        row.addWidget(self.browse_button)
        form.addRow("File", row)
        self.path = QComboBox()
        self.path.addItems(list(PRESETS))
        fresh = recorder.fresh  # a path just recorded is what the user wants to export
        if recorder.samples:
            self.path.addItem("recorded")
        remembered = stored.get(keys.ANIMATION_MOTION)
        self.path.setCurrentText("recorded" if fresh or (recorder.samples and remembered == "recorded")
                                 else remembered if remembered in PRESETS else PRESETS[0])
        form.addRow("Motion", self.path)
        seconds = round(recorder.duration, 1) if fresh else stored.get(keys.ANIMATION_SECONDS)
        self.seconds = QDoubleSpinBox(minimum=0.1, maximum=600.0, value=max(0.1, seconds))
        self.seconds.setSuffix(" s")
        form.addRow("Duration", self.seconds)
        self.fps = QSpinBox(minimum=1, maximum=120, value=stored.get(keys.ANIMATION_FPS))
        form.addRow("Frames per second", self.fps)
        self.longest_side = QSpinBox(minimum=0, maximum=8192, value=stored.get(keys.ANIMATION_SIZE), singleStep=64)
        self.longest_side.setSpecialValueText("canvas size")
        form.addRow("Longest side", self.longest_side)
        self.background = QComboBox()
        self.background.addItems(["transparent", "#ffffff", "#000000", "#00b140"])
        self.background.setEditable(True)
        self.background.setCurrentText(stored.get(keys.ANIMATION_BACKGROUND))
        form.addRow("Background", self.background)
        self.loop = QSpinBox(minimum=0, maximum=65535, value=stored.get(keys.ANIMATION_LOOP))
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

    def accept(self) -> None:
        """Remember these settings for the next export, then close."""
        self.remember()
        super().accept()

    def remember(self) -> None:
        stored = Settings()
        output = self.output.text().strip()
        if output:
            target = Path(output).expanduser().absolute()  # a relative name is written relative to here
            stored.set(keys.ANIMATION_FOLDER, str(target.parent))
            stored.set(keys.ANIMATION_FORMAT, target.suffix.lower())
        stored.set(keys.ANIMATION_MOTION, self.path.currentText())
        stored.set(keys.ANIMATION_SECONDS, float(self.seconds.value()))
        stored.set(keys.ANIMATION_FPS, self.fps.value())
        stored.set(keys.ANIMATION_SIZE, self.longest_side.value())
        stored.set(keys.ANIMATION_BACKGROUND, self.background.currentText())
        stored.set(keys.ANIMATION_LOOP, self.loop.value())
        if self.path.currentText() == "recorded":
            self.recorder.exported_take = self.recorder.takes

    def settings(self) -> AnimationSettings:
        from seethrough.core.animate import parse_colour

        path = self.path.currentText()
        return AnimationSettings(
            seconds=float(self.seconds.value()), fps=int(self.fps.value()), size=self.longest_side.value() or None,
            background=parse_colour(self.background.currentText()), path=path,
            samples=tuple(self.recorder.samples) if path == "recorded" else (), motion=replace(self.motion),
        )


def suggested_output(name: str, beside: Path | None) -> Path:
    """Where an animation of the document `name` (from the file `beside`) is suggested: in the folder of the last
    export, as the last export's file type, under a name that is free."""
    stored = Settings()
    folder = stored.get(keys.ANIMATION_FOLDER)
    suffix = stored.get(keys.ANIMATION_FORMAT)
    if suffix not in (".mp4", ".gif", ".webp"):
        suffix = "-frames" if suffix == "" else ".mp4"  # PNG frames go into a folder of their own
    return suggested_path(name, suffix, beside=beside, folder=Path(folder) if folder else None, free=True)


def submit_export(jobs: JobManager, snapshot: DocumentSnapshot, settings: AnimationSettings, output: Path, loop: int,
                  overwrite: bool, on_done: OnDone | None = None) -> Job:
    """Render and write the animation in the `main` lane (progress in the status bar, Cancel stops it)."""
    from seethrough.core.animate import check_memory, render_frames
    from seethrough.core.io.animation import check_target, format_for, write_animation

    check_target(output, overwrite)  # refuse on the UI thread, before minutes of rendering

    def job(progress, is_cancelled):  # noqa: ANN001 - runs in the main lane
        check_memory(snapshot, settings, format_for(output))  # refused before minutes of rendering
        frames = render_frames(snapshot, settings, progress, is_cancelled)
        return write_animation(frames, output, settings.fps, loop, overwrite)

    return jobs.submit(f"Export {output.name}", job, on_done)
