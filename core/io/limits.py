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


def available_memory() -> int | None:
    """Bytes of main memory available to a new allocation now (psutil's "available": free + reclaimable cache),
    or None where it cannot be told."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:  # a dependency; without it the memory checks simply do not refuse anything
        return None
    try:
        return int(psutil.virtual_memory().available)
    except (OSError, RuntimeError, AttributeError):
        return None
