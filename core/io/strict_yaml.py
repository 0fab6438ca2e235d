"""YAML for configuration files, read defensively: no aliases, no duplicate keys, a size cap, one-line errors.

Why refuse aliases: `&a [*b, *b, …]` chains expand exponentially ("billion laughs"); a 300-byte config can grow
to gigabytes once a program walks it. Configs never need them, so any alias is an error rather than a bounded
expansion. Duplicate keys are refused too (YAML would silently keep the last one). Errors are `BadInput` with
one line, `file:line:col: reason`, as compilers print them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from seethrough.core.errors import BadInput

#: a configuration file larger than this is not a configuration file
MAX_CONFIG_BYTES = 1 << 20


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that raises on aliases and on duplicate mapping keys."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem=f"alias *{event.anchor} is not allowed in a configuration file (write the value out)",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key (a list): SafeLoader reports it below
                break
            if duplicate:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _one_line(where: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        reason = f"{reason} ({context})"
    reason = " ".join(str(reason).split())
    if mark is not None:
        return f"{where}:{mark.line + 1}:{mark.column + 1}: {reason}"
    return f"{where}: {reason}"


def loads_yaml(text: str, where: str = "<config>") -> Any:
    """Parse YAML text strictly; `where` names the source in errors."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise BadInput(_one_line(where, exc)) from None
    except RecursionError:
        raise BadInput(f"{where}: nested too deeply") from None


def load_yaml(path: str | os.PathLike[str]) -> Any:
    """Read and parse a YAML file strictly (see the module doc). Missing/unreadable files are BadInput too."""
    from seethrough.core.io.regular import open_regular

    p = Path(path)
    if not p.exists():
        raise BadInput(f"config file not found: {p}")
    if p.is_dir():
        raise BadInput(f"{p}: is a folder, not a configuration file")
    with open_regular(p) as fh:  # a FIFO or a device: one line, never a wait
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_CONFIG_BYTES:
            raise BadInput(f"{p}: {size:,} bytes is too large for a configuration file (limit {MAX_CONFIG_BYTES:,})")
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{p}: not a text file (invalid UTF-8 at byte {exc.start})") from None
    return loads_yaml(text, str(p))
