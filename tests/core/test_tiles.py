"""Tiled copy-on-write planes and the layers that hold them (core/tiles.py, docs/painting.md)."""

from __future__ import annotations

import dataclasses
import gc
import pickle

import numpy as np
import pytest

from seethrough.core.commands import PlaneEdit, SetLayerPlanes
from seethrough.core.document import DEPTH_FILL, Document, Layer
from seethrough.core.errors import BadInput, LayerLocked
from seethrough.core.tiles import TILE, TiledPlane, dense_cache, plane_of, tile_keys

RNG = np.random.default_rng(19)


def _reference(arr: np.ndarray, origin: tuple[int, int], rect: tuple[int, int, int, int], fill: float) -> np.ndarray:
    """`rect` read from `arr` placed at `origin` on an endless plane of `fill`, by plain numpy."""
    x0, y0, x1, y1 = rect
    out = np.full((y1 - y0, x1 - x0, *arr.shape[2:]), fill, arr.dtype)
    ox, oy = origin
    h, w = arr.shape[:2]
    ix0, iy0, ix1, iy1 = max(x0, ox), max(y0, oy), min(x1, ox + w), min(y1, oy + h)
    if ix1 > ix0 and iy1 > iy0:
        out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = arr[iy0 - oy : iy1 - oy, ix0 - ox : ix1 - ox]
    return out


def _random_array(h: int, w: int, channels: int | None) -> np.ndarray:
    if channels is None:
        return RNG.random((h, w), dtype=np.float32)
    return RNG.integers(0, 256, (h, w, channels), dtype=np.uint8)


@pytest.mark.parametrize("channels", [None, 4, 1])
def test_planes_round_trip_any_array_exactly(channels: int | None) -> None:
    for _ in range(25):
        h, w = int(RNG.integers(0, 300)), int(RNG.integers(0, 300))
        origin = (int(RNG.integers(-200, 200)), int(RNG.integers(-200, 200)))
        arr = _random_array(h, w, channels)
        fill = 0.25 if channels is None else 7
        plane = TiledPlane.from_dense(arr.copy(), origin, fill=fill)
        assert plane.box == (origin[0], origin[1], origin[0] + w, origin[1] + h)
        dense = plane.to_dense()
        assert dense.shape == arr.shape and dense.dtype == arr.dtype and np.array_equal(dense, arr)
        for _ in range(4):
            x0, y0 = int(RNG.integers(-300, 300)), int(RNG.integers(-300, 300))
            rect = (x0, y0, x0 + int(RNG.integers(0, 200)), y0 + int(RNG.integers(0, 200)))
            assert np.array_equal(plane.region(rect), _reference(arr, origin, rect, fill))
            assert np.array_equal(plane.region(rect, outside=0.5), _reference(arr, origin, rect, 0.5))
        assert all(tile.shape[:2] == (TILE, TILE) and not tile.flags.writeable for tile in plane.tiles.values())


def test_interior_tiles_are_views_and_edge_tiles_padded_with_fill() -> None:
    arr = _random_array(150, 200, 4)
    plane = TiledPlane.from_dense(arr)  # 200 = 3 tiles + 8 px, 150 = 2 tiles + 22 px
    assert plane.to_dense() is plane.to_dense() and np.shares_memory(plane.to_dense(), arr)
    assert np.shares_memory(plane.tile((1, 1)), arr)  # inside: a view, no copy
    edge = plane.tile((3, 2))
    assert edge is not None and not np.shares_memory(edge, arr)
    assert np.array_equal(edge[:22, :8], arr[128:, 192:]) and not edge[22:].any() and not edge[:, 8:].any()


