"""The Jobs panel: what runs in the background now and what ran last — title, lane, state, progress, time — with
Cancel for the selected job. A thin view over `JobManager.jobs()`, refreshed on `job_changed`."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from seethrough.app.jobs import Job, JobManager, JobState

COLUMNS = ("Job", "Lane", "State", "Progress", "Time")


class JobsPanel(QWidget):
    def __init__(self, jobs: JobManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 220)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.cancel_all_button = QPushButton("Cancel all")
        self.cancel_all_button.clicked.connect(jobs.cancel_all)
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addWidget(self.cancel_all_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree)
        layout.addLayout(row)
        self._items: dict[int, QTreeWidgetItem] = {}
        jobs.job_changed.connect(self._on_job)

    def _on_job(self, job: Job) -> None:
        item = self._items.get(job.id)
        if item is None:
            item = QTreeWidgetItem()
            self._items[job.id] = item
            self.tree.insertTopLevelItem(0, item)
        state = "superseded" if job.superseded else job.state.value
        seconds = f"{job.seconds:.1f} s" if job.started_at else ""
        if job.state is JobState.RUNNING:
            progress = f"{job.progress:.0%} {job.message}"
        elif job.state is JobState.FAILED and job.error is not None:
            progress = str(job.error)
        else:
            progress = "done" if job.state is JobState.FINISHED else ""
        for column, text in enumerate((job.title, job.lane, state, progress, seconds)):
            item.setText(column, text)
        known = {j.id for j in self.jobs.jobs()}
        for stale in [i for i in self._items if i not in known]:  # dropped from the manager's recent list
            old = self._items.pop(stale)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(old))

    def rows(self) -> list[tuple[str, str]]:
        """(title, state) of the listed jobs, newest first (tests, the status bar)."""
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [(item.text(0), item.text(2)) for item in items if item is not None]

    def _cancel_selected(self) -> None:
        selected = self.tree.currentItem()
        for job in self.jobs.jobs():
            if self._items.get(job.id) is selected and job.state.active:
                job.cancel()
