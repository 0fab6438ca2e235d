"""Operations: every user action that changes a document, written once for the GUI, the CLI and replayed logs.

An `Operation` is a frozen dataclass of declared parameters (`core.operations.params`). Running it has two halves:

- `plan(doc, ctx)` — pure: reads a document or a snapshot (never changes it), may take long (the GUI runs it in a
  job, with progress and cancel through `ctx`), and returns a `Planned`: the `Command` to push and what it read;
- `commit(doc, snapshot, op, planned)` — on the thread that owns the document: applies the command only if what the
  plan read is unchanged since `snapshot` (`unchanged_since`), records the operation on the command (the history's
  operation log, `History.operations()`), and refuses with `Stale` otherwise.

`perform(doc, op)` does both at once (CLI, replay, instant GUI actions). Layers are named in parameters by their
name (the first match from the top of the stack), or by uid (`resolve_layer`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from seethrough.core.errors import BadInput
from seethrough.core.operations.params import params_of, to_json, validate

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.document import Document, DocumentLike, DocumentSnapshot, Layer


class Stale(BadInput):
    """What an operation read changed before its result could be applied: nothing was applied."""


@dataclass(frozen=True)
class Context:
    """What a running plan may use besides the document: progress, cancel, and shared resources (loaded models)."""

    progress: Callable[[float, str], None] = lambda fraction, message: None
    is_cancelled: Callable[[], bool] = lambda: False
    resources: Any = None


NO_CONTEXT = Context()


@dataclass(frozen=True)
class Planned:
    """A plan's result: the command, the layers it read (uids; None = the whole document) and notes for the user
    (e.g. an optional model missing and a fallback used)."""

    command: Command
    reads: tuple[str, ...] | None
    notes: tuple[str, ...] = ()


class Operation:
    """Base of every operation: subclasses are `@dataclass(frozen=True)` with `param(...)` fields, registered with
    `@register` (core.operations.registry), and implement `plan`."""

    #: the name in operation logs (`{"op": …}`) and, where it has one, of the CLI subcommand
    op: ClassVar[str] = ""
    #: the undo text and job title
    title: ClassVar[str] = ""
    #: quick enough for the UI thread (a property change); others run as a job on a snapshot
    instant: ClassVar[bool] = False

    def __post_init__(self) -> None:
        validate(self)

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        raise NotImplementedError

    def describe(self) -> str:
        """The undo text of this application (default: the title)."""
        return self.title

    def to_json(self) -> dict[str, Any]:
        """`{"op": …, **the parameters that differ from their defaults}`."""
        return {"op": self.op, **to_json(self)}

    @classmethod
    def parameters(cls) -> tuple[Any, ...]:
        return params_of(cls)


# --- naming layers -----------------------------------------------------------------------------------------------
def resolve_layer(doc: DocumentLike, ref: str, what: str = "layer") -> Layer:
    """The layer a parameter names: its uid, else the first layer of that name from the top of the stack."""
    for layer in doc.layers:
        if layer.uid == ref:
            return layer
    for layer in reversed(doc.layers):
        if layer.name == ref:
            return layer
    names = ", ".join(dict.fromkeys(layer.name for layer in reversed(doc.layers)))
    raise BadInput(f"{what}: no layer named {ref!r} (layers from the top: {names or 'none'})")


def layer_ref(doc: DocumentLike, uid: str) -> str:
    """How an operation names the layer `uid`: its name when the name finds it (first from the top), else the uid."""
    layer = doc.layer(uid)
    try:
        return layer.name if resolve_layer(doc, layer.name) is layer else uid
    except BadInput:
        return uid


# --- applying ----------------------------------------------------------------------------------------------------
def unchanged_since(doc: Document, snapshot: DocumentSnapshot, uids: Sequence[str] | None = None) -> bool:
    """Whether a command computed from `snapshot` still applies to `doc`.

    With `uids`: those layers are the very layer objects of the snapshot (layers are immutable values, so identity
    means untouched) and keep their places relative to each other; edits elsewhere do not matter. Without: nothing
    was edited at all — the same history position and the very same layers (a position alone also matches another
    document just opened)."""
    if uids is None:
        now = doc.snapshot()
        return (now.position == snapshot.position and len(now.layers) == len(snapshot.layers)
                and all(a is b for a, b in zip(now.layers, snapshot.layers, strict=True)))
    try:
        then = [snapshot.index_of(uid) for uid in uids]
        now_at = [doc.index_of(uid) for uid in uids]
    except KeyError:
        return False
    return (all(doc.layers[i] is snapshot.layers[j] for i, j in zip(now_at, then, strict=True))
            and [i - now_at[0] for i in now_at] == [j - then[0] for j in then])


def stale_message(doc: Document, op: Operation, snapshot: DocumentSnapshot, reads: tuple[str, ...] | None) -> str:
    """Why a planned result was not applied: which of the layers it read changed (or were moved apart)."""
    if reads:
        changed = [uid for uid in reads if not _has(doc, uid) or doc.layer(uid) is not snapshot.layer(uid)]
        names = ", ".join(f"“{snapshot.layer(uid).name}”" for uid in (changed or reads))
        verb = "changed" if changed else "moved"
        return f"{names} {verb} while “{op.describe()}” was computed: nothing was applied; do it again"
    return f"the document changed while “{op.describe()}” was computed: nothing was applied; do it again"


def _has(doc: DocumentLike, uid: str) -> bool:
    try:
        doc.index_of(uid)
    except KeyError:
        return False
    return True


def commit(doc: Document, snapshot: DocumentSnapshot, op: Operation, planned: Planned) -> Command:
    """Push the planned command if what it read is unchanged since `snapshot` (else `Stale`); the command records
    `op`, so the history can write the operation log. Returns the pushed (or merged-into) command."""
    if not unchanged_since(doc, snapshot, planned.reads):
        raise Stale(stale_message(doc, op, snapshot, planned.reads))
    command = planned.command
    command.text = op.describe()
    command.operation = op
    return doc.history.push(command)


def perform(doc: Document, op: Operation, ctx: Context = NO_CONTEXT) -> Command:
    """Plan and commit at once, on the document's own thread."""
    snapshot = doc.snapshot()
    return commit(doc, snapshot, op, op.plan(snapshot, ctx))
