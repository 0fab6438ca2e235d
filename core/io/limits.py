"""Input size limits, configurable by environment variable so that a user with a big machine can raise them, and
the main memory available (for the checks that refuse work up front rather than run out of memory at the end)."""

from __future__ import annotations

import os

from seethrough.core.errors import BadInput

#: default cap on width*height of an input image (8192²), overridable with SEETHROUGH_MAX_PIXELS
DEFAULT_MAX_PIXELS = 8192 * 8192
ENV_MAX_PIXELS = "SEETHROUGH_MAX_PIXELS"


def max_pixels(override: int | None = None) -> int:
    """The pixel cap in force: an explicit value, else $SEETHROUGH_MAX_PIXELS, else 8192²."""
    if override is not None:
        return int(override)
    raw = os.environ.get(ENV_MAX_PIXELS)
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadInput(f"{ENV_MAX_PIXELS}={raw!r} is not an integer number of pixels") from exc
    if value <= 0:
        raise BadInput(f"{ENV_MAX_PIXELS} must be positive, got {value}")
    return value


#: the most main memory (bytes) a job may plan to use, on top of what is available now (a shared machine)
ENV_MAX_MEMORY = "SEETHROUGH_MAX_MEMORY"


def available_memory() -> int | None:
    """Bytes of main memory a job may plan to use now: what the system has available (psutil's "available": free
    plus reclaimable cache), capped by $SEETHROUGH_MAX_MEMORY when set; None where it cannot be told."""
    cap = _memory_cap()
    try:
        import psutil  # type: ignore[import-untyped]

        available: int | None = int(psutil.virtual_memory().available)
    except (ImportError, OSError, RuntimeError, AttributeError):  # a dependency; without it: the cap, if any
        available = None
    if cap is None:
        return available
    return cap if available is None else min(available, cap)


def _memory_cap() -> int | None:
    raw = os.environ.get(ENV_MAX_MEMORY, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadInput(f"{ENV_MAX_MEMORY}={raw!r} is not a whole number of bytes") from exc
    if value <= 0:
        raise BadInput(f"{ENV_MAX_MEMORY} must be positive, got {value}")
    return value
