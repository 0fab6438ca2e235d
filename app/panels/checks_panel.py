"""The Checks panel: quality findings of the open document (core.quality), refreshed in the background after every
change, each shown on the canvas when selected and repaired with one click (one undo step).

Checks run on a snapshot in the latest-wins `quality` lane, a moment after the last change. A fix is built from a
fresh snapshot in the `main` lane and pushed on the UI thread; "re-decompose" selects the finding's region and
hands over to the Decompose workspace (it needs the layer model).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seethrough.app.canvas import CanvasView
from seethrough.app.jobs import JobManager
from seethrough.app.operations import run_operation
from seethrough.app.session import DocumentSession

COLUMNS = ("Severity", "Check", "Finding")
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
#: quiet time after the last edit before the checks run again (ms)
DEBOUNCE_MS = 400


class ChecksPanel(QWidget):
    def __init__(self, session: DocumentSession, jobs: JobManager, canvas: CanvasView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.jobs = jobs
        self.canvas = canvas
        self.findings: list[Any] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 70)
        self.tree.setColumnWidth(1, 100)
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.itemDoubleClicked.connect(lambda *_: self.fix_current())
        self.summary = QLabel("no document")
        self.fix_combo = QComboBox()
        self.fix_combo.setToolTip("How to repair the selected finding")
        self.fix_button = QPushButton("Fix")
        self.fix_button.setToolTip("Apply the chosen fix to the selected finding (one undo step)")
        self.fix_button.clicked.connect(self.fix_current)
        self.rerun_button = QPushButton("Check again")
        self.rerun_button.clicked.connect(self.run_checks)
        row = QHBoxLayout()
        row.addWidget(self.fix_combo, 1)
        row.addWidget(self.fix_button)
        row.addWidget(self.rerun_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_checks)
        session.changed.connect(self._timer.start)
        session.document_replaced.connect(lambda _doc: self._timer.start())
        self._update_buttons()

    # --- checking ----------------------------------------------------------------------------------------------
    def run_checks(self) -> None:
        """Check the document as it is now, in the background; a newer request replaces an older one."""
        from seethrough.core.quality import run_checks

        if self.session.document is None:
            self._show([])
            self.summary.setText("no document")
            return
        snapshot = self.session.snapshot()
        self.summary.setText("checking…")

        def job(progress, is_cancelled):  # noqa: ANN001 - runs in the quality lane
            return snapshot, run_checks(snapshot)

        self.jobs.submit("Quality checks", job, self._on_checked, lane="quality", key="checks")

    def _on_checked(self, result: tuple) -> None:
        _snapshot, findings = result
        self._show(findings)

    def _show(self, findings: list[Any]) -> None:
        self.findings = sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
        self.tree.clear()
        for finding in self.findings:
            item = QTreeWidgetItem([finding.severity, finding.check, finding.message])
            item.setToolTip(2, finding.message)
            self.tree.addTopLevelItem(item)
        counts = {sev: sum(f.severity == sev for f in self.findings) for sev in SEVERITY_ORDER}
        self.summary.setText("no findings" if not self.findings else
                             ", ".join(f"{n} {sev}{'s' if n > 1 else ''}" for sev, n in counts.items() if n))
        self.canvas.set_highlight(None)
        self._update_buttons()

    # --- selection and repair ------------------------------------------------------------------------------------
    def current_finding(self) -> Any:
        item = self.tree.currentItem()
        if item is None:
            return None
        index = self.tree.indexOfTopLevelItem(item)
        return self.findings[index] if 0 <= index < len(self.findings) else None

    def _on_current(self, *_: object) -> None:
        from seethrough.core.quality.findings import FIXES

        finding = self.current_finding()
        self.fix_combo.clear()
        if finding is None:
            self.canvas.set_highlight(None)
        else:
            for fix in finding.fixes:
                self.fix_combo.addItem(FIXES.get(fix, fix), fix)
            self.canvas.set_highlight(finding.box)
            if finding.layers:
                self.session.set_current(finding.layers[0])
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.fix_button.setEnabled(self.current_finding() is not None and self.fix_combo.count() > 0)

    def fix_current(self) -> None:
        finding = self.current_finding()
        fix = self.fix_combo.currentData()
        if finding is None or fix is None or self.session.document is None:
            return
        if fix == "redecompose":
            self.session.set_region(finding.box)
            self.session.go_to.emit("decompose")
            return
        from seethrough.core.operations.quality_fixes import FixFinding

        self.fix_button.setEnabled(False)
        op = FixFinding.of(self.session.document, finding, fix)
        # applied, stale or refused: the findings are checked again either way
        run_operation(self.session, self.jobs, op, self, on_applied=lambda _c: self.run_checks(),
                      on_refused=lambda _e: self.run_checks())
