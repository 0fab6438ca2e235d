"""Long work off the UI thread: one worker thread runs one job at a time; results come back as queued signals.

A job is `fn(progress, is_cancelled) -> result`, where `progress(fraction, message)` may be called from the
worker and `is_cancelled()` is checked by the job between steps. This module is the only place that crosses the
thread boundary (Qt queued connections); nobody else calls processEvents.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Job = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]


class _Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, fn: Job, signals: _Signals, cancel: threading.Event) -> None:
        super().__init__()
        self.fn, self.signals, self.cancel = fn, signals, cancel

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, self.cancel.is_set)
        except BaseException as exc:  # noqa: BLE001 - every failure, Cancelled included, is reported to the UI
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


class JobRunner(QObject):
    """Runs jobs one at a time on a private 1-thread pool. `busy` says whether one is running."""

    started = Signal(str)  # title
    progress = Signal(float, str)
    done = Signal()  # after finished or failed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._cancel = threading.Event()
        self._signals: _Signals | None = None
        self.busy = False
        self.title = ""

    def submit(
        self,
        title: str,
        fn: Job,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if self.busy:
            from seethrough.core.errors import BadInput

            raise BadInput(f"“{self.title}” is still running: wait for it to finish, or cancel it first")
        self.busy, self.title = True, title
        self._cancel = threading.Event()
        signals = _Signals()
        signals.progress.connect(self.progress)
        signals.finished.connect(lambda result: self._finish(on_done, result))
        signals.failed.connect(lambda exc: self._fail(on_error, exc))
        self._signals = signals  # keep alive until done
        self.started.emit(title)
        self._pool.start(_Runnable(fn, signals, self._cancel))

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, msecs: int = 30000) -> bool:
        return self._pool.waitForDone(msecs)

    def _finish(self, on_done: Callable[[Any], None] | None, result: Any) -> None:
        self.busy = False
        self.done.emit()
        if on_done is not None:
            on_done(result)

    def _fail(self, on_error: Callable[[BaseException], None] | None, exc: BaseException) -> None:
        self.busy = False
        self.done.emit()
        if on_error is not None:
            on_error(exc)
        else:
            log.error("job %s failed: %s", self.title, exc)