@pytest.mark.parametrize("channels", [None, 4])
def test_with_region_replaces_only_the_tiles_it_touches(channels: int | None) -> None:
    for _ in range(10):
        arr = _random_array(int(RNG.integers(64, 400)), int(RNG.integers(64, 400)), channels)
        origin = (int(RNG.integers(-100, 100)), int(RNG.integers(-100, 100)))
        plane = TiledPlane.from_dense(arr, origin)
        h, w = int(RNG.integers(1, 90)), int(RNG.integers(1, 90))
        x, y = int(RNG.integers(origin[0] - 50, origin[0] + 300)), int(RNG.integers(origin[1] - 50, origin[1] + 300))
        patch = _random_array(h, w, channels)
        edited = plane.with_region(x, y, patch)
        touched = set(tile_keys((x, y, x + w, y + h)))
        for key, tile in plane.tiles.items():
            assert (edited.tile(key) is tile) == (key not in touched), key  # untouched tiles are the same objects
        big = (min(x, origin[0]) - 5, min(y, origin[1]) - 5, x + w + arr.shape[1] + 5, y + h + arr.shape[0] + 5)
        expected = _reference(arr, origin, big, 0)
        expected[y - big[1] : y - big[1] + h, x - big[0] : x - big[0] + w] = patch
        assert np.array_equal(edited.region(big), expected)
        x0, y0, x1, y1 = plane.box
        assert edited.box == (min(x0, x), min(y0, y), max(x1, x + w), max(y1, y + h))  # grown to include the patch
        assert np.array_equal(plane.to_dense(), arr)  # the old version is untouched


def test_with_tiles_keeps_equal_tiles_and_drops_fill_tiles() -> None:
    arr = _random_array(128, 128, 4)
    plane = TiledPlane.from_dense(arr)
    same = np.array(plane.tile((0, 0)))
    edited = plane.with_tiles({(0, 0): same, (1, 1): np.zeros((TILE, TILE, 4), np.uint8)})
    assert edited.tile((0, 0)) is plane.tile((0, 0))  # equal content: the old tile stays shared
    assert edited.tile((1, 1)) is None and not edited.region((64, 64, 128, 128)).any()
    assert edited.shared_tiles(plane) == 3 and edited.nbytes == 3 * TILE * TILE * 4
    with pytest.raises(ValueError, match="only grows"):
        plane.with_tiles({}, box=(10, 10, 50, 50))


def test_crop_move_and_content_box() -> None:
    arr = np.zeros((200, 300, 4), np.uint8)
    arr[37:90, 70:211] = RNG.integers(1, 256, (53, 141, 4), dtype=np.uint8)
    arr[120, 5, :3] = 50  # colour without alpha: content for `channel=None`, not for alpha
    plane = TiledPlane.from_dense(arr, (-30, 12))
    assert plane.content_bbox(channel=3) == (-30 + 70, 12 + 37, -30 + 211, 12 + 90)
    assert plane.content_bbox() == (-30 + 5, 12 + 37, -30 + 211, 12 + 121)
    assert TiledPlane.from_dense(np.zeros((70, 70, 4), np.uint8)).content_bbox() is None
    box = plane.content_bbox(channel=3)
    assert box is not None
    cropped = plane.cropped(box)
    assert cropped.box == box and np.array_equal(cropped.to_dense(), arr[37:90, 70:211])
    assert np.array_equal(cropped.region(plane.box), _reference(arr[37:90, 70:211], box[:2], plane.box, 0))
    for dx, dy in [(128, -64), (5, 77)]:
        moved = plane.moved(dx, dy)
        assert moved.box == (-30 + dx, 12 + dy, 270 + dx, 212 + dy) and np.array_equal(moved.to_dense(), arr)
    assert plane.moved(64, 0).shared_tiles(plane) == 0 and plane.moved(64, 0).tile((0, 1)) is plane.tile((-1, 1))


def test_pickled_plane_is_equal_and_frozen() -> None:
    plane = TiledPlane.from_dense(_random_array(90, 70, 4), (3, -4)).with_region(60, 60, _random_array(20, 20, 4))
    twin = pickle.loads(pickle.dumps(plane))
    assert twin.box == plane.box and np.array_equal(twin.to_dense(), plane.to_dense())
    assert all(not tile.flags.writeable for tile in twin.tiles.values())


