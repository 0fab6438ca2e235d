"""The Stratify workspace: split the current layer into depth strata (K-Means on its pseudo-depth) or into left
and right, see the depth histogram with the clusters and draggable thresholds, preview the strata, apply
(undoably), and watch the reconstruction check (PSNR, SSIM, diff heatmap) after every edit.

Applying a split also re-sorts the stack by depth, so a stratum in front of the face is drawn over the face.

Nothing here computes on the UI thread: the K-Means fit, the histogram and the strata thumbnails (`stratify-fit`
lane), the reconstruction check (`reconstruction` lane) and the splits themselves (`main` lane) are jobs on an
immutable layer or document snapshot, latest-wins for the previews; the UI thread only draws what comes back, and
only if it still describes the current layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.canvas import CanvasView, to_display_qimage
from seethrough.app.jobs import JobManager
from seethrough.app.operations import run_operation
from seethrough.app.params import bind_combo, bind_spin
from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.base import Panel, Workspace
from seethrough.core.document import Layer
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import layer_ref
from seethrough.core.operations.splits import LeftRightSplit, Stratify

CLUSTER_COLOURS = [(230, 90, 60), (60, 130, 230), (90, 190, 90), (200, 160, 40), (160, 90, 200), (60, 190, 190)]
BINS = 64


THUMB = 110
#: the side of the reconstruction check's heat map (it fits the bottom strip)
HEATMAP = 104


def _thumbnail(rgba: np.ndarray, side: int) -> QImage:
    """A small QImage of the pixels (made in a worker: QImage, unlike QPixmap, may be built off the UI thread)."""
    return to_display_qimage(rgba).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)


@dataclass(frozen=True)
class StrataView:
    """Everything the panel draws for one layer and one set of thresholds, computed in a worker."""

    layer: Layer
    thresholds: list[float]
    counts: np.ndarray | None  # histogram of the opaque depths (BINS), None without a depth map
    strata: list[tuple[QImage, str]]  # thumbnail, tooltip; near → far


def strata_view(layer: Layer, k: int, thresholds: list[float] | None) -> StrataView:
    """Fit K-Means thresholds (unless given), the depth histogram and the strata thumbnails of `layer`."""
    from seethrough.core.stratify import kmeans_thresholds, split_by_thresholds

    if layer.is_empty or layer.depth is None:  # (is_empty first: it is cached for the UI thread's later use)
        return StrataView(layer, [], None, [])
    if thresholds is None:
        try:
            thresholds = kmeans_thresholds(layer, k)
        except SeeThroughError:
            thresholds = []
    counts, _edges = np.histogram(layer.depth[layer.mask], bins=BINS, range=(0.0, 1.0))
    strata = [(_thumbnail(st.rgba, THUMB), f"{st.name}: median depth {st.depth_value:.2f}")
              for st in split_by_thresholds(layer, thresholds, inpaint="none")] if thresholds else []
    return StrataView(layer, list(thresholds), counts, strata)


class StratifyWorkspace(Workspace):
    title = "Stratify"
    key = "stratify"
    shows_document = True
    shared_panels = ("Layers", "Properties", "Tool Options", "Checks", "Jobs", "Log")

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.jobs = JobManager(self, error_parent=self)  # until the window attaches the app's
        #: the window's document canvas (its composite mode is the reconstruction check's), once attached
        self.canvas: CanvasView | None = None
        self.thresholds: list[float] = []
        self.view: StrataView | None = None
        self.last_report = None
        self._lines: list[pg.InfiniteLine] = []
        self._refresh_timer = QTimer(self, singleShot=True, interval=60)
        self._refresh_timer.timeout.connect(self.refresh)
        self._refresh_layer: Layer | None = None  # the layer whose thresholds were dragged
        self._recon_timer = QTimer(self, singleShot=True, interval=150)
        self._recon_timer.timeout.connect(self.update_reconstruction)
        self._build()
        session.current_layer_changed.connect(lambda _uid: self._refit())
        session.layer_changed.connect(self._on_layer_changed)
        session.changed.connect(self._recon_timer.start)
        session.document_replaced.connect(lambda _doc: self._refit())
        self._refit()

    def attach_canvas(self, canvas: CanvasView) -> None:
        self.canvas = canvas

    def panels(self) -> list[Panel]:
        # the strata panel at the height it needs (the layers above take the rest of the column); the reconstruction
        # check is a check: beside Checks in the bottom strip
        height = self.strata_panel.minimumSizeHint().height()
        return [Panel("Depth Strata", self.strata_panel, height=height),
                Panel("Reconstruction", self.recon_panel, Qt.DockWidgetArea.BottomDockWidgetArea, group="bottom",
                      extent=160)]

    def _build(self) -> None:
        panel = QWidget()
        column = QVBoxLayout(panel)
        self.layer_label = QLabel("no layer")
        column.addWidget(self.layer_label)
        # no plot title: a title's width is the plot's minimum width, wider than a docked panel
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "pseudo-depth (0 = near)")
        self.plot.setToolTip("The pseudo-depth of the layer's pixels: K-Means splits them at the white lines "
                             "(drag one to move it)")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMinimumHeight(140)
        # one bar item and a few lines, updated in place: rebuilding the plot's items at every result re-lays and
        # repaints all of pyqtgraph's scene, the most expensive part of showing a result on the UI thread
        self.plot.setXRange(0.0, 1.0, padding=0.02)
        self.plot.enableAutoRange(x=False, y=True)
        edges = np.linspace(0.0, 1.0, BINS + 1)
        self._centres = (edges[:-1] + edges[1:]) / 2
        self._bars = pg.BarGraphItem(x=self._centres, height=np.zeros(BINS), width=1.0 / BINS, pen=None)
        self._bars.setVisible(False)
        self.plot.addItem(self._bars)
        column.addWidget(self.plot)
        row = QHBoxLayout()
        row.addWidget(QLabel("Strata K"))
        self.k_spin = QSpinBox()
        bind_spin(self.k_spin, Stratify, "k")
        self.k_spin.valueChanged.connect(lambda _v: self._refit())
        row.addWidget(self.k_spin)
        row.addWidget(QLabel("Inpaint"))
        self.inpaint = QComboBox()
        bind_combo(self.inpaint, Stratify, "inpaint")
        row.addWidget(self.inpaint)
        column.addLayout(row)
        self.strata_row = QHBoxLayout()
        strata_box = QGroupBox("Strata preview (near → far)")
        strata_box.setLayout(self.strata_row)
        # a fixed height: new thumbnails then re-lay only this row, not the whole panel and its plot
        strata_box.setFixedHeight(THUMB + 2 * strata_box.fontMetrics().height() + 16)
        column.addWidget(strata_box)
        buttons = QHBoxLayout()
        self.apply_button = QPushButton("Apply split")
        self.apply_button.setShortcut("Ctrl+Shift+K")
        self.apply_button.clicked.connect(self.apply)
        self.lr_button = QPushButton("Split left/right")
        self.lr_button.setShortcut("Ctrl+Shift+L")
        self.lr_button.clicked.connect(self.split_left_right)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.lr_button)
        column.addLayout(buttons)
        self.strata_panel = panel
        self.recon_panel = QWidget()
        recon_layout = QHBoxLayout(self.recon_panel)
        recon_layout.setContentsMargins(6, 4, 6, 4)
        self.recon_label = QLabel("—")
        self.recon_label.setWordWrap(True)
        self.recon_label.setToolTip("The layers composited and compared with the illustration (PSNR, SSIM, mean "
                                    "difference); the heat map shows where they differ")
        self.heatmap = QLabel()
        self.heatmap.setFixedSize(HEATMAP, HEATMAP)
        recon_layout.addWidget(self.heatmap)
        recon_layout.addWidget(self.recon_label, 1)
        column.addStretch(1)
        # on its own (tests, benches) the workspace shows its panels; in the window they are docks
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.strata_panel)
        layout.addWidget(self.recon_panel)

    # --- model ------------------------------------------------------------------------------------------------
    def _layer(self) -> Layer | None:
        return self.session.current_layer

    def _on_layer_changed(self, uid: str) -> None:
        if uid == self.session.current_uid:
            self._refit()

    def _refit(self) -> None:
        """Fit K-Means thresholds for the current layer in the worker, then redraw (latest request wins). A preview
        still pending for the thresholds of the layer shown before is dropped: they do not belong to this one."""
        self._refresh_timer.stop()
        self._compute(None)

    def set_thresholds(self, thresholds: list[float]) -> None:
        self.thresholds = sorted(float(t) for t in thresholds)
        self._refresh_layer = self._layer()
        self._refresh_timer.start()

    def refresh(self) -> None:
        """Recompute the histogram and strata for the shown thresholds (dragged lines) in the worker — if the
        current layer is still the one they were set on."""
        if self._layer() is not self._refresh_layer:
            return
        self._compute(list(self.thresholds))

    def _compute(self, thresholds: list[float] | None) -> None:
        layer, k = self._layer(), self.k_spin.value()
        if layer is None or layer.depth is None:  # (an empty layer is found in the worker: strata_view)
            self.thresholds = []
            self._show(StrataView(layer, [], None, []) if layer is not None else None)
            return
        self.layer_label.setText(f"<b>{layer.name}</b> ({layer.tag or 'no tag'}) — fitting…")
        if thresholds is None:  # a new fit: the lines shown are another layer's (or an older value's) until it lands
            self.apply_button.setEnabled(False)
        self.jobs.submit(f"Strata of {layer.name}", lambda p, c: strata_view(layer, k, thresholds), self._show,
                         lane="stratify-fit", key="strata")

    def _show(self, view: StrataView | None) -> None:
        """Draw a computed view, if it still describes the current layer (UI thread, no heavy work)."""
        layer = self._layer()
        if view is not None and view.layer is not layer:
            return  # the current layer changed meanwhile: a newer request is on its way
        self.view = view
        self.thresholds = list(view.thresholds) if view is not None else []
        while self.strata_row.count():
            item = self.strata_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)  # gone now, not at the next event loop turn
        splittable = layer is not None and layer.depth is not None and bool(self.thresholds) and not layer.locked
        self.apply_button.setEnabled(splittable)
        self.lr_button.setEnabled(layer is not None and not layer.is_empty and not layer.locked)
        shown = view is not None and view.counts is not None
        self._bars.setVisible(shown)
        self._set_lines(self.thresholds if shown else [])
        if layer is None or view is None:
            self.layer_label.setText("no layer selected")
            return
        self.layer_label.setText(f"<b>{layer.name}</b> ({layer.tag or 'no tag'}) — "
                                 f"{'no pseudo-depth map' if layer.depth is None else 'K-Means on its depth'}"
                                 f"{' — locked' if layer.locked else ''}")
        if view.counts is None:
            return
        cluster = np.searchsorted(np.asarray(self.thresholds), self._centres)
        self._bars.setOpts(height=view.counts,
                           brushes=[pg.mkBrush(*CLUSTER_COLOURS[c % len(CLUSTER_COLOURS)]) for c in cluster])
        for image, tip in view.strata:
            label = QLabel()
            label.setFixedSize(THUMB, THUMB)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setPixmap(QPixmap.fromImage(image))
            label.setToolTip(tip)
            self.strata_row.addWidget(label)

    def _set_lines(self, values: list[float]) -> None:
        """One draggable line per threshold: existing lines are moved, missing ones added, extra ones removed."""
        while len(self._lines) > len(values):
            self.plot.removeItem(self._lines.pop())
        while len(self._lines) < len(values):
            line = pg.InfiniteLine(pos=0.0, angle=90, movable=True, pen=pg.mkPen("w", width=2))
            line.sigPositionChangeFinished.connect(self._on_line_moved)
            self.plot.addItem(line)
            self._lines.append(line)
        for line, value in zip(self._lines, values, strict=True):
            if line.value() != value:
                line.setValue(value)

    def _on_line_moved(self, _line: pg.InfiniteLine) -> None:
        self.set_thresholds([min(max(line.value(), 0.0), 1.0) for line in self._lines])

    # --- edits ------------------------------------------------------------------------------------------------
    def stratify_operation(self) -> Stratify | None:
        """The split that Apply would perform: the current layer at the shown thresholds."""
        layer, doc = self._layer(), self.session.document
        if doc is None or layer is None or not self.thresholds or self.view is None or self.view.layer is not layer:
            return None  # the thresholds shown belong to another layer (or an older value of this one): a fit is due
        return Stratify(layer=layer_ref(doc, layer.uid), k=len(self.thresholds) + 1,
                        inpaint=self.inpaint.currentText(), thresholds=tuple(self.thresholds))  # type: ignore[arg-type]

    def apply(self) -> None:
        """Split the current layer with the shown thresholds (an operation: computed in a job from a snapshot,
        applied as one undo step unless the layer changed meanwhile; the stack is then sorted by depth)."""
        op = self.stratify_operation()
        if op is not None:
            run_operation(self.session, self.jobs, op, self)

    def split_left_right(self) -> None:
        layer, doc = self._layer(), self.session.document
        if doc is not None and layer is not None:
            run_operation(self.session, self.jobs, LeftRightSplit(layer=layer_ref(doc, layer.uid)), self)

    def update_reconstruction(self) -> None:
        """Compare the layers with the source image, in the worker (latest request wins)."""
        from seethrough.core.metrics import reconstruction_check

        doc = self.session.document
        if doc is None or doc.source is None:
            self.recon_label.setText("no source image to compare with")
            self.heatmap.clear()
            return
        snapshot, mode = self.session.snapshot(), self.canvas.mode if self.canvas is not None else "stack"

        def check(progress, is_cancelled):  # noqa: ANN001
            report = reconstruction_check(snapshot, mode=mode)
            heat = np.dstack([report.heatmap, np.full(report.heatmap.shape[:2], 255, np.uint8)])
            return report, _thumbnail(heat, HEATMAP)

        self.jobs.submit("Reconstruction check", check, self._show_report, lane="reconstruction", key="check")

    def _show_report(self, result: tuple) -> None:
        report, heatmap = result
        psnr = "∞ (identical)" if not np.isfinite(report.psnr) else f"{report.psnr:.2f} dB"
        self.recon_label.setText(f"PSNR {psnr}\nSSIM {report.ssim:.4f}\nmean |Δ| {report.mean_abs:.2f}")
        self.heatmap.setPixmap(QPixmap.fromImage(heatmap))
        self.last_report = report
