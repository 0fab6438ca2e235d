"""Every operation by name, and the operation log: the JSON script of what was done to a document.

```json
{"format": "seethrough-operations", "version": 1,
 "operations": [{"op": "stratify", "layer": "front hair", "k": 3}, {"op": "rename", "layer": "face", "name": "skin"}]}
```

Each entry is `{"op": NAME, …parameters}`; parameters left out take their defaults. Reading validates the whole log
before anything runs: an unknown operation, an unknown or missing parameter, or a value out of range is refused with
its key's path (`operations[1].k: 9 is out of range (must be between 2 and 8)`). docs/operations.md lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from seethrough.core.errors import BadInput, NewerSchema
from seethrough.core.operations.base import Operation
from seethrough.core.operations.params import from_json

if TYPE_CHECKING:
    from seethrough.core.commands import History

LOG_FORMAT = "seethrough-operations"
LOG_VERSION = 1

OPERATIONS: dict[str, type[Operation]] = {}

OpClass = TypeVar("OpClass", bound=type[Operation])


def register(cls: OpClass) -> OpClass:
    """Class decorator: make an operation known by its `op` name (logs, `apply`)."""
    if not cls.op or cls.op in OPERATIONS:
        raise ValueError(f"operation name {cls.op!r} is empty or taken")
    OPERATIONS[cls.op] = cls
    return cls


def _load_all() -> None:
    """Import the modules that define operations (they register themselves)."""
    from seethrough.core.operations import catalogue  # noqa: F401


def operation_class(name: str) -> type[Operation]:
    _load_all()
    try:
        return OPERATIONS[name]
    except KeyError:
        raise BadInput(f"unknown operation {name!r} (known: {', '.join(sorted(OPERATIONS))})") from None


def parse_operation(data: Any, where: str = "") -> Operation:
    """One log entry as an operation; errors name the entry's path (`where`, e.g. "operations[2].")."""
    if not isinstance(data, dict):
        raise BadInput(f"{where.rstrip('.') or 'operation'}: expected an object like {{\"op\": …}}")
    name = data.get("op")
    if not isinstance(name, str):
        raise BadInput(f"{where}op: missing (the operation's name)")
    try:
        cls = operation_class(name)
    except BadInput as exc:
        raise BadInput(f"{where}op: {exc}") from None
    op = from_json(cls, data, where, ignore=("op",))
    assert isinstance(op, Operation)
    return op


def parse_log(data: Any) -> list[Operation]:
    """A whole operation log (already parsed JSON) → its operations, all validated before any runs."""
    if not isinstance(data, dict):
        raise BadInput("operation log: expected a JSON object with \"format\", \"version\" and \"operations\"")
    if data.get("format") != LOG_FORMAT:
        raise BadInput(f"format: {data.get('format')!r} is not an operation log ({LOG_FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BadInput(f"version: {version!r} is not a version number")
    if version > LOG_VERSION:
        raise NewerSchema(f"version: this operation log is version {version}; this program reads up to "
                          f"{LOG_VERSION} — update See-through Studio")
    unknown = sorted(set(data) - {"format", "version", "operations", "comment"})
    if unknown:
        raise BadInput(f"{unknown[0]}: unknown key of an operation log")
    entries = data.get("operations")
    if not isinstance(entries, list):
        raise BadInput("operations: expected a list of operations")
    return [parse_operation(entry, f"operations[{i}].") for i, entry in enumerate(entries)]


def log_json(operations: Sequence[Operation], comment: str = "") -> dict[str, Any]:
    """The operation log of `operations`, as a JSON object."""
    out: dict[str, Any] = {"format": LOG_FORMAT, "version": LOG_VERSION}
    if comment:
        out["comment"] = comment
    out["operations"] = [op.to_json() for op in operations]
    return out


def history_log(history: History) -> tuple[dict[str, Any], list[str]]:
    """The log of the steps done in `history`, and why it may not replay the whole document (warnings)."""
    ops, other = history.operations()
    warnings = [f"“{text}” is not a replayable operation and is not in the log" for text in other]
    if history.dropped:
        warnings.insert(0, f"the first {history.dropped} steps fell off the undo history and are not in the log")
    return log_json(ops), warnings
