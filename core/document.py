"""The layer document: a canvas, a source image and an ordered stack of RGBA layers with pseudo-depth.

Conventions (used everywhere in the project):
- `layers[0]` is the bottom (farthest, drawn first); the last layer is on top, as in a PSD.
- Pixels are RGBA uint8, *straight* (not premultiplied) alpha, cropped to the layer's box;
  `offset = (x, y)` is the top-left corner of that box on the canvas.
- Depth is float32 in [0, 1], 0 = nearest; `depth` is per pixel (same box as the pixels) or None;
  `depth_value` is the layer's representative depth (median over its opaque pixels, by default).

The document is a value (docs/document-model.md):
- A `Layer` is frozen and its arrays are read-only: a change builds a new layer (`dataclasses.replace`).
- `Document` holds a tuple of layers, a read-only source image and read-only metadata; it changes only through
  `Command`s pushed on `doc.history`, which swap in new values, so every edit can be undone and the GUI and the
  CLI share one mechanism. Observers subscribe with `doc.subscribe`.
- `doc.snapshot()` is O(1): it shares every array and layer with the document (nothing can write into them),
  and later commands never change it. Background jobs read a snapshot, never the live document; read-side
  functions take either (the `DocumentLike` protocol).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

import numpy as np

from seethrough.core.frozen import frozen_array
from seethrough.core.layer_mask import LayerMask, masked
from seethrough.core.tiles import TiledPlane, plane_of

if TYPE_CHECKING:
    from seethrough.core.commands import History, HistoryPosition
    from seethrough.core.selection.value import Selection

#: alpha above which a pixel counts as part of the layer (authors use >10 on a 0..255 scale)
ALPHA_THRESHOLD = 10


def new_uid() -> str:
    return uuid.uuid4().hex[:12]


#: what a depth map holds where nothing was written (outside the layer's pixels before it grew): far
DEPTH_FILL = 1.0


class _PixelsField:
    """The `rgba` field: given an (h, w, 4) uint8 array or an RGBA `TiledPlane`, read as the dense array.

    The layer stores the plane (`layer.pixels`); `layer.rgba` is `layer.pixels.to_dense()` (the one cached
    conversion). Giving back an array that a plane's `to_dense()` returned reuses that plane (so
    `dataclasses.replace(layer, name=…)` shares every tile).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_given"

    @overload
    def __get__(self, obj: None, owner: Any = None) -> np.ndarray: ...
    @overload
    def __get__(self, obj: Layer, owner: Any = None) -> np.ndarray: ...
    def __get__(self, obj: Layer | None, owner: Any = None) -> np.ndarray:
        if obj is None:
            raise AttributeError("rgba has no default")  # a required dataclass field
        return obj.pixels.to_dense()

    def __set__(self, obj: Layer, value: np.ndarray | TiledPlane) -> None:
        obj.__dict__[self._slot] = value  # only the dataclass __init__ gets here; __post_init__ builds the plane


