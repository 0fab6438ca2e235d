"""The Stratify workspace: split the current layer into depth strata (K-Means on its pseudo-depth) or into left
and right, see the depth histogram with the clusters and draggable thresholds, preview the strata, apply
(undoably), and watch the reconstruction check (PSNR, SSIM, diff heatmap) after every edit.

Applying a split also re-sorts the stack by depth, so a stratum in front of the face is drawn over the face.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.canvas import CanvasView, to_qimage
from seethrough.app.errors import show_error
from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.base import Workspace
from seethrough.core.errors import BadInput, SeeThroughError

CLUSTER_COLOURS = [(230, 90, 60), (60, 130, 230), (90, 190, 90), (200, 160, 40), (160, 90, 200), (60, 190, 190)]
BINS = 64


def _pixmap(rgba: np.ndarray, side: int) -> QPixmap:
    return QPixmap.fromImage(to_qimage(rgba)).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation)


class StratifyWorkspace(Workspace):
    title = "Stratify"
    key = "stratify"

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.canvas = CanvasView(session)
        self.jobs = None  # the window's JobRunner, when there is a window (set by MainWindow)
        self.thresholds: list[float] = []
        self._lines: list[pg.InfiniteLine] = []
        self._refresh_timer = QTimer(self, singleShot=True, interval=60)
        self._refresh_timer.timeout.connect(self.refresh)
        self._recon_timer = QTimer(self, singleShot=True, interval=150)
        self._recon_timer.timeout.connect(self.update_reconstruction)
        self._build()
        session.current_layer_changed.connect(lambda _uid: self._refit())
        session.changed.connect(self._recon_timer.start)
        session.document_replaced.connect(lambda _doc: self._refit())
        self._refit()

    def _build(self) -> None:
        panel = QWidget()
        column = QVBoxLayout(panel)
        self.layer_label = QLabel("no layer")
        column.addWidget(self.layer_label)
        self.plot = pg.PlotWidget(title="pseudo-depth of the layer's pixels (0 = near)")
        self.plot.setLabel("bottom", "depth")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMinimumHeight(180)
        column.addWidget(self.plot)
        row = QHBoxLayout()
        row.addWidget(QLabel("Strata K"))
        self.k_spin = QSpinBox(minimum=2, maximum=6, value=2)
        self.k_spin.valueChanged.connect(lambda _v: self._refit())
        row.addWidget(self.k_spin)
        row.addWidget(QLabel("Inpaint"))
        self.inpaint = QComboBox()
        self.inpaint.addItems(["opencv", "lama", "none"])
        row.addWidget(self.inpaint)
        column.addLayout(row)
        self.strata_row = QHBoxLayout()
        strata_box = QGroupBox("Strata preview (near → far)")
        strata_box.setLayout(self.strata_row)
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
        recon = QGroupBox("Reconstruction check (layers vs. source)")
        recon_layout = QHBoxLayout(recon)
        self.recon_label = QLabel("—")
        self.recon_label.setWordWrap(True)
        self.heatmap = QLabel()
        self.heatmap.setFixedSize(140, 140)
        recon_layout.addWidget(self.recon_label, 1)
        recon_layout.addWidget(self.heatmap)
        column.addWidget(recon)
        column.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.canvas)
        split.addWidget(panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    # --- model ------------------------------------------------------------------------------------------------
    def _layer(self):  # noqa: ANN202 - Layer | None
        return self.session.current_layer

    def _refit(self) -> None:
        """Fit K-Means thresholds for the current layer, then redraw."""
        from seethrough.core.stratify import kmeans_thresholds

        layer = self._layer()
        self.thresholds = []
        if layer is not None and layer.depth is not None and not layer.is_empty:
            try:
                self.thresholds = kmeans_thresholds(layer, self.k_spin.value())
            except SeeThroughError:
                self.thresholds = []
        self.refresh()

    def set_thresholds(self, thresholds: list[float]) -> None:
        self.thresholds = sorted(float(t) for t in thresholds)
        self._refresh_timer.start()

    def refresh(self) -> None:
        layer = self._layer()
        self.plot.clear()
        self._lines = []
        while self.strata_row.count():
            widget = self.strata_row.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)  # gone now, not at the next event loop turn
        splittable = layer is not None and layer.depth is not None and bool(self.thresholds)
        self.apply_button.setEnabled(splittable)
        self.lr_button.setEnabled(layer is not None and not layer.is_empty)
        if layer is None:
            self.layer_label.setText("no layer selected")
            return
        self.layer_label.setText(f"<b>{layer.name}</b> ({layer.tag or 'no tag'}) — "
                                 f"{'no pseudo-depth map' if layer.depth is None else 'K-Means on its depth'}")
        if layer.depth is None or layer.is_empty:
            return
        values = layer.depth[layer.mask]
        counts, edges = np.histogram(values, bins=BINS, range=(0.0, 1.0))
        centres = (edges[:-1] + edges[1:]) / 2
        cluster = np.searchsorted(np.asarray(self.thresholds), centres)
        brushes = [pg.mkBrush(*CLUSTER_COLOURS[c % len(CLUSTER_COLOURS)]) for c in cluster]
        self.plot.addItem(pg.BarGraphItem(x=centres, height=counts, width=1.0 / BINS, brushes=brushes, pen=None))
        for value in self.thresholds:
            line = pg.InfiniteLine(pos=value, angle=90, movable=True, pen=pg.mkPen("w", width=2))
            line.sigPositionChangeFinished.connect(self._on_line_moved)
            self.plot.addItem(line)
            self._lines.append(line)
        self._show_strata(layer)

    def _on_line_moved(self, _line: pg.InfiniteLine) -> None:
        self.set_thresholds([min(max(line.value(), 0.0), 1.0) for line in self._lines])

    def _show_strata(self, layer) -> None:  # noqa: ANN001
        from seethrough.core.stratify import split_by_thresholds

        if not self.thresholds:
            return
        for stratum in split_by_thresholds(layer, self.thresholds, inpaint="none"):
            label = QLabel()
            label.setPixmap(_pixmap(stratum.rgba, 110))
            label.setToolTip(f"{stratum.name}: median depth {stratum.depth_value:.2f}")
            self.strata_row.addWidget(label)

    # --- edits ------------------------------------------------------------------------------------------------
    def apply(self) -> None:
        """Split the current layer with the shown thresholds. The strata (and their inpainting) are computed in
        the job runner when the window gave us one; the document changes on the UI thread, as one undo step."""
        from seethrough.core.layer_ops import sort_by_depth_command
        from seethrough.core.stratify import stratify_command

        doc, layer = self.session.document, self._layer()
        if doc is None or layer is None or not self.thresholds:
            return
        k, inpaint, thresholds = len(self.thresholds) + 1, self.inpaint.currentText(), list(self.thresholds)
        snapshot = doc.snapshot()  # the worker reads this immutable value, never the live document

        def compute(progress, is_cancelled):  # noqa: ANN001, ANN202 - runs in the worker
            progress(0.1, f"splitting {layer.name} into {k} strata")
            return stratify_command(snapshot, layer.uid, k=k, inpaint=inpaint, thresholds=thresholds)

        def push(command) -> None:  # noqa: ANN001 - back on the UI thread
            if self.session.document is not doc:
                return  # another document was opened meanwhile
            try:
                current = doc.layer(layer.uid)
            except KeyError:
                current = None
            if current is not layer:  # layers are values: another object means it was edited meanwhile
                show_error(self, BadInput(f"layer {layer.name!r} changed while it was being split: apply again"))
                return
            with doc.history.transaction(f"Stratify {layer.name}"):
                doc.history.push(command)
                doc.history.push(sort_by_depth_command(doc))

        if self.jobs is None:
            try:
                push(compute(lambda *_: None, lambda: False))
            except SeeThroughError as exc:
                show_error(self, exc)
            return
        self.jobs.submit(f"Stratify {layer.name}", compute, push, lambda exc: show_error(self, exc))

    def split_left_right(self) -> None:
        from seethrough.core.stratify import lr_split_command

        doc, layer = self.session.document, self._layer()
        if doc is None or layer is None:
            return
        try:
            doc.history.push(lr_split_command(doc, layer.uid))
        except SeeThroughError as exc:
            show_error(self, exc)

    def update_reconstruction(self) -> None:
        from seethrough.core.metrics import reconstruction_check

        doc = self.session.document
        if doc is None or doc.source is None:
            self.recon_label.setText("no source image to compare with")
            self.heatmap.clear()
            return
        report = reconstruction_check(doc, mode=self.canvas.mode)
        psnr = "∞ (identical)" if not np.isfinite(report.psnr) else f"{report.psnr:.2f} dB"
        self.recon_label.setText(f"PSNR {psnr}\nSSIM {report.ssim:.4f}\nmean |Δ| {report.mean_abs:.2f}")
        self.heatmap.setPixmap(_pixmap(np.dstack([report.heatmap, np.full(report.heatmap.shape[:2], 255, np.uint8)]),
                                       140))
        self.last_report = report
