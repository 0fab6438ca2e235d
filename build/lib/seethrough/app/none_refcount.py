"""Workaround: PySide6 6.12.0 on CPython 3.11 drops a reference to `None` on every call of a void C++ method.

Measured here: `sys.getrefcount(None)` falls by exactly one per call of e.g. `QPainter.setOpacity`,
`QPainter.setTransform` or `QObject.setObjectName`. `None` starts with ~5,000 references, so after a few thousand
such calls (a fraction of a second of a 60 Hz preview, a few clicks in the GUI) CPython aborts with
"Fatal Python error: none_dealloc: deallocating None". CPython 3.12+ made `None` immortal (PEP 683), which is why
the bindings get away with it there; 6.12.0 is the only PySide6 the package index offers this project.

The fix gives `None` a huge reference count once, at import of the `app` package, so it can never reach zero —
what 3.12 does by design. It touches nothing else and is a no-op on 3.12+.
"""

from __future__ import annotations

import ctypes
import sys

#: references added to None: ~10^15 void calls before it could matter, and far from overflowing Py_ssize_t
_BOOST = 1 << 50


def make_none_immortal() -> bool:
    """Give `None` a reference count that no leak can exhaust; returns True when it changed anything."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field of every PyObject
    if refcnt.value >= _BOOST:
        return False
    refcnt.value += _BOOST
    return True
