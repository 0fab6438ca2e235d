"""The one JSON reader for every file the program opens: bounded size, bounded nesting, finite numbers only.

Why: `json.loads` recurses once per nesting level, so `[[[[…]]]]` 100 000 deep raised RecursionError (a traceback,
not a message), and it accepts the non-standard `NaN`/`Infinity` that then poison geometry and depth. Here the
parser's own recursion guard is turned into a one-line `BadInput`, and the decoded value's depth is then measured
without recursion against a far smaller limit (64), so no caller ever walks a pathological structure; every
failure is one line naming the file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput

#: the deepest nesting any of our formats needs is ~6; 64 leaves room for foreign files, far below the recursion limit
MAX_DEPTH = 64
#: 64 MiB: a project manifest of thousands of layers is a few MB
MAX_BYTES = 64 * 1024 * 1024

def nesting_depth(value: Any) -> int:
    """How deeply lists/objects nest in a decoded JSON value (a scalar is 0), measured without recursion."""
    return _walk(value)[0]


def _walk(value: Any) -> tuple[int, bool]:
    """(nesting depth, whether every float is finite), without recursion."""
    if not isinstance(value, (dict, list)):
        return 0, not (isinstance(value, float) and not math.isfinite(value))
    deepest, finite = 0, True
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        depth += 1
        deepest = max(deepest, depth)
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth))
            elif isinstance(child, float) and not math.isfinite(child):
                finite = False
    return deepest, finite


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows (use a finite value)")


def loads(data: bytes | str, where: str, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Decode JSON text (UTF-8, a BOM allowed) with the limits above; BadInput naming `where` on any problem."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise BadInput(f"{where}: {len(raw):,} bytes is over the limit of {max_bytes:,} for a JSON file")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # the parser's own guard (~1000 levels): nothing half-built escapes
        raise BadInput(f"{where}: JSON nested too deeply (the limit is {max_depth} levels)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # our constant/float hooks, an integer of thousands of digits
        raise BadInput(f"{where}: not valid JSON ({exc})") from None
    depth, finite = _walk(value)
    if depth > max_depth:
        raise BadInput(f"{where}: JSON nested {depth} levels deep (the limit is {max_depth})")
    if not finite:
        raise BadInput(f"{where}: not valid JSON (a number is too large to be finite, e.g. 1e400)")
    return value


def read(path: str | os.PathLike[str], what: str | None = None, max_bytes: int = MAX_BYTES) -> Any:
    """Read and decode a JSON file; BadInput for a missing, unreadable, oversized or malformed file."""
    from seethrough.core.io.regular import open_regular

    p = Path(path)
    label = what or p.name
    if not p.exists() and not p.is_symlink():
        raise BadInput(f"{label} not found: {p}")
    if p.is_dir():
        raise BadInput(f"{p}: is a folder, not a JSON file")
    try:
        with open_regular(p) as fh:  # a FIFO or a device is refused, never waited on
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise BadInput(f"{p.name}: {size:,} bytes is over the limit of {max_bytes:,} for a JSON file")
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise BadInput(f"{p}: cannot read ({exc.strerror or exc})") from None
    return loads(raw, p.name, max_bytes=max_bytes)


def dumps(obj: Any, indent: int | None = 1) -> str:
    """Standard JSON only: a non-finite number is an error here rather than `Infinity` in the file."""
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
