"""The Preview workspace: the document's layers in 2.5D, following the mouse, with a little life in them.

The motion policy (parallax by depth, head sway, breathing, hair spring) lives in `core.parallax.ParallaxRig`;
the drawing in `app.workspaces.preview_renderer.PreviewRenderer`. This module only wires them to Qt: a view that
turns the hover position into the rig's pointer and paints the posed layers, a 60 Hz timer that runs only while
the tab is visible and playing, the controls, and a debounced rebuild of the layer cache when the document changes
(a slider drag in another panel emits many changes; converting pixels once per burst is enough). Converting the
layers' pixels (tens of ms per 2048² layer) is a latest-wins job on a snapshot (`preview-layers` lane); the UI
thread installs the finished cache and updates the rig.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.jobs import Job, JobManager
from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.base import Workspace
from seethrough.app.workspaces.preview_export import (
    AnimationExportDialog,
    PathRecorder,
    submit_export,
    suggested_output,
)
from seethrough.app.workspaces.preview_renderer import PreviewRenderer, background_brush
from seethrough.core.animate import AnimationSettings
from seethrough.core.document import Document
from seethrough.core.parallax import MotionSettings, ParallaxRig

#: animation tick (ms): 60 Hz
FRAME_MS = 16
#: wait this long after the last document change before re-converting layer images (ms)
REBUILD_DEBOUNCE_MS = 40
#: parallax strength slider: integer steps of 0.001 (0 … 0.25 of the canvas per unit depth)
STRENGTH_STEPS = 250
BACKGROUNDS: dict[str, QColor] = {
    "Checker": QColor(204, 204, 204),
    "White": QColor(255, 255, 255),
    "Grey": QColor(96, 96, 96),
    "Black": QColor(0, 0, 0),
    "Green": QColor(0, 177, 64),
}


def fixed_width(button: QPushButton, texts: tuple[str, ...]) -> None:
    """Give `button` the width of its widest text, so changing between them moves nothing beside it."""
    current = button.text()
    widths = []
    for text in texts:
        button.setText(text)
        widths.append(button.sizeHint().width())
    button.setText(current)
    button.setFixedWidth(max(widths))


class PreviewView(QWidget):
    """Paints the posed layers; the hover position (relative to the widget centre) is the parallax pointer."""

    pointer_moved = Signal(float, float)

    def __init__(self, renderer: PreviewRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.renderer = renderer
        self.rig: ParallaxRig | None = None
        self.zoom = 1.0
        self._background = background_brush("checker", BACKGROUNDS["Checker"])
        self.render_ms: deque[float] = deque(maxlen=60)  # recent paint durations, for the readout
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we fill every pixel: skip Qt's erase

    def set_background(self, mode: str, color: QColor) -> None:
        self._background = background_brush(mode, color)
        self.update()

    def pointer_at(self, pos: QPointF) -> tuple[float, float]:
        """Widget position → pointer in [-1, 1]² (0 at the centre, 1 at the edges)."""
        half_w, half_h = max(self.width() / 2, 1.0), max(self.height() / 2, 1.0)
        x = (pos.x() - half_w) / half_w
        y = (pos.y() - half_h) / half_h
        return (min(max(x, -1.0), 1.0), min(max(y, -1.0), 1.0))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.rig is not None:
            x, y = self.pointer_at(event.position())
            self.rig.set_pointer(x, y)
            self.pointer_moved.emit(x, y)
            self.update()
        super().mouseMoveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        self.zoom = min(max(self.zoom * (1.15**steps), 0.2), 8.0)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        start = time.perf_counter()
        painter = QPainter(self)
        painter.fillRect(self.rect(), self._background)
        if self.rig is None or not len(self.renderer):
            painter.setPen(QColor(80, 80, 80))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No layers to preview")
        else:
            self.renderer.paint(painter, self.rig.pose(), self.renderer.fit_transform(self.size(), self.zoom))
        painter.end()
        self.render_ms.append((time.perf_counter() - start) * 1000)


class PreviewWorkspace(Workspace):
    """Live 2.5D preview of the open document (tab "Preview")."""

    title = "Preview"
    key = "preview"

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.settings = MotionSettings()
        self.renderer = PreviewRenderer()
        self.view = PreviewView(self.renderer, self)
        self.playing = True
        self.active = False
        self._dirty: set[str] = set()
        self._frames: deque[float] = deque(maxlen=61)  # tick timestamps (s) for the fps readout
        self._ticks = 0

        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(REBUILD_DEBOUNCE_MS)
        self._rebuild_timer.timeout.connect(self.rebuild)

        self.jobs = JobManager(self, error_parent=self)  # until the window attaches the app's
        self.recorder = PathRecorder(self)
        self.export_job: Job | None = None
        self._build_controls()
        self.view.pointer_moved.connect(self._on_pointer_moved)
        self.view.pointer_moved.connect(self.recorder.add)
        session.document_replaced.connect(self._on_document_replaced)
        session.changed.connect(self._rebuild_timer.start)
        session.layer_changed.connect(self._on_layer_changed)
        self._on_document_replaced(session.document)

    # --- widgets -----------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.play_button = QPushButton("Pause", self)
        self.play_button.setCheckable(True)
        self.play_button.setChecked(True)
        self.play_button.setToolTip("Play / pause the motion (Space)")
        fixed_width(self.play_button, ("Pause", "Play"))
        self.play_button.toggled.connect(self.set_playing)
        self.reset_button = QPushButton("Reset view", self)
        self.reset_button.clicked.connect(self.reset_view)
        self.record_button = QPushButton("Record path", self)
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record the mouse's path over the preview, to export it as an animation; "
                                      "the path recorded before stays until the new one has samples (Esc cancels)")
        fixed_width(self.record_button, ("Record path", "Stop recording"))
        self.record_button.toggled.connect(self._on_record)
        self.export_button = QPushButton("Export animation…", self)
        self.export_button.setToolTip("Export this motion as MP4, GIF, WebP or PNG frames")
        self.export_button.clicked.connect(self.export_dialog)
        self.path_label = QLabel(self)  # what is recorded (its place in the layout: _build_controls)
        self.path_label.setToolTip("The recorded path that Export animation… offers as the \"recorded\" motion")
        self._recording_readout = QTimer(self, interval=250)
        self._recording_readout.timeout.connect(self._show_path)
        self._show_path()

        self.strength_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.strength_slider.setRange(0, STRENGTH_STEPS)
        self.strength_slider.setValue(round(self.settings.strength * 1000))
        self.strength_slider.setToolTip("Parallax strength: how far near and far layers slide apart")
        self.strength_slider.valueChanged.connect(self._on_strength)

        self.sway_box = QCheckBox("Head sway", self)
        self.breathing_box = QCheckBox("Breathing", self)
        self.spring_box = QCheckBox("Hair spring", self)
        for box, attr in ((self.sway_box, "sway"), (self.breathing_box, "breathing"), (self.spring_box, "hair_spring")):
            box.setChecked(getattr(self.settings, attr))
            box.toggled.connect(lambda on, attr=attr: self._set_motion(attr, on))

        self.background_combo = QComboBox(self)
        self.background_combo.addItems(list(BACKGROUNDS))
        self.background_combo.currentTextChanged.connect(self._on_background)
        self.fps_label = QLabel("– fps", self)
        self.fps_label.setMinimumWidth(150)

        self.strength_slider.setMinimumWidth(140)
        top = QHBoxLayout()  # playback and the parallax amount
        top.addWidget(self.play_button)
        top.addWidget(self.reset_button)
        top.addWidget(self.record_button)
        top.addWidget(self.export_button)
        top.addWidget(QLabel("Parallax", self))
        top.addWidget(self.strength_slider, 1)
        top.addWidget(self.fps_label)
        motion = QHBoxLayout()  # which motions run, and what is behind the character
        for widget in (self.sway_box, self.breathing_box, self.spring_box):
            motion.addWidget(widget)
        motion.addStretch(1)
        motion.addWidget(self.path_label)  # right of the stretch: its changing text moves nothing clickable
        motion.addSpacing(12)
        motion.addWidget(QLabel("Background", self))
        motion.addWidget(self.background_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(motion)
        layout.addWidget(self.view, 1)

        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.play_button.toggle)
        cancel = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        cancel.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        cancel.activated.connect(self.cancel_recording)

    # --- document ----------------------------------------------------------------------------------
    def _on_document_replaced(self, doc: Document | None) -> None:
        self._rebuild_timer.stop()
        self._dirty.clear()
        self.view.rig = None  # a new document gets a fresh rig with its layers
        self.rebuild()

    def _on_layer_changed(self, uid: str) -> None:
        self._dirty.add(uid)

    def rebuild(self) -> None:
        """Re-convert changed layers in a worker, then install them and refresh the rig (debounced after changes)."""
        doc = self.session.document
        if doc is None:
            self.jobs.cancel("preview-layers")
            self.renderer.install(self.renderer.prepare(None))
            self.view.rig = None
            self.view.update()
            return
        snapshot, dirty, renderer = doc.snapshot(), set(self._dirty), self.renderer
        self.jobs.submit("Preview layers", lambda p, c: (snapshot, renderer.prepare(snapshot, dirty)),
                         lambda result: self._install(result, dirty), lane="preview-layers", key="layers")

    def _install(self, result: tuple, dirty: set[str]) -> None:
        snapshot, prepared = result
        if self.session.document is None:
            return
        self.renderer.install(prepared)
        self._dirty -= dirty
        if self.view.rig is None:
            self.view.rig = ParallaxRig(snapshot, self.settings)
        else:
            self.view.rig.update_document(snapshot)
        self.view.update()

    # --- animation ---------------------------------------------------------------------------------
    def activated(self) -> None:
        self.active = True
        self._sync_timer()

    def deactivated(self) -> None:
        self.active = False
        self._sync_timer()

    def set_playing(self, playing: bool) -> None:
        self.playing = bool(playing)
        self.play_button.setText("Pause" if self.playing else "Play")
        if self.play_button.isChecked() != self.playing:
            self.play_button.setChecked(self.playing)
        self._sync_timer()

    def _sync_timer(self) -> None:
        if self.active and self.playing:
            if not self.timer.isActive():
                self._clock.start()
                self.timer.start()
        else:
            self.timer.stop()
            self._frames.clear()

    def _tick(self) -> None:
        dt = min(self._clock.restart() / 1000.0, 0.1)  # a stalled UI resumes smoothly instead of jumping
        if self.view.rig is not None:
            self.view.rig.step(dt)
        self.view.update()
        now = time.perf_counter()
        self._frames.append(now)
        self._ticks += 1
        if self._ticks % 30 == 0:  # twice a second: a label repaint per frame would cost more than it tells
            self._update_readout()

    def _update_readout(self) -> None:
        span = self._frames[-1] - self._frames[0]
        fps = (len(self._frames) - 1) / span if span > 0 else 0.0
        render = sum(self.view.render_ms) / len(self.view.render_ms) if self.view.render_ms else 0.0
        self.fps_label.setText(f"{fps:.0f} fps · {render:.1f} ms/frame")

    def _on_pointer_moved(self, _x: float, _y: float) -> None:
        # paused: nothing steps the hair springs, so put them at rest or the hair would detach from the head
        if not self.timer.isActive() and self.view.rig is not None:
            self.view.rig.settle()

    # --- controls ----------------------------------------------------------------------------------
    def reset_view(self) -> None:
        """Centre the pointer, zoom to fit, restart the motion clock with the hair at rest."""
        self.view.zoom = 1.0
        if self.view.rig is not None:
            self.view.rig.reset()
        self.view.update()

    # --- recording and export ----------------------------------------------------------------------------
    def _on_record(self, on: bool) -> None:
        if on:
            self.recorder.start()
            self._recording_readout.start()
        elif self.recorder.recording:
            self.recorder.stop()  # the take replaces the recorded path only if it has samples
        if not on:
            self._recording_readout.stop()
        self.record_button.setText("Stop recording" if on else "Record path")
        self._show_path()

    def cancel_recording(self) -> None:
        """Esc while recording: drop the take, keep the path recorded before."""
        if self.recorder.recording:
            self.recorder.cancel()
            self.record_button.setChecked(False)

    def _show_path(self) -> None:
        recorder = self.recorder
        if recorder.recording:
            text = f"● Recording: {len(recorder.take)} samples (Esc cancels)"
        elif recorder.samples:
            text = f"Recorded path: {len(recorder.samples)} samples, {recorder.duration:.1f} s"
        else:
            text = "No path recorded"
        self.path_label.setText(text)

    def export_dialog(self) -> None:
        if self.session.document is None:
            return
        self.record_button.setChecked(False)  # a take still running ends here (kept if it has samples)
        suggestion = suggested_output(self.session.display_name, self.session.path)
        dialog = AnimationExportDialog(self.recorder, self.settings, self, suggestion)
        if dialog.exec() != AnimationExportDialog.DialogCode.Accepted or not dialog.output.text().strip():
            return
        self.export_animation(Path(dialog.output.text().strip()), dialog.settings(), dialog.loop.value(),
                              dialog.overwrite.isChecked())

    def export_animation(self, output: Path, settings: AnimationSettings, loop: int = 0,
                         overwrite: bool = False) -> None:
        """Render `settings` for the open document and write it to `output`, in the background."""
        from seethrough.app.errors import show_error
        from seethrough.core.errors import SeeThroughError

        try:
            self.export_job = submit_export(self.jobs, self.session.snapshot(), settings, output, loop, overwrite)
        except SeeThroughError as exc:
            show_error(self, exc)

    def _on_strength(self, value: int) -> None:
        self.settings.strength = value / 1000.0
        self.view.update()

    def _set_motion(self, attr: str, on: bool) -> None:
        setattr(self.settings, attr, bool(on))
        self.view.update()

    def _on_background(self, name: str) -> None:
        self.view.set_background("checker" if name == "Checker" else "colour", BACKGROUNDS[name])
