"""The Qt application (the CLI under app/cli must not import Qt at import time)."""

from seethrough.app.none_refcount import make_none_immortal

make_none_immortal()  # PySide6 6.12 on CPython 3.11 leaks references to None; see app/none_refcount.py
