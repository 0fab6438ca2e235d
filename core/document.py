"""The layer document: a canvas, a source image and an ordered stack of RGBA layers with pseudo-depth.

Conventions (used everywhere in the project):
- `layers[0]` is the bottom (farthest, drawn first); the last layer is on top, as in a PSD.
- Pixels are RGBA uint8, *straight* (not premultiplied) alpha, cropped to the layer's box;
  `offset = (x, y)` is the top-left corner of that box on the canvas.
- Depth is float32 in [0, 1], 0 = nearest; `depth` is per pixel (same box as the pixels) or None;
  `depth_value` is the layer's representative depth (median over its opaque pixels, by default).
- The document is changed only through `Command`s pushed on `doc.history`, so that every edit can be undone
  and the GUI's undo stack and the CLI share one mechanism. Observers subscribe with `doc.subscribe`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

#: alpha above which a pixel counts as part of the layer (authors use >10 on a 0..255 scale)
ALPHA_THRESHOLD = 10


def new_uid() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Layer:
    name: str
    rgba: np.ndarray  # (h, w, 4) uint8, straight alpha
    offset: tuple[int, int] = (0, 0)  # (x, y) on the canvas
    tag: str | None = None
    depth: np.ndarray | None = None  # (h, w) float32 in [0, 1], 0 = nearest
    depth_value: float = 0.5
    visible: bool = True
    opacity: float = 1.0
    locked: bool = False
    provenance: str = ""
    uid: str = field(default_factory=new_uid)

    def __post_init__(self) -> None:
        rgba = np.asarray(self.rgba)
        if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
            raise ValueError(f"layer {self.name!r}: pixels must be (h, w, 4) uint8, got {rgba.shape} {rgba.dtype}")
        self.rgba = rgba
        if self.depth is not None:
            depth = np.asarray(self.depth, dtype=np.float32)
            if depth.shape != rgba.shape[:2]:
                raise ValueError(f"layer {self.name!r}: depth {depth.shape} does not match pixels {rgba.shape[:2]}")
            self.depth = depth
        self.offset = (int(self.offset[0]), int(self.offset[1]))

    # --- geometry -------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])

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
        return self.rgba[..., 3] > ALPHA_THRESHOLD

    @property
    def is_empty(self) -> bool:
        return self.rgba.size == 0 or not bool(self.mask.any())

    def copy(self, **changes: Any) -> Layer:
        """A deep copy (new pixel buffers, same uid unless given) with some fields changed."""
        base = replace(
            self,
            rgba=self.rgba.copy(),
            depth=None if self.depth is None else self.depth.copy(),
        )
        return replace(base, **changes) if changes else base

    def depth_or_constant(self) -> np.ndarray:
        """Per-pixel depth, or the representative depth everywhere when the layer has no map."""
        if self.depth is not None:
            return self.depth
        return np.full(self.rgba.shape[:2], self.depth_value, dtype=np.float32)

    def on_canvas(self, size: tuple[int, int]) -> np.ndarray:
        """The pixels placed on a transparent canvas of `size = (width, height)` (clipped)."""
        return place(self.rgba, self.offset, size)

    def depth_on_canvas(self, size: tuple[int, int], fill: float = 1.0) -> np.ndarray:
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


Listener = Callable[[str, object], None]


class Document:
    """A layered character. Mutate only through commands (`doc.history.push(cmd)`)."""

    def __init__(
        self,
        size: tuple[int, int],
        layers: list[Layer] | None = None,
        source: np.ndarray | None = None,
        metadata: dict | None = None,
    ) -> None:
        self.size = (int(size[0]), int(size[1]))  # (width, height)
        self.layers: list[Layer] = list(layers or [])
        self.source = source  # (height, width, 4) uint8 or None
        self.metadata: dict = dict(metadata or {})
        self._listeners: list[Listener] = []
        from seethrough.core.commands import History  # local: commands import this module

        self.history = History(self)

    # --- observation ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event, payload)` on every change; returns an unsubscribe function.

        Events: "layers" (the stack changed: insert/remove/move/replace), "layer" (payload: uid; a property
        or the pixels of one layer changed), "history" (undo/redo state changed).
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, event: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(event, payload)

    # --- queries ---------------------------------------------------------------------------------
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

        return composite(self)
