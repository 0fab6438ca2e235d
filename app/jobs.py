"""The one job system: everything that leaves the UI thread runs here, and its results come back here.

A job is `fn(progress, is_cancelled) -> result`: `progress(fraction, message)` may be called from the worker,
`is_cancelled()` is checked between steps (raising `Cancelled` is the polite way out). A job should work on an
immutable input (a document snapshot and a frozen request) and return a value the UI thread applies — usually a
`Command` — or the path of a file it wrote.

Jobs run in *lanes*. A lane is one worker thread taking its jobs in order, so a lane owns whatever its jobs share
(the Decompose lane owns the loaded models). The lane's thread starts with its first job and ends when its queue
is empty, so an idle app holds no worker threads. Lanes used by the app:

- `main`: user actions that read or write files or change the document (open, save, export, stratify, labels);
  its jobs show in the status bar's progress and Cancel;
- `decompose`: the layer and depth models;
- preview lanes (`stratify-fit`, `reconstruction`, `canvas`, …): latest-wins — submitting with a `key` drops the
  queued job with the same key and asks the running one to stop, and a superseded job's result is never delivered.

States: queued → running → finished | cancelled | failed. `job_changed` reports every change (the Jobs panel
lists them); callbacks (`on_done`, `on_error`) run on the UI thread, in `_deliver`, the only place results cross
back. Errors without an `on_error` go to the one presenter, `app.errors.show_error`.

Workers are plain daemon threads, not QThreads: a QThread destroyed while running aborts the process, while a
daemon thread can never take the app down on close. Quitting asks every job to cancel and waits (`stopping()`);
uninterruptible work such as model loading is waited for, never killed. This module is the only place that
crosses the thread boundary; nobody else calls processEvents.

A script (or a test) may also end while workers still run, without the window's close ever finishing. Python then
ends daemon threads the hard way when they next ask for the interpreter, and one stopped inside a C++ library that
released it (OpenCV's `cv2.*`) takes the process down ("terminate called without an active exception"). So every
manager also cancels and joins its workers at interpreter exit (`_join_workers_at_exit`), before finalisation.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from seethrough.core.errors import Cancelled
from seethrough.core.scheduling import LatestWins

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
JobFn = Callable[[Progress, Callable[[], bool]], Any]
#: the callbacks that take a job's result or its error on the UI thread (what they return is ignored)
OnDone = Callable[[Any], object]
OnError = Callable[[BaseException], object]
MAIN = "main"
#: the least time between two progress reports crossing to the UI thread (s)
PROGRESS_INTERVAL = 0.03
#: how long interpreter exit waits for the workers of every manager together (s)
EXIT_JOIN_SECONDS = 120.0


def _spent(progress: Progress, is_cancelled: Callable[[], bool]) -> Any:
    raise RuntimeError("this job has ended; submit a new one")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (JobState.QUEUED, JobState.RUNNING)


_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    """One unit of background work and what became of it. Only the UI thread changes `state` after queueing."""

    title: str
    fn: JobFn
    lane: str = MAIN
    key: str | None = None
    on_done: OnDone | None = None
    on_error: OnError | None = None
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: BaseException | None = None
    id: int = field(default_factory=lambda: next(_ids))
    superseded: bool = False
    started_at: float = 0.0
    ended_at: float = 0.0
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _last_report: float = 0.0

    def cancel(self) -> None:
        """Ask the job to stop at its next check (a queued job never starts)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def seconds(self) -> float:
        if not self.started_at:
            return 0.0
        return (self.ended_at or time.monotonic()) - self.started_at


class _Lane:
    def __init__(self, name: str) -> None:
        self.name = name
        self.queue: LatestWins[Job] = LatestWins()
        self.running: Job | None = None
        self.thread: threading.Thread | None = None


class _Bridge(QObject):
    """Lives on the UI thread; workers emit on it, Qt queues the call to the UI thread."""

    posted = Signal(object, str)  # (the job, what happened to it)


