"""Running operations (core.operations) from widgets: the one path every GUI edit takes.

An instant operation (a property change) is planned and committed on the UI thread; any other is planned in a job
on a snapshot (progress and cancel in the status bar and the Jobs panel) and committed back on the UI thread only
if what it read is unchanged — otherwise nothing is applied and the user is told (`Stale`). Refusals (a locked layer,
a value out of range) go to the one error presenter; notes (an optional model missing, a fallback used) go to the
status bar through `DocumentSession.notice`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from seethrough.app.errors import show_error
from seethrough.app.jobs import MAIN, Job, JobManager
from seethrough.app.session import DocumentSession
from seethrough.core.commands import Command
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import Context, Operation, Planned, commit


def run_operation(
    session: DocumentSession,
    jobs: JobManager | None,
    op: Operation,
    parent: QWidget | None = None,
    on_applied: Callable[[Command], Any] | None = None,
    on_refused: Callable[[BaseException], Any] | None = None,
    lane: str = MAIN,
    resources: Any = None,
    show_errors: bool = True,
    background: bool = False,
) -> Job | None:
    """Apply `op` to the open document (see the module doc): `on_applied(command)` after it was applied,
    `on_refused(error)` after a refusal, failure or stale result was shown (`show_errors=False`: not shown, the
    caller tells the user itself). Returns the job when one was started. `background`: plan in a job even an
    operation declared instant (one whose cost depends on its input, as the magic wand's composite or a wide grow)."""
    if session.document is None:
        return None
    snapshot = session.snapshot()

    def fail(exc: BaseException) -> None:
        if show_errors:
            show_error(parent, exc)
        if on_refused is not None:
            on_refused(exc)

    def apply(planned: Planned) -> None:
        doc = session.document
        if doc is None:
            return
        try:
            command = commit(doc, snapshot, op, planned)
        except SeeThroughError as exc:
            fail(exc)
            return
        for note in planned.notes:
            session.notice.emit(note)
        if on_applied is not None:
            on_applied(command)

    if (op.instant and not background) or jobs is None:
        try:
            planned = op.plan(snapshot, Context(resources=resources))
        except SeeThroughError as exc:
            fail(exc)
            return None
        apply(planned)
        return None

    def plan(progress: Callable[[float, str], None], is_cancelled: Callable[[], bool]) -> Planned:
        return op.plan(snapshot, Context(progress, is_cancelled, resources))

    return jobs.submit(op.describe(), plan, apply, fail, lane=lane)
