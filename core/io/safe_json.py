"""The one JSON reader for every file the program opens: bounded size, bounded nesting, finite numbers only.

Why: `json.loads` recurses once per nesting level, so `[[[[…]]]]` 100 000 deep raises RecursionError (a traceback,
not a message), and it accepts the non-standard `NaN`/`Infinity` that then poison geometry and depth. The nesting
depth is measured first, without recursion (a vectorised bracket count outside string literals), so the parser
only ever sees documents it can handle; every failure is a one-line `BadInput` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.core.errors import BadInput

#: the deepest nesting any of our formats needs is ~6; 64 leaves room for foreign files, far below the recursion limit
MAX_DEPTH = 64
#: 64 MiB: a project manifest of thousands of layers is a few MB
MAX_BYTES = 64 * 1024 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def nesting_depth(data: bytes) -> int:
    """The deepest `[`/`{` nesting of a JSON text (brackets inside strings do not count); no recursion."""
    stripped = _STRING.sub(b'""', data)
    arr = np.frombuffer(stripped, np.uint8)
    steps = np.zeros(arr.shape, np.int32)
    steps[(arr == ord("[")) | (arr == ord("{"))] = 1
    steps[(arr == ord("]")) | (arr == ord("}"))] = -1
    if not steps.any():
        return 0
    return int(np.cumsum(steps).max())


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows (use a finite value)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]}… is too large to be a finite number")
    return value


def loads(data: bytes | str, where: str, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Decode JSON text (UTF-8, a BOM allowed) with the limits above; BadInput naming `where` on any problem."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise BadInput(f"{where}: {len(raw):,} bytes is over the limit of {max_bytes:,} for a JSON file")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise BadInput(f"{where}: JSON nested {depth} levels deep (the limit is {max_depth})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # our constant/float hooks; RecursionError only as a last resort
        raise BadInput(f"{where}: not valid JSON ({exc})") from None


def read(path: str | os.PathLike[str], what: str | None = None, max_bytes: int = MAX_BYTES) -> Any:
    """Read and decode a JSON file; BadInput for a missing, unreadable, oversized or malformed file."""
    p = Path(path)
    label = what or p.name
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise BadInput(f"{p.name}: {size:,} bytes is over the limit of {max_bytes:,} for a JSON file")
        with open(p, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise BadInput(f"{label} not found: {p}") from None
    except IsADirectoryError:
        raise BadInput(f"{p}: is a folder, not a JSON file") from None
    except OSError as exc:
        raise BadInput(f"{p}: cannot read ({exc.strerror or exc})") from None
    return loads(raw, p.name, max_bytes=max_bytes)


def dumps(obj: Any, indent: int | None = 1) -> str:
    """Standard JSON only: a non-finite number is an error here rather than `Infinity` in the file."""
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
