"""Read-only numpy arrays that nothing can write into: what layers, planes and tiles hold (docs/document-model.md)."""

from __future__ import annotations

from typing import Any

import numpy as np


def shares_only_frozen_memory(arr: np.ndarray) -> bool:
    """True when no writeable array (this one or a base it views) can change these bytes."""
    current: Any = arr
    while isinstance(current, np.ndarray):
        if current.flags.writeable:
            return False
        current = current.base
    return current is None or isinstance(current, bytes)


def frozen_array(value: Any, dtype: Any = None) -> np.ndarray:
    """`value` as a read-only array that nothing else can write into, without copying when possible.

    An array that owns its memory is frozen in place (the caller hands it over: writing into it afterwards
    raises); an array already read-only all the way down is shared; a writeable view of someone else's memory
    is copied first. What comes back is a read-only view of the frozen owner, which numpy will not let anyone
    make writeable again.
    """
    arr = np.asarray(value, dtype=dtype)
    if shares_only_frozen_memory(arr):
        return arr
    if not arr.flags.owndata:
        arr = arr.copy()
    arr.flags.writeable = False
    return arr.view()