class JobManager(QObject):
    """Runs jobs in lanes of one worker thread each. See the module doc."""

    #: a job was queued, started, progressed or ended (the Job)
    job_changed = Signal(object)
    #: a `main`-lane job started (title) / progressed (fraction, message) / ended: the status bar follows these
    started = Signal(str)
    progress = Signal(float, str)
    done = Signal()
    #: nothing is queued or running any more
    idle = Signal()

    def __init__(self, parent: QObject | None = None, error_parent: Any = None) -> None:
        super().__init__(parent)
        self._lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()
        self._bridge = _Bridge(self)
        self._bridge.posted.connect(self._deliver)
        self._jobs: list[Job] = []  # active, plus the latest ended ones for the Jobs panel
        self._threads: list[threading.Thread] = []
        self.history_limit = 30
        self.error_parent = error_parent
        self.closing = False
        _MANAGERS.add(self)

    # --- submitting ------------------------------------------------------------------------------------------------
    def submit(
        self,
        title: str,
        fn: JobFn,
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        *,
        lane: str = MAIN,
        key: str | None = None,
    ) -> Job:
        """Queue `fn` in `lane`. With a `key`, the job supersedes the lane's queued and running jobs of that key."""
        job = Job(title=title, fn=fn, lane=lane, key=key, on_done=on_done, on_error=on_error)
        if self.closing:
            job.state = JobState.CANCELLED
            return job
        with self._lock:
            lane_obj = self._lanes.setdefault(lane, _Lane(lane))
            dropped = lane_obj.queue.push(job, key)
            if key is not None:
                # the running job, and one that has ended in the worker but whose outcome has not crossed to the
                # UI thread yet: neither may be delivered after this request (both are still active here)
                for older in self._jobs:
                    if older.lane == lane and older.key == key and older.state.active:
                        older.superseded = True
                        older.cancel()
            start = lane_obj.thread is None
            if start:
                lane_obj.thread = threading.Thread(target=self._work, args=(lane_obj,), daemon=True,
                                                   name=f"seethrough-{lane}")
        for old in dropped:
            old.superseded = True
            self._end(old, JobState.CANCELLED)
        self._jobs.append(job)
        self.job_changed.emit(job)
        if start:
            thread = lane_obj.thread
            assert thread is not None
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
        return job

    # --- the worker side ---------------------------------------------------------------------------------------
    def _work(self, lane: _Lane) -> None:
        while True:
            with self._lock:
                job = lane.queue.pop()
                lane.running = job
                if job is None:
                    lane.thread = None
                    self._post(None, "lane-idle")
                    return
            job.state = JobState.RUNNING
            job.started_at = time.monotonic()
            self._post(job, "started")
            try:
                if job.cancel_requested:
                    raise Cancelled(f"{job.title} was cancelled")
                job.result = job.fn(functools.partial(self._report, job), job._cancel.is_set)
                outcome = "cancelled" if job.cancel_requested and job.superseded else "finished"
            except Cancelled as exc:
                job.error, outcome = exc, "cancelled"
            except BaseException as exc:  # every failure goes to the UI thread, shown there
                job.error, outcome = exc, "failed"
            job.ended_at = time.monotonic()
            with self._lock:
                lane.running = None
            self._post(job, outcome)

    def _report(self, job: Job, fraction: float, message: str) -> None:
        job.progress, job.message = float(fraction), str(message)
        now = time.monotonic()
        if now - job._last_report >= PROGRESS_INTERVAL:
            job._last_report = now
            self._post(job, "progress")

    def _post(self, job: Job | None, kind: str) -> None:
        try:
            self._bridge.posted.emit(job, kind)
        except RuntimeError:  # the window is gone (process exit): nothing is left to tell
            pass

    # --- the UI side -----------------------------------------------------------------------------------------------
    def _deliver(self, job: Job | None, kind: str) -> None:
        if job is None:
            if not self.busy_any:
                self.idle.emit()
            return
        if kind == "started":
            self.job_changed.emit(job)
            if job.lane == MAIN:
                self.started.emit(job.title)
        elif kind == "progress":
            if job.state is JobState.RUNNING:
                self.job_changed.emit(job)
                if job.lane == MAIN:
                    self.progress.emit(job.progress, job.message)
        elif kind == "finished":
            self._end(job, JobState.FINISHED)
        elif kind == "cancelled":
            self._end(job, JobState.CANCELLED)
        else:
            self._end(job, JobState.FAILED)

    def _end(self, job: Job, state: JobState) -> None:
        if not job.state.active:  # already ended (e.g. dropped from the queue before it could start)
            return
        job.state = state
        if job.lane == MAIN and job.started_at:
            self.done.emit()
        self.job_changed.emit(job)
        self._trim()
        try:
            self._hand_over(job, state)
        finally:
            # the Jobs panel keeps the job's title and state, not what it computed: drop the result and the closure
            # (which holds the snapshot) now, so big arrays are freed at once instead of by a later full collection
            job.result, job.fn = None, _spent
            if job.error is not None:  # its traceback holds the worker's frames (and their arrays) in a cycle
                job.error.__traceback__ = None

    def _hand_over(self, job: Job, state: JobState) -> None:
        if job.superseded:
            return  # a newer request of the same kind replaced it: its outcome matters to nobody
        if state is JobState.FINISHED:
            if job.on_done is not None:
                job.on_done(job.result)
        elif state is JobState.CANCELLED:
            log.info("cancelled: %s", job.title)
            if job.on_error is not None and job.error is not None:
                job.on_error(job.error)
        elif state is JobState.FAILED and job.error is not None:
            if job.on_error is not None:
                job.on_error(job.error)
            else:
                from seethrough.app.errors import show_error

                show_error(self.error_parent, job.error)

    def _trim(self) -> None:
        ended = [j for j in self._jobs if not j.state.active]
        for old in ended[: max(0, len(ended) - self.history_limit)]:
            self._jobs.remove(old)

    # --- queries and control --------------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        """Active jobs and the recently ended ones, oldest first."""
        return list(self._jobs)

    def active(self, lane: str | None = None) -> list[Job]:
        return [j for j in self._jobs if j.state.active and (lane is None or j.lane == lane)]

    @property
    def busy(self) -> bool:
        """A `main`-lane job is queued or running."""
        return bool(self.active(MAIN))

    @property
    def busy_any(self) -> bool:
        return bool(self.active())

    @property
    def title(self) -> str:
        running = self.active(MAIN)
        return running[0].title if running else ""

    def threads_alive(self) -> bool:
        """Some worker thread of this manager has not ended yet."""
        return any(thread.is_alive() for thread in self._threads)

    def cancel(self, lane: str | None = MAIN) -> None:
        """Cancel the jobs of `lane` (all lanes with None): queued ones never start, running ones stop at a check."""
        with self._lock:
            lanes = [obj for name, obj in self._lanes.items() if lane is None or name == lane]
            dropped = [job for obj in lanes for job in obj.queue.drain()]
            for obj in lanes:
                if obj.running is not None:
                    obj.running.cancel()
        for job in dropped:
            job.cancel()
            job.error = Cancelled(f"{job.title} was cancelled")
            self._end(job, JobState.CANCELLED)

    def cancel_all(self) -> None:
        self.cancel(None)

    def stopping(self) -> bool:
        """Begin shutting down: no new jobs, everything cancelled. True while a worker thread is still running."""
        self.closing = True
        self.cancel_all()
        return self.threads_alive()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every worker thread ended (tests, the CLI), then deliver their results. False on timeout."""
        deadline = time.monotonic() + msecs / 1000
        while self.threads_alive() and time.monotonic() < deadline:
            for thread in list(self._threads):
                thread.join(max(0.0, deadline - time.monotonic()))
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        QCoreApplication.sendPostedEvents(self._bridge, QEvent.Type.MetaCall)
        return not self.threads_alive()

    def stop_workers(self, deadline: float) -> bool:
        """Process exit: take no new jobs, cancel every job without delivering anything, and join the workers until
        `deadline` (time.monotonic()). True when none is left."""
        self.closing = True
        with self._lock:
            for lane in self._lanes.values():
                for job in lane.queue.drain():
                    job.cancel()
                if lane.running is not None:
                    lane.running.cancel()
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not self.threads_alive()


_MANAGERS: weakref.WeakSet[JobManager] = weakref.WeakSet()


@atexit.register
def _join_workers_at_exit() -> None:
    deadline = time.monotonic() + EXIT_JOIN_SECONDS
    for manager in list(_MANAGERS):
        try:
            if not manager.stop_workers(deadline):
                log.warning("a background job did not stop within %.0f s of exit", EXIT_JOIN_SECONDS)
        except RuntimeError:  # the Qt side of the manager is already gone
            continue


#: the name the rest of the app used before lanes existed
JobRunner = JobManager
