"""Detect-then-apply guard against a PySide6 bug: some releases drop a reference to `None` per void C++ call.

Measured with PySide6 6.12.0 on CPython 3.11: `sys.getrefcount(None)` falls by exactly one per call of a void
method such as `QObject.setObjectName`, `QPainter.setOpacity` or `QPainter.setTransform`. `None` starts with a few
thousand references, so after a few thousand such calls (a fraction of a second of a 60 Hz preview) CPython aborts
with "Fatal Python error: none_dealloc: deallocating None". PySide6 6.11.x does not leak; CPython 3.12+ made `None`
immortal (PEP 683), so there the bug is harmless. pyproject.toml excludes 6.12.0, but a user may still have it.

`guard_none_refcount()` measures the leak over a few void calls and, only if `None` really loses references, gives
it a reference count no leak can exhaust (what 3.12 does by design) and logs a warning naming the PySide6 version.
It is called by the GUI entry point (`app.application.run_app`) and by the test suite, which hosts Qt widgets too;
never by the headless CLI or by `import seethrough.app`.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

#: references added to None: ~10^15 void calls before it could matter, and far from overflowing Py_ssize_t
_BOOST = 1 << 50
#: void calls measured; a leaking binding loses one reference per call, a sound one none
PROBE_CALLS = 64


def _qt_void_call() -> Callable[[], object]:
    from PySide6.QtCore import QObject

    probe = QObject()
    return lambda: probe.setObjectName("seethrough-none-probe")


def none_refs_lost(call: Callable[[], object], calls: int = PROBE_CALLS) -> int:
    """How many references to `None` `calls` calls of `call` lose (≈ 0 for a sound binding, = calls if leaking)."""
    call()  # warm up: first-call caches (method lookup, interned strings) must not count
    before = sys.getrefcount(None)
    for _ in range(calls):
        call()
    return before - sys.getrefcount(None)


def leaks_none(call: Callable[[], object], calls: int = PROBE_CALLS) -> bool:
    """True when `call` loses at least one reference to `None` per call (measured twice, both must agree)."""
    return all(none_refs_lost(call, calls) >= calls for _ in range(2))


def make_none_immortal() -> bool:
    """Give `None` a reference count that no leak can exhaust; returns True when it changed anything."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field of every PyObject
    if refcnt.value >= _BOOST:
        return False
    refcnt.value += _BOOST
    return True


def guard_none_refcount(probe: Callable[[], object] | None = None) -> bool:
    """Measure the leak with `probe` (default: a void `QObject` call); if it leaks, make `None` immortal.

    Returns True when a leak was found (and the guard is in place). Does nothing on CPython 3.12+ or PyPy.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    call = probe if probe is not None else _qt_void_call()
    if not leaks_none(call):
        return False
    make_none_immortal()
    version = _pyside_version()
    log.warning("PySide6 %s loses a reference to None per void call on CPython %s; None was made immortal so the "
                "app cannot abort. Install PySide6-Essentials 6.11.x (or a fixed release) to drop this guard.",
                version, ".".join(map(str, sys.version_info[:3])))
    return True


def _pyside_version() -> str:
    try:
        import PySide6
    except ImportError:
        return "(not installed)"
    return str(getattr(PySide6, "__version__", "?"))