class _DepthField:
    """The `depth` field: None, an (h, w) float array or a float32 `TiledPlane`, read as the dense array or None."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_given"

    @overload
    def __get__(self, obj: None, owner: Any = None) -> np.ndarray | None: ...
    @overload
    def __get__(self, obj: Layer, owner: Any = None) -> np.ndarray | None: ...
    def __get__(self, obj: Layer | None, owner: Any = None) -> np.ndarray | None:
        if obj is None:
            return None  # the dataclass default
        plane = obj.depth_plane
        return None if plane is None else plane.to_dense()

    def __set__(self, obj: Layer, value: np.ndarray | TiledPlane | None) -> None:
        obj.__dict__[self._slot] = value


def _pixels_plane(value: Any, name: str) -> TiledPlane:
    if isinstance(value, TiledPlane):
        if value.channels != 4 or value.dtype != np.uint8 or value.fill != 0:
            raise ValueError(f"layer {name!r}: pixels must be an RGBA uint8 plane of fill 0, got {value!r}")
        return value
    rgba = np.asarray(value)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"layer {name!r}: pixels must be (h, w, 4) uint8, got {rgba.shape} {rgba.dtype}")
    return plane_of(rgba) or TiledPlane.from_dense(rgba)


def _depth_plane(value: Any, pixels: TiledPlane, name: str) -> TiledPlane | None:
    if value is None:
        return None
    if isinstance(value, TiledPlane):
        if value.channels is not None or value.dtype != np.float32:
            raise ValueError(f"layer {name!r}: depth must be a float32 plane of one channel, got {value!r}")
        plane = value
    else:
        depth = np.asarray(value, dtype=np.float32)
        if depth.shape != pixels.shape[:2]:
            raise ValueError(f"layer {name!r}: depth {depth.shape} does not match pixels {pixels.shape[:2]}")
        plane = plane_of(depth) or TiledPlane.from_dense(depth, pixels.box[:2], fill=DEPTH_FILL)
    if plane.box == pixels.box:
        return plane
    if plane.shape != pixels.shape[:2]:
        raise ValueError(f"layer {name!r}: depth {plane.shape} does not match pixels {pixels.shape[:2]}")
    return plane.moved(pixels.box[0] - plane.box[0], pixels.box[1] - plane.box[1])


@dataclass(frozen=True, eq=False, repr=False)
class Layer:
    """One layer; immutable (build a changed one with `dataclasses.replace(layer, field=…)`).

    Equality is identity: two layers with the same pixels are still two layers. The pixels and the depth map
    are stored as tiled planes (`pixels`, `depth_plane`; core/tiles.py) and read as dense arrays (`rgba`, `depth`).
    """

    name: str
    rgba: _PixelsField = _PixelsField()  # (h, w, 4) uint8, straight alpha; read-only (or give a TiledPlane)
    offset: tuple[int, int] = (0, 0)  # (x, y) on the canvas of the top-left pixel of the box
    tag: str | None = None
    depth: _DepthField = _DepthField()  # (h, w) float32 in [0, 1], 0 = nearest; read-only; or None
    depth_value: float = 0.5
    visible: bool = True
    opacity: float = 1.0
    locked: bool = False
    provenance: str = ""
    uid: str = field(default_factory=new_uid)
    blend_mode: str = "normal"  # core.blending: how the layer mixes with what is below (PSD names, lower case)
    layer_mask: LayerMask | None = None  # core.layer_mask (255 shows); `shown_rgba` applies it

    def __post_init__(self) -> None:
        pixels = _pixels_plane(self.__dict__.pop("_rgba_given"), self.name)
        object.__setattr__(self, "_pixels", pixels)
        depth = _depth_plane(self.__dict__.pop("_depth_given", None), pixels, self.name)
        object.__setattr__(self, "_depth_plane", depth)
        object.__setattr__(self, "offset", (int(self.offset[0]), int(self.offset[1])))
        object.__setattr__(self, "depth_value", float(self.depth_value))
        object.__setattr__(self, "opacity", float(self.opacity))
        object.__setattr__(self, "visible", bool(self.visible))
        object.__setattr__(self, "locked", bool(self.locked))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and deepcopy through the constructor (the planes, not dense copies): the copy is frozen too."""
        stored = {"rgba": self.pixels, "depth": self.depth_plane}
        return (Layer, tuple(stored.get(f.name, getattr(self, f.name, None)) for f in fields(self)))

    def __repr__(self) -> str:
        depth = "" if self.depth_plane is None else ", depth map"
        return (
            f"Layer(name={self.name!r}, {self.width}×{self.height} at {self.offset}, tag={self.tag!r}{depth}, "
            f"uid={self.uid!r})"
        )

    # --- storage ----------------------------------------------------------------------------------
    @property
    def pixels(self) -> TiledPlane:
        """The RGBA pixels as a tiled plane (uint8, 4 channels, fill 0); `rgba` is its dense array."""
        pixels: TiledPlane = self.__dict__["_pixels"]
        return pixels

    @property
    def depth_plane(self) -> TiledPlane | None:
        """The depth map as a tiled plane (float32, same box as `pixels`, fill DEPTH_FILL), or None."""
        depth: TiledPlane | None = self.__dict__["_depth_plane"]
        return depth

    @property
    def plane_shift(self) -> tuple[int, int]:
        """Add to a canvas position to get the planes' position: the planes' box starts at `offset` on the canvas."""
        box = self.pixels.box
        return (box[0] - self.offset[0], box[1] - self.offset[1])

    def with_planes(
        self, pixels: TiledPlane, depth: TiledPlane | None, offset: tuple[int, int] | None = None
    ) -> Layer:
        """The same layer (uid included) holding these planes; `offset` defaults to keeping the box in place.

        Without `offset`, a box that grew left or up moves the offset with it, so no pixel moves on the canvas.
        """
        if offset is None:
            old = self.pixels.box
            offset = (self.offset[0] + pixels.box[0] - old[0], self.offset[1] + pixels.box[1] - old[1])
        return replace(self, rgba=pixels, depth=depth, offset=offset)

    # --- geometry -------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self.pixels.width

    @property
    def height(self) -> int:
        return self.pixels.height

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) on the canvas, x1/y1 exclusive."""
        x, y = self.offset
        return (x, y, x + self.width, y + self.height)

    @property
    def alpha(self) -> np.ndarray:
        return self.rgba[..., 3]

    @property
    def mask(self) -> np.ndarray:
        """Where the pixels count as present (alpha above the threshold); not the layer mask (`layer_mask`)."""
        return self.rgba[..., 3] > ALPHA_THRESHOLD

    @cached_property
    def shown_rgba(self) -> np.ndarray:
        """The pixels as they are drawn: `rgba` with its alpha multiplied by the layer mask when one is in force
        (the very `rgba` array otherwise). Read-only; computed once per layer."""
        if self.layer_mask is None or not self.layer_mask.enabled:
            return self.rgba
        shown = masked(self.rgba, self.layer_mask.over(self.bbox))
        shown.flags.writeable = False
        return shown

    def shown_on_canvas(self, size: tuple[int, int]) -> np.ndarray:
        """`shown_rgba` placed on a transparent canvas of `size` (clipped), as `on_canvas` places `rgba`."""
        if self.shown_rgba is self.rgba:
            return self.on_canvas(size)
        return place(self.shown_rgba, self.offset, size)

    @cached_property
    def is_empty(self) -> bool:
        """No pixel above the alpha threshold (computed once, on the tiles: a layer never changes)."""
        return not any(bool((tile[..., 3] > ALPHA_THRESHOLD).any()) for tile in self.pixels.tiles.values())

    def copy(self, **changes: Any) -> Layer:
        """The same layer with some fields changed (the read-only arrays are shared; the uid too unless given)."""
        return replace(self, **changes)

    def depth_or_constant(self) -> np.ndarray:
        """Per-pixel depth, or the representative depth everywhere when the layer has no map."""
        if self.depth is not None:
            return self.depth
        return np.full((self.height, self.width), self.depth_value, dtype=np.float32)

    def canvas_rect(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """The canvas `(0, 0, width, height)` in the planes' coordinates."""
        sx, sy = self.plane_shift
        return (sx, sy, sx + size[0], sy + size[1])

    def on_canvas(self, size: tuple[int, int]) -> np.ndarray:
        """The pixels placed on a transparent canvas of `size = (width, height)` (clipped)."""
        return self.pixels.region(self.canvas_rect(size))

    def depth_on_canvas(self, size: tuple[int, int], fill: float = 1.0) -> np.ndarray:
        if self.depth_plane is not None:
            return self.depth_plane.region(self.canvas_rect(size), outside=fill)
        return place(self.depth_or_constant(), self.offset, size, fill=fill)


