"""Autosave of the open document and crash recovery, Krita-style.

Every `minutes` (settings: autosave/minutes) and after long jobs (≥ 2 s in the main or decompose lane), an
unsaved document is written — from a snapshot, in the job system — to `<user data>/autosave/<session>.stproj`,
with a small JSON record beside it (which file it came from, its name, when, and the process that wrote it). Both
writes are atomic, so a crash in the middle of an autosave leaves the previous autosave whole. Saving the
document, or closing normally, deletes this session's autosave. At the next start, an autosave whose process is
gone means the app did not close normally: `offer_recovery` asks "Recover the autosaved version?" and opens it as
an unsaved document (its original path kept, so Save writes where the user expects).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from seethrough.app import settings as keys
from seethrough.app.jobs import Job, JobManager, JobState
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings
from seethrough.core.io.atomic import atomic_write_bytes
from seethrough.core.paths import user_data_dir
from seethrough.core.processes import process_alive

log = logging.getLogger(__name__)
LANE = "autosave"
#: a finished job of these lanes that ran at least this long is followed by an autosave (s)
LONG_JOB_SECONDS = 2.0
LONG_JOB_LANES = frozenset({"main", "decompose"})


def autosave_dir() -> Path:
    return user_data_dir() / "autosave"


@dataclass(frozen=True)
class AutosaveRecord:
    project: Path  # the autosaved .stproj
    record: Path  # its .json
    original: str  # the file the document was opened from or saved to ("" for none)
    name: str
    saved_at: float
    pid: int

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))




def orphaned_autosaves() -> list[AutosaveRecord]:
    """Autosaves left by app processes that are gone (crashed or killed), newest first."""
    found = []
    for record in autosave_dir().glob("*.json") if autosave_dir().is_dir() else []:
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            entry = AutosaveRecord(project=record.with_suffix(".stproj"), record=record,
                                   original=str(data.get("original", "")), name=str(data.get("name", "untitled")),
                                   saved_at=float(data["saved_at"]), pid=int(data["pid"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable autosave record %s: %s", record, exc)
            continue
        if entry.project.is_file() and not process_alive(entry.pid):
            found.append(entry)
    return sorted(found, key=lambda e: -e.saved_at)


def discard_record(entry: AutosaveRecord) -> None:
    for path in (entry.project, entry.record):
        path.unlink(missing_ok=True)


class Autosave(QObject):
    """Autosaves one session's document; `save_now()` for tests and after long jobs."""

    def __init__(self, session: DocumentSession, jobs: JobManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.jobs = session, jobs
        self.id = uuid.uuid4().hex[:12]
        self.project = autosave_dir() / f"{self.id}.stproj"
        self.record = autosave_dir() / f"{self.id}.json"
        self.last_job: Job | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.save_now)
        minutes = Settings().get(keys.AUTOSAVE_MINUTES)
        if minutes > 0:
            self.timer.start(minutes * 60_000)
        jobs.job_changed.connect(self._after_job)

    def save_now(self) -> Job | None:
        """Write the document's snapshot if it has unsaved edits (and no autosave is already being written)."""
        if not self.session.is_dirty or (self.last_job is not None and self.last_job.state.active):
            return None
        snapshot = self.session.snapshot()
        path = self.session.path
        record = {"original": str(path) if path else "", "name": self.session.display_name or "untitled",
                  "saved_at": time.time(), "pid": os.getpid()}
        project_path, record_path = self.project, self.record

        def job(progress, is_cancelled):  # noqa: ANN001
            from seethrough.core.io.project import save_project

            project_path.parent.mkdir(parents=True, exist_ok=True)
            save_project(snapshot, project_path)
            atomic_write_bytes(record_path, json.dumps(record).encode("utf-8"))
            return project_path

        self.last_job = self.jobs.submit("Autosave", job, lambda p: log.info("autosaved to %s", p),
                                         lambda exc: log.warning("autosave failed: %s", exc), lane=LANE)
        return self.last_job

    def discard(self) -> None:
        """The document was saved or closed on purpose: this session's autosave is not needed any more."""
        if self.last_job is not None and self.last_job.state.active:
            self.last_job.cancel()
        for path in (self.record, self.project):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove the autosave %s: %s", path, exc)

    def _after_job(self, job: Job) -> None:
        if job.lane in LONG_JOB_LANES and job.state is JobState.FINISHED and job.seconds >= LONG_JOB_SECONDS:
            QTimer.singleShot(0, self.save_now)


def offer_recovery(session: DocumentSession, parent: QWidget | None = None) -> bool:
    """At start: offer the newest orphaned autosave; True when it was recovered into `session`."""
    from seethrough.app.prompts import RecoverPrompt
    from seethrough.core.io.project import load_project

    for entry in orphaned_autosaves():
        if not RecoverPrompt.ask(parent, entry.name, entry.when):
            discard_record(entry)
            continue
        try:
            doc = load_project(entry.project)
        except Exception as exc:  # a bad autosave must not stop the app from starting
            log.warning("cannot recover %s: %s", entry.project, exc)
            continue
        original = Path(entry.original) if entry.original else None
        session.display_name = entry.name
        session.set_document(doc, original if original and original.suffix == ".stproj" else None, recovered=True)
        discard_record(entry)  # the recovered document is now this session's, autosaved under its own name
        log.info("recovered the autosave of %s from %s", entry.name, entry.when)
        return True
    return False
