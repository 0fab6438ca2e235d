"""Pure scheduling policy for background work (no Qt, no threads): which queued request still matters, and when a
burst of requests has settled.

- `LatestWins`: a FIFO of requests where a new request with the same key supersedes the queued one (the superseded
  one is handed back so the caller can mark it cancelled). Used by the app's job lanes for previews: only the
  newest preview of a thing is worth computing.
- `Debounce`: "run once the requests stopped for `delay` seconds", driven by an injectable clock so it is tested
  without sleeping.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestWins(Generic[T]):
    """A queue in which at most one item per key waits; `None` keys never supersede anything."""

    def __init__(self) -> None:
        self._items: deque[tuple[str | None, T]] = deque()

    def push(self, item: T, key: str | None = None) -> list[T]:
        """Queue `item`; return the queued items it superseded (same key), oldest first."""
        dropped: list[T] = []
        if key is not None:
            kept: deque[tuple[str | None, T]] = deque()
            for k, queued in self._items:
                if k == key:
                    dropped.append(queued)
                else:
                    kept.append((k, queued))
            self._items = kept
        self._items.append((key, item))
        return dropped

    def pop(self) -> T | None:
        """The oldest waiting item, or None."""
        return self._items.popleft()[1] if self._items else None

    def remove(self, item: T) -> bool:
        for entry in list(self._items):
            if entry[1] is item:
                self._items.remove(entry)
                return True
        return False

    def drain(self) -> list[T]:
        items = [item for _k, item in self._items]
        self._items.clear()
        return items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return (item for _k, item in self._items)


class Debounce:
    """`poke()` on every request; `due()` is True once `delay` seconds passed since the last poke (then resets)."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = float(delay)
        self._clock = clock
        self._last: float | None = None

    def poke(self) -> None:
        self._last = self._clock()

    @property
    def pending(self) -> bool:
        return self._last is not None

    def remaining(self) -> float:
        """Seconds until due (0 when due, inf when nothing is pending)."""
        if self._last is None:
            return float("inf")
        return max(0.0, self._last + self.delay - self._clock())

    def due(self) -> bool:
        if self._last is None or self.remaining() > 0:
            return False
        self._last = None
        return True
