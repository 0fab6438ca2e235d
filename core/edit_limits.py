"""The limits of the editing operations' parameters (selections, transform, layer masks), in one place.

Every parameter dataclass (`core.selection.params`, `core.transform`, `core.layer_masks`) checks its values
against these; a value outside them is a `BadInput` with one line naming the parameter. Output sizes are capped
by the image cap of `core.io.limits` (`SEETHROUGH_MAX_PIXELS`) like every image we read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from seethrough.core.errors import BadInput

#: |a canvas coordinate| (box corners, polygon points, the wand's seed, translations): 4 × the largest side
MAX_COORD = 4 * (1 << 16)
#: most points of a polygon or freehand lasso
MAX_POINTS = 100_000
#: grow / shrink / feather radius in pixels
MAX_RADIUS = 512
#: wand tolerance: the largest per-channel difference (premultiplied RGBA, 0..255) still selected
MAX_TOLERANCE = 255
DEFAULT_TOLERANCE = 32
#: |scale| bounds of a transform (per axis)
MIN_SCALE = 1.0 / 256.0
MAX_SCALE = 64.0
#: |rotation| in degrees (normalised to [0, 360) after the check)
MAX_ROTATION = 36_000.0
#: a layer name or tag given as a parameter
MAX_NAME = 1024


def finite(value: Any, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    """`value` as a finite float within [low, high], or BadInput naming `what`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"{what} must be a number, got {str(value)[:40]!r}")
    number = float(value)
    if not math.isfinite(number):
        raise BadInput(f"{what} must be a finite number, got {number}")
    if not low <= number <= high:
        raise BadInput(f"{what} must be within [{low:g}, {high:g}], got {number:g}")
    return number


def integer(value: Any, what: str, low: int, high: int) -> int:
    """`value` as an int within [low, high] (a float with no fractional part is accepted)."""
    number = finite(value, what, low, high)
    if number != int(number):
        raise BadInput(f"{what} must be a whole number, got {number:g}")
    return int(number)


def pair(value: Any, what: str, low: float = -MAX_COORD, high: float = MAX_COORD) -> tuple[float, float]:
    """Two finite numbers ([x, y], [dx, dy], [sx, sy])."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise BadInput(f"{what} must be two numbers [x, y], got {str(value)[:60]!r}")
    return finite(value[0], f"{what}[0]", low, high), finite(value[1], f"{what}[1]", low, high)


def box(value: Any, what: str = "box") -> tuple[float, float, float, float]:
    """[x0, y0, x1, y1] with x1 > x0 and y1 > y0 (canvas pixels; corners may be given in any order)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 4:
        raise BadInput(f"{what} must be four numbers [x0, y0, x1, y1], got {str(value)[:60]!r}")
    x0, y0, x1, y1 = (finite(v, f"{what}[{i}]", -MAX_COORD, MAX_COORD) for i, v in enumerate(value))
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    if x1 <= x0 or y1 <= y0:
        raise BadInput(f"{what} {list(value)} is empty")
    return x0, y0, x1, y1


def points(value: Any, what: str = "points", minimum: int = 3) -> tuple[tuple[float, float], ...]:
    """[[x, y], …] with `minimum`..MAX_POINTS points."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise BadInput(f"{what} must be a list of [x, y] points")
    if not minimum <= len(value) <= MAX_POINTS:
        raise BadInput(f"{what} needs {minimum} to {MAX_POINTS:,} points, got {len(value)}")
    return tuple(pair(p, f"{what}[{i}]") for i, p in enumerate(value))


def name(value: Any, what: str) -> str:
    """A non-empty layer name, uid or tag."""
    if not isinstance(value, str) or not value or len(value) > MAX_NAME or "\x00" in value:
        raise BadInput(f"{what} must be a non-empty name of at most {MAX_NAME} characters")
    return value


def choice(value: Any, what: str, options: Sequence[str]) -> str:
    if value not in options:
        raise BadInput(f"{what} must be one of {', '.join(options)}, got {str(value)[:40]!r}")
    return str(value)


def colour(value: Any, what: str = "color") -> tuple[int, int, int]:
    """`#rrggbb` → (r, g, b)."""
    text = value if isinstance(value, str) else ""
    if len(text) != 7 or text[0] != "#":
        raise BadInput(f"{what} must be a colour #rrggbb, got {str(value)[:40]!r}")
    try:
        return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)
    except ValueError:
        raise BadInput(f"{what} must be a colour #rrggbb, got {text!r}") from None
