"""argparse types with ranges, so that every CLI number is checked before any work starts.

`--k 1000` used to run until killed and `--size -5` ended in a traceback; here they are one-line usage errors
(exit 2). The ranges are the ones the GUI's widgets allow.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

#: the shared ranges (the GUI's spin boxes use the same numbers)
K_RANGE = (2, 8)
SIZE_RANGE = (64, 8192)
MARGIN_RANGE = (0.0, 0.5)
RESOLUTION_RANGE = (64, 8192)
STEPS_RANGE = (1, 1000)
SEED_RANGE = (0, 2**32 - 1)


def int_in(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An integer in [lo, hi] (hi None: no upper bound)."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
        if value < lo or (hi is not None and value > hi):
            bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"{value} is out of range (must be {bound})")
        return value

    parse.__name__ = "integer"
    return parse


def float_in(lo: float, hi: float) -> Callable[[str], float]:
    """A finite number in [lo, hi]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text[:40]} is out of range (must be between {lo} and {hi})")
        return value

    parse.__name__ = "number"
    return parse


k_strata = int_in(*K_RANGE)
render_size = int_in(*SIZE_RANGE)
margin = float_in(*MARGIN_RANGE)
resolution = int_in(*RESOLUTION_RANGE)
steps = int_in(*STEPS_RANGE)
seed = int_in(*SEED_RANGE)
positive = int_in(1)
