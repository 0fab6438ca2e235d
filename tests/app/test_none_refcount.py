"""PySide6 6.12 on CPython 3.11 drops a reference to None per void call; importing `app` must make that harmless."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

import seethrough.app  # noqa: F401 - importing the package installs the guard
from seethrough.app.none_refcount import make_none_immortal


def test_many_void_qt_calls_do_not_exhaust_none() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for i in range(20_000):  # None starts with ~5,000 references: without the guard this aborts the interpreter
        obj.setObjectName("x" if i % 2 else "y")
    assert sys.getrefcount(None) > 1_000_000 or sys.version_info >= (3, 12)
    assert before > 0
    assert make_none_immortal() is False  # already done at import, and idempotent
