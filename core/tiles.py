"""Tiled, copy-on-write pixel planes: what a layer's pixels, depth and mask are stored as (docs/painting.md).

A `TiledPlane` is an immutable value: a box (x0, y0, x1, y1) in the plane's own coordinates and a dict of read-only
64×64 tiles on a grid anchored at the plane's (0, 0); a tile that is absent holds the plane's `fill` everywhere, and
every pixel of a tile that lies outside the box holds `fill` too (the invariant that lets a box grow without
rewriting anything). An edit (`with_tiles`, `with_region`) builds a new plane that shares every tile it did not
change, so an old version costs only the tiles it does not share, and a snapshot costs nothing.

`to_dense()` is the one place where tiles become one array (`Layer.rgba`, `Layer.depth` read it). The array is
cached per plane: a plane built from an array (`from_dense`) returns that very array (its tiles are views into it,
so it costs nothing more), a plane built by an edit assembles its array once and keeps it in a process-wide LRU
bounded by bytes, which also drops the array of the version an edit superseded. An array still referenced
somewhere is found again through a weak reference instead of being assembled twice.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np

from seethrough.core.frozen import frozen_array

#: tile edge in pixels (Krita's and MyPaint's)
TILE = 64

Rect = tuple[int, int, int, int]  # (x0, y0, x1, y1), x1/y1 exclusive
TileKey = tuple[int, int]  # (tx, ty): the tile covering x in [tx*TILE, (tx+1)*TILE), same for y

def _default_cache_bytes() -> int:
    """An eighth of the machine's memory, between 512 MiB and 8 GiB."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        memory = 8 << 30
    return int(min(max(memory // 8, 512 << 20), 8 << 30))


#: bytes of assembled dense arrays the cache keeps alive (SEETHROUGH_DENSE_CACHE_MB overrides)
DEFAULT_DENSE_CACHE_BYTES = _default_cache_bytes()


# --- rectangles ---------------------------------------------------------------------------------------------------
def rect_is_empty(rect: Rect) -> bool:
    return rect[2] <= rect[0] or rect[3] <= rect[1]


def intersect_rects(a: Rect, b: Rect) -> Rect | None:
    """The overlap of two rectangles, or None when they do not overlap."""
    rect = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return None if rect_is_empty(rect) else rect


def union_rects(a: Rect, b: Rect) -> Rect:
    """The bounding rectangle of both; an empty rectangle adds nothing."""
    if rect_is_empty(a):
        return b
    if rect_is_empty(b):
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def contains_rect(outer: Rect, inner: Rect) -> bool:
    return rect_is_empty(inner) or (
        outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]
    )


def tile_rect(key: TileKey) -> Rect:
    tx, ty = key
    return (tx * TILE, ty * TILE, (tx + 1) * TILE, (ty + 1) * TILE)


def tile_keys(rect: Rect) -> Iterator[TileKey]:
    """The keys of every tile that overlaps `rect`, row by row."""
    if rect_is_empty(rect):
        return
    x0, y0, x1, y1 = rect
    for ty in range(y0 // TILE, (y1 - 1) // TILE + 1):
        for tx in range(x0 // TILE, (x1 - 1) // TILE + 1):
            yield (tx, ty)


@lru_cache(maxsize=64)
def _fill_tile(dtype: str, channels: int | None, fill: float) -> np.ndarray:
    shape = (TILE, TILE) if channels is None else (TILE, TILE, channels)
    tile = np.full(shape, fill, dtype=np.dtype(dtype))
    tile.flags.writeable = False
    return tile


# --- the dense cache ------------------------------------------------------------------------------------------------
class DenseCache:
    """An LRU of assembled dense arrays, bounded by bytes, keyed by plane (entries leave with their plane)."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._lock = threading.RLock()  # re-entered when a collected plane's finalizer runs inside a locked call
        self._entries: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def keep(self, plane: TiledPlane, arr: np.ndarray) -> None:
        """Hold `arr` for `plane` until it is the least recently used beyond the limit or the plane dies."""
        key = id(plane)
        with self._lock:
            if key in self._entries:
                self._bytes -= self._entries.pop(key).nbytes
            else:
                weakref.finalize(plane, self.forget, key)
            self._entries[key] = arr
            self._bytes += arr.nbytes
            self._trim()

    def touch(self, plane: TiledPlane) -> None:
        with self._lock:
            if id(plane) in self._entries:
                self._entries.move_to_end(id(plane))

    def forget(self, key: int) -> None:
        with self._lock:
            arr = self._entries.pop(key, None)
            if arr is not None:
                self._bytes -= arr.nbytes

    def count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def set_limit(self, limit_bytes: int) -> None:
        with self._lock:
            self.limit_bytes = limit_bytes
            self._trim()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def reset_counters(self) -> None:
        with self._lock:
            self.hits = self.misses = self.evictions = 0

    def stats(self) -> dict[str, float]:
        with self._lock:
            lookups = self.hits + self.misses
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "limit_bytes": self.limit_bytes,
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
                "hit_rate": self.hits / lookups if lookups else 0.0,
            }

    def _trim(self) -> None:
        while self._bytes > self.limit_bytes and self._entries:
            _, arr = self._entries.popitem(last=False)
            self._bytes -= arr.nbytes
            self.evictions += 1


def _limit_from_environment() -> int:
    text = os.environ.get("SEETHROUGH_DENSE_CACHE_MB", "")
    try:
        return max(0, int(float(text) * 2**20)) if text else DEFAULT_DENSE_CACHE_BYTES
    except ValueError:
        return DEFAULT_DENSE_CACHE_BYTES


#: the process-wide cache of assembled arrays (`dense_cache.stats()`, `.set_limit(bytes)`, `.clear()`)
dense_cache = DenseCache(_limit_from_environment())

# id(dense array) -> (that array, its plane), both weakly: `plane_of(layer.rgba)` finds the plane again
_owners: dict[int, tuple[weakref.ref[np.ndarray], weakref.ref[TiledPlane]]] = {}
_owners_lock = threading.RLock()  # re-entered when a collected array's callback runs inside a locked call


def _register_owner(arr: np.ndarray, plane: TiledPlane) -> None:
    key = id(arr)

    def forget(ref: weakref.ref[np.ndarray]) -> None:
        with _owners_lock:
            entry = _owners.get(key)
            if entry is not None and entry[0] is ref:
                del _owners[key]

    with _owners_lock:
        _owners[key] = (weakref.ref(arr, forget), weakref.ref(plane))


def plane_of(arr: np.ndarray) -> TiledPlane | None:
    """The plane whose `to_dense()` returned this very array object, if it is still alive."""
    with _owners_lock:
        entry = _owners.get(id(arr))
    if entry is None or entry[0]() is not arr:
        return None
    return entry[1]()


# --- the plane ----------------------------------------------------------------------------------------------------
class TiledPlane:
    """An immutable 2-D array of pixels (one or several channels) stored as shared, read-only 64×64 tiles.

    Build one with `from_dense`, `constant` or `empty`; derive new ones with `with_tiles`, `with_region`,
    `cropped`, `moved`. Planes compare by identity, like layers.
    """

    __slots__ = ("_box", "_tiles", "_fill", "_dtype", "_channels", "_origin", "_dense_ref", "_parent", "_changed",
                 "__weakref__")

    def __init__(
        self,
        box: Rect,
        tiles: Mapping[TileKey, np.ndarray],
        fill: float,
        dtype: Any,
        channels: int | None,
        *,
        origin: np.ndarray | None = None,
        parent: TiledPlane | None = None,
        changed: frozenset[TileKey] | None = None,
    ) -> None:
        """Low level: the tiles must already be read-only, full-sized and hold `fill` outside `box`.

        `parent` and `changed`: the plane this one was edited from and the tiles that differ (for `to_dense`).
        """
        self._box: Rect = tuple(int(v) for v in box)  # type: ignore[assignment]
        self._tiles: dict[TileKey, np.ndarray] = dict(tiles)
        self._dtype = np.dtype(dtype)
        self._fill = float(fill) if self._dtype.kind == "f" else int(fill)
        self._channels = channels
        self._origin = origin
        self._dense_ref: weakref.ref[np.ndarray] | None = None
        self._parent = None if parent is None else weakref.ref(parent)
        self._changed = changed
        if origin is not None:
            _register_owner(origin, self)

    # --- construction ---------------------------------------------------------------------------------------
    @classmethod
    def from_dense(cls, value: Any, origin: tuple[int, int] = (0, 0), fill: float = 0) -> TiledPlane:
        """A plane holding `value` (h, w) or (h, w, c) with its top-left pixel at `origin`.

        Takes the array over as a `Layer` does (`frozen_array`): no copy when it owns its memory or is already
        frozen. Tiles that lie wholly inside the array are read-only views into it; the edge tiles are padded copies.
        """
        arr = frozen_array(value)
        if arr.ndim not in (2, 3):
            raise ValueError(f"a plane is a 2-D array of pixels, got shape {arr.shape}")
        h, w = arr.shape[:2]
        ox, oy = int(origin[0]), int(origin[1])
        box = (ox, oy, ox + w, oy + h)
        channels = None if arr.ndim == 2 else int(arr.shape[2])
        tiles: dict[TileKey, np.ndarray] = {}
        for key in tile_keys(box):
            tx0, ty0, tx1, ty1 = tile_rect(key)
            if tx0 >= box[0] and ty0 >= box[1] and tx1 <= box[2] and ty1 <= box[3]:
                tiles[key] = arr[ty0 - oy : ty1 - oy, tx0 - ox : tx1 - ox]
                continue
            tile = np.array(_fill_tile(arr.dtype.str, channels, fill))
            ix0, iy0, ix1, iy1 = intersect_rects(box, (tx0, ty0, tx1, ty1))  # type: ignore[misc]
            tile[iy0 - ty0 : iy1 - ty0, ix0 - tx0 : ix1 - tx0] = arr[iy0 - oy : iy1 - oy, ix0 - ox : ix1 - ox]
            tile.flags.writeable = False
            tiles[key] = tile
        plane = cls(box, tiles, fill, arr.dtype, channels, origin=arr)
        if isinstance(value, np.ndarray) and arr.base is value:
            _register_owner(value, plane)  # frozen in place: the caller's array object finds this plane too
        return plane

    @classmethod
    def constant(cls, box: Rect, fill: float, dtype: Any, channels: int | None = None) -> TiledPlane:
        """A plane holding `fill` everywhere in `box`: no tiles at all (a flat depth map costs nothing)."""
        return cls(box, {}, fill, dtype, channels)

    @classmethod
    def empty(cls, dtype: Any, channels: int | None = None, fill: float = 0) -> TiledPlane:
        return cls((0, 0, 0, 0), {}, fill, dtype, channels)

    # --- reading --------------------------------------------------------------------------------------------
    @property
    def box(self) -> Rect:
        return self._box

    @property
    def fill(self) -> float:
        return self._fill

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def channels(self) -> int | None:
        """None for a one-value-per-pixel plane (depth, mask), else the last axis (4 for RGBA)."""
        return self._channels

    @property
    def width(self) -> int:
        return max(0, self._box[2] - self._box[0])

    @property
    def height(self) -> int:
        return max(0, self._box[3] - self._box[1])

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of `to_dense()`."""
        base = (self.height, self.width)
        return base if self._channels is None else (*base, self._channels)

    @property
    def tile_shape(self) -> tuple[int, ...]:
        return (TILE, TILE) if self._channels is None else (TILE, TILE, self._channels)

    @property
    def tiles(self) -> Mapping[TileKey, np.ndarray]:
        """The stored tiles (read-only arrays); an absent key is a tile of `fill`."""
        return MappingProxyType(self._tiles)

    @property
    def nbytes(self) -> int:
        """Bytes of the stored tiles (each counted once, views included)."""
        return sum(tile.nbytes for tile in self._tiles.values())

    def tile(self, key: TileKey) -> np.ndarray | None:
        return self._tiles.get(key)

    def tile_or_fill(self, key: TileKey) -> np.ndarray:
        """The tile at `key`, or a shared read-only tile of `fill` where none is stored."""
        tile = self._tiles.get(key)
        return tile if tile is not None else _fill_tile(self._dtype.str, self._channels, self._fill)

    def to_dense(self) -> np.ndarray:
        """The box as one read-only array: the same object while anything holds it (cached; see the module doc)."""
        if self._origin is not None:
            dense_cache.count(hit=True)
            return self._origin
        arr = self._dense_ref() if self._dense_ref is not None else None
        if arr is not None:
            dense_cache.count(hit=True)
            dense_cache.touch(self)
            return arr
        dense_cache.count(hit=False)
        owner = self._assemble()
        owner.flags.writeable = False
        arr = owner.view()
        self._dense_ref = weakref.ref(arr)
        _register_owner(arr, self)
        dense_cache.keep(self, arr)
        parent = self._parent() if self._parent is not None else None
        if parent is not None:
            dense_cache.forget(id(parent))  # superseded: an old version keeps its tiles, not its array
        return arr

    def _cached_dense(self) -> np.ndarray | None:
        if self._origin is not None:
            return self._origin
        return self._dense_ref() if self._dense_ref is not None else None

    def _assemble(self) -> np.ndarray:
        """A new array of the box: the parent's array with the changed tiles patched in when the parent still has
        one (a copy is three times faster than assembling every tile), else every tile."""
        parent = self._parent() if self._parent is not None else None
        base = parent._cached_dense() if parent is not None and parent._box == self._box else None
        if base is None or self._changed is None:
            return self.region(self._box)
        out = np.array(base)
        x0, y0 = self._box[0], self._box[1]
        for key in self._changed:
            part = intersect_rects(tile_rect(key), self._box)
            if part is None:
                continue
            tile = self.tile_or_fill(key)
            px0, py0, px1, py1 = part
            tx0, ty0 = key[0] * TILE, key[1] * TILE
            out[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0] = tile[py0 - ty0 : py1 - ty0, px0 - tx0 : px1 - tx0]
        return out

    def region(self, rect: Rect, outside: float | None = None) -> np.ndarray:
        """A new, writeable copy of `rect`; pixels outside the box read `outside` (default: `fill`)."""
        x0, y0, x1, y1 = rect
        shape: tuple[int, ...] = (max(0, y1 - y0), max(0, x1 - x0))
        if self._channels is not None:
            shape = (*shape, self._channels)
        out = np.full(shape, self._fill if outside is None else outside, dtype=self._dtype)
        inner = intersect_rects(rect, self._box)
        if inner is None:
            return out
        refill = outside is not None and outside != self._fill
        for key in tile_keys(inner):
            tile = self._tiles.get(key)
            if tile is None and not refill:
                continue
            tx0, ty0 = key[0] * TILE, key[1] * TILE
            part = intersect_rects(inner, (tx0, ty0, tx0 + TILE, ty0 + TILE))
            assert part is not None
            px0, py0, px1, py1 = part
            target = out[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0]
            if tile is None:
                target[...] = self._fill
            else:
                target[...] = tile[py0 - ty0 : py1 - ty0, px0 - tx0 : px1 - tx0]
        return out

    def content_bbox(self, channel: int | None = None) -> Rect | None:
        """The box of the pixels that differ from `fill` (in `channel` only, e.g. 3 = alpha), or None."""
        found: Rect = (0, 0, 0, 0)
        for key, tile in self._tiles.items():
            values = tile if channel is None or self._channels is None else tile[..., channel]
            differs = values != self._fill
            if differs.ndim == 3:
                differs = differs.any(axis=2)
            rows = np.flatnonzero(differs.any(axis=1))
            if rows.size == 0:
                continue
            cols = np.flatnonzero(differs.any(axis=0))
            tx0, ty0 = key[0] * TILE, key[1] * TILE
            found = union_rects(
                found, (tx0 + int(cols[0]), ty0 + int(rows[0]), tx0 + int(cols[-1]) + 1, ty0 + int(rows[-1]) + 1)
            )
        return None if rect_is_empty(found) else found

    def shared_tiles(self, other: TiledPlane) -> int:
        """How many tiles the two planes hold as the very same array object (copy-on-write sharing)."""
        return sum(1 for key, tile in self._tiles.items() if other._tiles.get(key) is tile)

    # --- editing (each returns a new plane) -----------------------------------------------------------------
    def with_tiles(self, updates: Mapping[TileKey, np.ndarray | None], box: Rect | None = None) -> TiledPlane:
        """A new plane with these tiles replaced (None: a tile of `fill`), and its box grown to `box`.

        The plane takes the arrays over (they are frozen). Pixels of a new tile outside the box become `fill`;
        a tile equal to the one it replaces keeps the old object, a tile of `fill` is not stored; with nothing
        changed, the plane itself comes back.
        """
        new_box = self._box if box is None else tuple(int(v) for v in box)
        if not contains_rect(new_box, self._box):  # type: ignore[arg-type]
            raise ValueError(f"with_tiles only grows a plane: {new_box} does not contain {self._box}")
        tiles = dict(self._tiles)
        changed: set[TileKey] = set()
        for key, tile in updates.items():
            if tile is None:
                if tiles.pop(key, None) is not None:
                    changed.add(key)
                continue
            if tile.shape != self.tile_shape or tile.dtype != self._dtype:
                raise ValueError(f"tile {key}: expected {self.tile_shape} {self._dtype}, got {tile.shape} {tile.dtype}")
            tile = self._filled_outside(key, tile, new_box)  # type: ignore[arg-type]
            old = tiles.get(key)
            if old is not None and np.array_equal(old, tile):
                continue
            if not np.any(tile != self._fill):
                if tiles.pop(key, None) is not None:
                    changed.add(key)
                continue
            tiles[key] = frozen_array(tile)
            changed.add(key)
        if not changed and new_box == self._box:
            return self
        return TiledPlane(new_box, tiles, self._fill, self._dtype, self._channels,  # type: ignore[arg-type]
                          parent=self, changed=frozenset(changed))

    def with_region(self, x: int, y: int, values: np.ndarray) -> TiledPlane:
        """A new plane with `values` written with its top-left pixel at (x, y); the box grows to include it."""
        values = np.asarray(values, dtype=self._dtype)
        h, w = values.shape[:2]
        rect = (int(x), int(y), int(x) + w, int(y) + h)
        updates: dict[TileKey, np.ndarray | None] = {}
        for key in tile_keys(rect):
            tile = np.array(self.tile_or_fill(key))
            tx0, ty0, tx1, ty1 = tile_rect(key)
            px0, py0, px1, py1 = intersect_rects(rect, (tx0, ty0, tx1, ty1))  # type: ignore[misc]
            tile[py0 - ty0 : py1 - ty0, px0 - tx0 : px1 - tx0] = values[py0 - rect[1] : py1 - rect[1],
                                                                         px0 - rect[0] : px1 - rect[0]]
            updates[key] = tile
        return self.with_tiles(updates, union_rects(self._box, rect))

    def cropped(self, rect: Rect) -> TiledPlane:
        """A new plane whose box is `rect` ∩ the box; tiles wholly inside stay shared, the rest is dropped."""
        inner = intersect_rects(rect, self._box)
        new_box: Rect = inner if inner is not None else (rect[0], rect[1], rect[0], rect[1])
        tiles: dict[TileKey, np.ndarray] = {}
        for key, tile in self._tiles.items():
            trect = tile_rect(key)
            if contains_rect(new_box, trect):
                tiles[key] = tile
            elif intersect_rects(new_box, trect) is not None:
                cleaned = self._filled_outside(key, np.array(tile), new_box)
                if np.any(cleaned != self._fill):
                    tiles[key] = frozen_array(cleaned)
        return TiledPlane(new_box, tiles, self._fill, self._dtype, self._channels)

    def moved(self, dx: int, dy: int) -> TiledPlane:
        """The same pixels with the box shifted by (dx, dy): O(tiles) when both are multiples of TILE."""
        x0, y0, x1, y1 = self._box
        if dx % TILE == 0 and dy % TILE == 0:
            tiles = {(tx + dx // TILE, ty + dy // TILE): tile for (tx, ty), tile in self._tiles.items()}
            return TiledPlane((x0 + dx, y0 + dy, x1 + dx, y1 + dy), tiles, self._fill, self._dtype, self._channels)
        return TiledPlane.from_dense(self.to_dense(), (x0 + dx, y0 + dy), self._fill)

    # --- internals --------------------------------------------------------------------------------------------
    def _filled_outside(self, key: TileKey, tile: np.ndarray, box: Rect) -> np.ndarray:
        """`tile` with its pixels outside `box` set to `fill` (in place when it is writeable and partly outside)."""
        trect = tile_rect(key)
        if contains_rect(box, trect):
            return tile
        inside = intersect_rects(box, trect)
        if not tile.flags.writeable:
            tile = np.array(tile)
        if inside is None:
            tile[...] = self._fill
            return tile
        tx0, ty0 = trect[0], trect[1]
        ix0, iy0, ix1, iy1 = (v - o for v, o in zip(inside, (tx0, ty0, tx0, ty0)))
        tile[:iy0] = self._fill
        tile[iy1:] = self._fill
        tile[iy0:iy1, :ix0] = self._fill
        tile[iy0:iy1, ix1:] = self._fill
        return tile

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle (and deepcopy) the box and the tiles; the copy's tiles are read-only again."""
        return (_restore_plane, (self._box, dict(self._tiles), self._fill, self._dtype.str, self._channels))

    def __repr__(self) -> str:
        return (
            f"TiledPlane(box={self._box}, {len(self._tiles)} tiles, {self._dtype}"
            f"{'' if self._channels is None else f'×{self._channels}'}, fill={self._fill})"
        )


def _restore_plane(
    box: Rect, tiles: dict[TileKey, np.ndarray], fill: float, dtype: str, channels: int | None
) -> TiledPlane:
    return TiledPlane(box, {key: frozen_array(tile) for key, tile in tiles.items()}, fill, dtype, channels)
