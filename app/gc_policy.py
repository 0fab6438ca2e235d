"""Keep Python's cyclic garbage collector off the UI thread's critical path.

A full (generation 2) collection walks every object the process holds — after torch, diffusers and pyqtgraph are
imported that is hundreds of thousands — and costs 40–70 ms wherever an allocation happens to trigger it, often on
the UI thread: a visible stall. Once the window is built, `quiet_gc()` moves everything alive into the permanent
generation (`gc.freeze()`), so later collections only walk objects created since, and makes young collections
less frequent. Cycles created later are still collected.
"""

from __future__ import annotations

import gc

#: generation-0 threshold: collect young objects after this many net allocations (CPython's default is 700)
YOUNG_THRESHOLD = 10_000


def quiet_gc() -> None:
    """Collect once, freeze what survives, and raise the young-generation threshold."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