def test_dense_cache_is_bounded_and_old_versions_keep_only_tiles() -> None:
    limit = dense_cache.limit_bytes
    try:
        dense_cache.set_limit(3 * 256 * 256 * 4)
        plane = TiledPlane.from_dense(_random_array(256, 256, 4))
        versions = [plane]
        for i in range(6):
            versions.append(versions[-1].with_region(i * 30, 10, _random_array(20, 20, 4)))
            dense = versions[-1].to_dense()
            assert plane_of(dense) is versions[-1] and versions[-1].to_dense() is dense  # cached: same object
            del dense
        gc.collect()
        assert dense_cache.stats()["bytes"] <= dense_cache.limit_bytes
        # each edit's array superseded its parent's: only the newest version holds one
        held = [v._dense_ref is not None and v._dense_ref() is not None for v in versions[1:]]
        assert held == [False] * 5 + [True]
        before = dense_cache.stats()
        versions[-1].to_dense()
        assert dense_cache.stats()["hits"] == before["hits"] + 1
    finally:
        dense_cache.set_limit(limit)


def test_an_edited_plane_built_from_its_parents_array_equals_the_tiles(monkeypatch) -> None:
    assembled = []
    region = TiledPlane.region
    monkeypatch.setattr(TiledPlane, "region", lambda self, *a, **k: assembled.append(self) or region(self, *a, **k))
    arr = _random_array(300, 250, 4)
    parent = TiledPlane.from_dense(arr, (-7, 9))
    reference = arr.copy()
    edited = parent.with_region(20, 30, _random_array(70, 90, 4))
    reference[30 - 9 : 100 - 9, 20 + 7 : 110 + 7] = edited.region((20, 30, 110, 100))
    assembled.clear()
    assert np.array_equal(edited.to_dense(), reference)  # the parent's array, patched
    dropped = edited.with_tiles({(1, 2): None})  # a tile dropped: it reads as fill
    reference[128 - 9 : 192 - 9, 64 + 7 : 128 + 7] = 0
    assert np.array_equal(dropped.to_dense(), reference) and assembled == []
    grown = dropped.with_region(250, 320, _random_array(10, 10, 4))  # the box grew: assembled from the tiles
    assert np.array_equal(grown.to_dense()[: reference.shape[0], : reference.shape[1]], reference)
    assert assembled == [grown]


# --- layers ---------------------------------------------------------------------------------------------------------
def _layer(h: int = 300, w: int = 260, offset: tuple[int, int] = (40, 30)) -> Layer:
    return Layer("l", _random_array(h, w, 4), offset, depth=RNG.random((h, w), dtype=np.float32), depth_value=0.4)


def test_layer_round_trips_through_its_planes_exactly() -> None:
    for _ in range(10):
        h, w = int(RNG.integers(0, 200)), int(RNG.integers(0, 200))
        rgba, depth = _random_array(h, w, 4), RNG.random((h, w), dtype=np.float32)
        layer = Layer("x", rgba.copy(), (int(RNG.integers(-50, 50)), 3), depth=depth.copy())
        assert np.array_equal(layer.rgba, rgba) and np.array_equal(layer.depth, depth)
        assert layer.pixels.box == layer.depth_plane.box == (0, 0, w, h)  # type: ignore[union-attr]
        rebuilt = Layer("y", layer.pixels, layer.offset, depth=layer.depth_plane)
        assert np.array_equal(rebuilt.rgba, rgba) and rebuilt.bbox == layer.bbox
        assert np.array_equal(rebuilt.on_canvas((120, 90)), layer.on_canvas((120, 90)))


def test_replace_and_pickle_share_or_keep_the_planes() -> None:
    layer = _layer().with_planes(
        _layer().pixels.with_region(-20, 5, _random_array(30, 30, 4)), None
    )  # an edited layer (its dense array is assembled, not given)
    renamed = dataclasses.replace(layer, name="renamed")
    assert renamed.pixels is layer.pixels and renamed.rgba is layer.rgba
    twin = pickle.loads(pickle.dumps(layer))
    assert twin.uid == layer.uid and twin.offset == layer.offset and np.array_equal(twin.rgba, layer.rgba)


