"""The `seethrough` seed provider (placeholder, filled in below)."""
from __future__ import annotations


def register() -> None:
    pass
