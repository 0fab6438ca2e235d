"""Operations: each user action that changes a document, declared once (typed parameters with their limits and help)
and used by the GUI, the CLI and replayed operation logs alike. See docs/operations.md.

- `params`: how parameters are declared (`param(...)`) and checked;
- `base`: `Operation` (plan on a snapshot → `Planned`; `commit` applies it if what it read is unchanged), `perform`;
- `registry`: operations by name, and the operation log (`parse_log`, `log_json`, `history_log`);
- `layer_edits`, `splits`, `quality_fixes`, …: the operations themselves (`catalogue` imports them all).
"""

from seethrough.core.operations.base import (
    NO_CONTEXT,
    Context,
    Operation,
    Planned,
    Stale,
    commit,
    layer_ref,
    perform,
    resolve_layer,
    unchanged_since,
)
from seethrough.core.operations.registry import (
    OPERATIONS,
    history_log,
    log_json,
    operation_class,
    parse_log,
    parse_operation,
    register,
)

__all__ = [
    "NO_CONTEXT", "OPERATIONS", "Context", "Operation", "Planned", "Stale", "commit", "history_log", "layer_ref",
    "log_json", "operation_class", "parse_log", "parse_operation", "perform", "register", "resolve_layer",
    "unchanged_since",
]