def place(arr: np.ndarray, offset: tuple[int, int], size: tuple[int, int], fill: float = 0) -> np.ndarray:
    """Paste a cropped array at `offset=(x, y)` onto a new canvas of `size=(width, height)`, clipping."""
    width, height = size
    out = np.full((height, width, *arr.shape[2:]), fill, dtype=arr.dtype)
    x, y = offset
    h, w = arr.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = arr[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


def crop_to_content(
    rgba: np.ndarray, depth: np.ndarray | None = None, offset: tuple[int, int] = (0, 0), pad: int = 0
) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int]]:
    """Crop full-canvas (or cropped) pixels to the box of alpha > 0; an empty layer becomes 0×0."""
    ys, xs = np.nonzero(rgba[..., 3])
    if len(xs) == 0:
        empty = np.zeros((0, 0, 4), np.uint8)
        return empty, (None if depth is None else np.zeros((0, 0), np.float32)), offset
    h, w = rgba.shape[:2]
    x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + 1 + pad, w)
    y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + 1 + pad, h)
    cropped_depth = None if depth is None else depth[y0:y1, x0:x1].copy()
    return rgba[y0:y1, x0:x1].copy(), cropped_depth, (offset[0] + x0, offset[1] + y0)


def representative_depth(layer: Layer) -> float:
    """Median depth over the layer's opaque pixels (a correct boolean mask, unlike the authors' §4.3 bug)."""
    if layer.depth is None:
        return layer.depth_value
    mask = layer.mask
    if not mask.any():
        return layer.depth_value
    return float(np.median(layer.depth[mask]))


def with_representative_depth(layer: Layer) -> Layer:
    """The layer with `depth_value` set to its representative (median) depth."""
    return replace(layer, depth_value=representative_depth(layer))