def test_geometry_reads_no_dense_array() -> None:
    layer = _layer()
    edited = layer.with_planes(layer.pixels.with_region(250, 290, _random_array(40, 40, 4)), None)
    misses = dense_cache.stats()["misses"]
    assert edited.bbox == (40, 30, 40 + 290, 30 + 330) and edited.width == 290 and not edited.is_empty
    assert dense_cache.stats()["misses"] == misses


def test_a_grown_layer_keeps_its_depth_box_and_depth_outside_reads_far() -> None:
    layer = _layer(100, 100, (10, 10))
    pixels = layer.pixels.with_region(-30, 0, _random_array(10, 10, 4))  # grows 30 px to the left
    depth = layer.depth_plane.with_tiles({}, pixels.box)  # type: ignore[union-attr]
    grown = layer.with_planes(pixels, depth)
    assert grown.offset == (-20, 10) and grown.width == 130 and grown.depth.shape == (100, 130)  # type: ignore[union-attr]
    assert np.array_equal(grown.depth[:, 30:], layer.depth) and (grown.depth[:, :30] == DEPTH_FILL).all()  # type: ignore[index]
    assert np.array_equal(grown.on_canvas((200, 200))[10:110, 10:110], layer.rgba)  # nothing moved on the canvas
    with pytest.raises(ValueError, match="does not match"):
        Layer("bad", pixels, depth=layer.depth_plane)


# --- the command ------------------------------------------------------------------------------------------------------
def _painted(layer: Layer, x: int, y: int, size: int, value: int = 200) -> PlaneEdit:
    pixels = layer.pixels.with_region(x, y, np.full((size, size, 4), value, np.uint8))
    return PlaneEdit(layer, pixels, layer.depth_plane, layer.offset)


def test_set_layer_planes_undo_restores_the_exact_layer_and_shares_untouched_tiles() -> None:
    big = Layer("big", _random_array(1024, 1024, 4))
    doc = Document((1024, 1024), [big])
    doc.history.push(SetLayerPlanes([_painted(big, 100, 100, 20)]))
    after = doc.layers[0]
    assert after.uid == big.uid and after.pixels.shared_tiles(big.pixels) == 256 - 1  # one 64² tile changed
    assert doc.history.undo() and doc.layers[0] is big
    assert doc.history.redo() and doc.layers[0].pixels is after.pixels


def test_undo_step_memory_is_the_touched_tiles() -> None:
    big = Layer("big", _random_array(2048, 2048, 4))
    doc = Document((2048, 2048), [big])
    for value, size in enumerate((10, 100, 300)):
        before = doc.layers[0]
        doc.history.push(SetLayerPlanes([_painted(before, 500, 700, size, value)]))
        after = doc.layers[0]
        private = sum(t.nbytes for k, t in after.pixels.tiles.items() if before.pixels.tile(k) is not t)
        assert private == len(set(tile_keys((500, 700, 500 + size, 700 + size)))) * TILE * TILE * 4


def test_set_layer_planes_refuses_locked_and_stale_layers() -> None:
    layer = _layer()
    doc = Document((400, 400), [dataclasses.replace(layer, locked=True)])
    with pytest.raises(LayerLocked):
        doc.history.push(SetLayerPlanes([_painted(doc.layers[0], 0, 0, 8)]))
    doc = Document((400, 400), [layer])
    stale = _painted(layer, 0, 0, 8)
    doc.history.push(SetLayerPlanes([_painted(layer, 50, 50, 8)]))
    with pytest.raises(BadInput, match="changed since"):
        doc.history.push(SetLayerPlanes([stale]))
    assert doc.history.count == 1


def test_a_plane_collected_while_the_cache_is_locked_does_not_deadlock() -> None:
    """Garbage collection can run a dead plane's or array's callback inside a cache call on the same thread."""
    import threading

    from seethrough.core import tiles

    def collect_inside_the_locks() -> None:
        plane = TiledPlane.from_dense(_random_array(100, 100, 4)).with_region(0, 0, _random_array(5, 5, 4))
        dense = plane.to_dense()
        with tiles.dense_cache._lock, tiles._owners_lock:
            del plane, dense
            gc.collect()

    worker = threading.Thread(target=collect_inside_the_locks, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
