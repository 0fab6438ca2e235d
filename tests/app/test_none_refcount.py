"""The None guard is detect-then-apply: it patches only a leak it has measured, and only where the GUI asks for it.

Each case runs in a fresh interpreter so the process-wide state it changes (None's reference count) is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on CPython 3.12+")

_LEAKING_CALL = """
import ctypes
_decref = ctypes.pythonapi.Py_DecRef
_decref.argtypes = [ctypes.py_object]
_decref.restype = None
def leaking_call():  # a binding bug in miniature: returns None and drops one reference to it
    _decref(None)
"""


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_leaking_call_is_detected_and_patched_with_a_warning() -> None:
    result = _run(_LEAKING_CALL + """
import json, logging, sys
records = []
logging.basicConfig(level=logging.WARNING)
logging.getLogger().addHandler(type("H", (logging.Handler,), {"emit": lambda self, r: records.append(r)})())
from seethrough.app.none_refcount import _BOOST, guard_none_refcount, none_refs_lost
lost = none_refs_lost(leaking_call, 50)
found = guard_none_refcount(probe=leaking_call)
print(json.dumps({"lost": lost, "found": found, "immortal": sys.getrefcount(None) > _BOOST // 2,
                  "warnings": [r.getMessage() for r in records if r.levelno == logging.WARNING]}))
""")
    assert result["lost"] == 50
    assert result["found"] is True
    assert result["immortal"] is True
    assert len(result["warnings"]) == 1 and "PySide6" in result["warnings"][0]


def test_a_sound_call_leaves_none_alone_and_logs_nothing() -> None:
    result = _run("""
import json, logging, sys
records = []
logging.getLogger().addHandler(type("H", (logging.Handler,), {"emit": lambda self, r: records.append(r)})())
from seethrough.app.none_refcount import _BOOST, guard_none_refcount, none_refs_lost
def sound_call():
    return None
lost = none_refs_lost(sound_call, 50)
found = guard_none_refcount(probe=sound_call)
print(json.dumps({"lost": lost, "found": found, "refs": sys.getrefcount(None), "boost": _BOOST,
                  "records": len(records)}))
""")
    assert abs(result["lost"]) < 5
    assert result["found"] is False
    assert result["refs"] < result["boost"]
    assert result["records"] == 0


def test_the_real_binding_verdict_matches_a_direct_measurement_and_survives_many_calls() -> None:
    """Whatever PySide6 is installed: the guard's verdict equals the leak measured independently, and with the
    guard in place 20,000 void Qt calls (more than None's references) do not abort the interpreter."""
    pytest.importorskip("PySide6")
    result = _run("""
import json, sys
from PySide6.QtCore import QObject
import PySide6
obj = QObject()
obj.setObjectName("warm")
before = sys.getrefcount(None)
for _ in range(500):
    obj.setObjectName("measured")
lost = before - sys.getrefcount(None)
from seethrough.app.none_refcount import guard_none_refcount
found = guard_none_refcount()
for i in range(20_000):
    obj.setObjectName("x" if i % 2 else "y")
print(json.dumps({"lost": lost, "found": found, "version": PySide6.__version__}))
""")
    assert result["found"] is (result["lost"] >= 500), result


def test_the_headless_cli_and_the_app_package_do_not_touch_none() -> None:
    result = _run("""
import json, sys
import seethrough.app
from seethrough.cli import build_parser
build_parser()
print(json.dumps({"qt": any(m.startswith("PySide6") for m in sys.modules),
                  "guard": "seethrough.app.none_refcount" in sys.modules, "refs": sys.getrefcount(None)}))
""")
    assert result["guard"] is False
    assert result["qt"] is False
    assert result["refs"] < 1 << 40