def frozen_metadata(metadata: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only view of a private copy (the top level; nested values are to be treated as read-only too)."""
    if isinstance(metadata, MappingProxyType):
        return metadata
    return MappingProxyType(dict(metadata or {}))


@runtime_checkable
class DocumentLike(Protocol):
    """What read-side code (save, export, composite, stratify, preview) needs: a `Document` or a snapshot."""

    @property
    def size(self) -> tuple[int, int]: ...
    @property
    def layers(self) -> Sequence[Layer]: ...
    @property
    def source(self) -> np.ndarray | None: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    def __iter__(self) -> Iterator[Layer]: ...
    def __len__(self) -> int: ...
    def index_of(self, uid: str) -> int: ...
    def layer(self, uid: str) -> Layer: ...
    def find(self, name: str) -> Layer | None: ...
    def layers_by_depth(self) -> list[Layer]: ...
    def source_or_composite(self) -> np.ndarray: ...


class _Queries:
    """The read-only queries shared by `Document` and `DocumentSnapshot` (both define size/layers/source)."""

    size: tuple[int, int]
    layers: Sequence[Layer]
    source: np.ndarray | None

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def index_of(self, uid: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.uid == uid:
                return i
        raise KeyError(f"no layer with uid {uid}")

    def layer(self, uid: str) -> Layer:
        return self.layers[self.index_of(uid)]

    def find(self, name: str) -> Layer | None:
        """The first layer with this name (or tag), or None."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        for layer in self.layers:
            if layer.tag == name:
                return layer
        return None

    def layers_by_depth(self) -> list[Layer]:
        """Far to near (stable for equal depths: list order breaks ties)."""
        return sorted(self.layers, key=lambda layer: -layer.depth_value)

    def source_or_composite(self) -> np.ndarray:
        if self.source is not None:
            return self.source
        from seethrough.core.compositing import composite

        return composite(self)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class DocumentSnapshot(_Queries):
    """The document's content at one moment, and the history position it corresponds to. Immutable."""

    size: tuple[int, int]
    layers: tuple[Layer, ...]
    source: np.ndarray | None
    metadata: Mapping[str, Any]
    position: HistoryPosition
    selection: Selection | None = None
    #: the selection the last deselect removed (Select ▸ Reselect brings it back)
    deselected: Selection | None = None

    def snapshot(self) -> DocumentSnapshot:
        return self


Listener = Callable[[str, object], None]
_KEEP: Any = object()


class Document(_Queries):
    """A layered character. Change it only through commands (`doc.history.push(cmd)`)."""

    def __init__(
        self,
        size: tuple[int, int],
        layers: Sequence[Layer] | None = None,
        source: np.ndarray | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._size = (int(size[0]), int(size[1]))  # (width, height)
        self._layers: tuple[Layer, ...] = tuple(layers or ())
        self._source = None if source is None else frozen_array(source)  # (height, width, 4) uint8 or None
        self._metadata = frozen_metadata(metadata)
        self._selection: Selection | None = None  # what is selected (core.selection); changed by commands
        self._deselected: Selection | None = None  # what the last deselect removed (for Reselect)
        self._listeners: list[Listener] = []
        from seethrough.core.commands import History  # local: commands import this module

        self.history: History = History(self)

    # --- content (read-only; commands change it with `_set_content`) -------------------------------
    @property
    def size(self) -> tuple[int, int]:  # type: ignore[override]
        return self._size

    @property
    def layers(self) -> tuple[Layer, ...]:  # type: ignore[override]
        return self._layers

    @property
    def source(self) -> np.ndarray | None:  # type: ignore[override]
        return self._source

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self._metadata

    @property
    def selection(self) -> Selection | None:
        """What is selected, or None (core.selection; docs/selections.md: undoable, not saved)."""
        return self._selection

    @property
    def deselected(self) -> Selection | None:
        """The selection the last deselect removed (Select ▸ Reselect brings it back), or None."""
        return self._deselected

    def snapshot(self) -> DocumentSnapshot:
        """The current content and history position; O(1): shares the (immutable) layers and arrays."""
        return DocumentSnapshot(
            self._size, self._layers, self._source, self._metadata, self.history.position, self._selection,
            self._deselected,
        )

    def _set_content(
        self,
        *,
        layers: Sequence[Layer] | None = None,
        size: tuple[int, int] | None = None,
        source: Any = _KEEP,
        metadata: Mapping[str, Any] | None = None,
        selection: Any = _KEEP,
        deselected: Any = _KEEP,
    ) -> None:
        """For `Command`s only: swap in new values (no event is sent; the command does that)."""
        if layers is not None:
            self._layers = tuple(layers)
        if size is not None:
            self._size = (int(size[0]), int(size[1]))
        if source is not _KEEP:
            self._source = None if source is None else frozen_array(source)
        if metadata is not None:
            self._metadata = frozen_metadata(metadata)
        if selection is not _KEEP:
            self._selection = selection
        if deselected is not _KEEP:
            self._deselected = deselected

    def _replace_layer(self, layer: Layer) -> None:
        """For `Command`s only: put `layer` where the layer with the same uid is."""
        i = self.index_of(layer.uid)
        self._layers = (*self._layers[:i], layer, *self._layers[i + 1 :])

    # --- observation ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event, payload)` on every change; returns an unsubscribe function.

        Events: "layers" (the stack changed: insert/remove/move/replace), "layer" (payload: uid; a property
        or the pixels of one layer changed), "document" (size, source or metadata changed: the whole content
        was replaced; "layers" follows), "selection" (what is selected changed), "history" (undo/redo or clean
        state changed).
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, event: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(event, payload)
