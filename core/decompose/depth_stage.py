"""The depth stage as the authors run it (`official-see-through.md` §3), on the layer model's canvas.

The depth model sees the 19 paper classes plus the full page. With a V3 layer model, `hair` and `eyes` are built
from their sub-layers by the authors' additive composite (alpha summed and clipped, colour premultiplied, values
truncated to uint8). Every frame loses its alpha below 15. The frames are resampled canvas → depth resolution and
the depth maps back to the canvas, then truncated to uint8. Each sub-layer of a composite gets its own map: the
composite's depth where the sub-layer is visible, and where upper sub-layers hide it, the median depth of its own
visible pixels (truncated). A sub-layer hidden entirely keeps the composite's depth there (the authors' code takes
the median of nothing, NaN, which becomes 0: see docs/parity.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from seethrough.core.decompose.geometry import _resize
from seethrough.core.decompose.postprocess import keep_part
from seethrough.core.taxonomy import taxonomy

#: alpha (0..255) below which a layer's alpha is zeroed before depth, and above which a sub-layer pixel is its own
DEPTH_ALPHA_FLOOR = 15
#: composites of V3 sub-layers given to the depth model in place of a V2 class, listed bottom to top
COMPOSITES: dict[str, tuple[str, ...]] = {
    "hair": ("back hair", "front hair"),
    "eyes": ("eyewhite", "irides", "eyelash", "eyebrow"),
}


def floor_alpha(rgba: np.ndarray) -> np.ndarray:
    """Alpha below 15 set to 0; colour untouched."""
    out = rgba.copy()
    out[..., 3][out[..., 3] < DEPTH_ALPHA_FLOOR] = 0
    return out


def additive_composite(layers: list[np.ndarray]) -> np.ndarray:
    """The authors' non-premultiplied blend of full-frame RGBA uint8 layers, first = bottom: alpha adds up (clipped
    to 1), colour is composited premultiplied and stays premultiplied; both truncated to uint8."""
    height, width = layers[0].shape[:2]
    rgb: np.ndarray = np.zeros((height, width, 3), np.float32)
    alpha = np.zeros((height, width, 1), np.float32)
    for layer in layers:
        a = layer[..., 3:4] / 255.0  # float64, as in numpy's uint8 / float
        alpha = np.clip((alpha + a).astype(np.float32), 0, 1)
        rgb = rgb * (1 - a) + layer[..., :3] * a
    out = np.concatenate([rgb, (np.clip(alpha, 0, 1) * 255).astype(np.float64)], axis=2)
    return np.clip(out, 0, 255).astype(np.uint8)


def depth_frames(layers: Mapping[str, np.ndarray], canvas: np.ndarray) -> tuple[np.ndarray, dict[str, list[str]]]:
    """(20, S, S, 4) uint8 frames — the 19 V2 classes in V2 order, then the full page — and, per composite built,
    its sub-layers bottom to top. `layers` holds every frame the layer passes produced (empty ones included)."""
    blank = np.zeros_like(canvas)
    frames, composed = [], {}
    for tag in taxonomy().v2:
        subs = [t for t in COMPOSITES.get(tag, ()) if t in layers]
        if subs:
            frames.append(additive_composite([floor_alpha(layers[t]) for t in subs]))
            composed[tag] = subs
        elif tag in layers:
            frames.append(floor_alpha(layers[tag]))
        else:
            frames.append(blank)
    total = np.zeros(canvas.shape[:2], np.float32)
    for frame in frames:
        total += frame[..., 3].astype(np.float32) / 255
    page = canvas.copy()
    page[..., 3] = (np.clip(total, 0, 1) * 255).astype(np.uint8)
    return np.stack([*frames, page]), composed


def unused_frames(layers: Mapping[str, np.ndarray], composed: Mapping[str, list[str]]) -> list[bool]:
    """Per depth frame (the 19 V2 classes, then the page): True when no part will read its depth: every layer it is
    made of fails the drop rule (`postprocess.keep_part`), and the page's depth is never read."""
    flags = []
    for tag in taxonomy().v2:
        sources = composed.get(tag) or ([tag] if tag in layers else [])
        flags.append(not any(keep_part(layers[t][..., 3]) for t in sources))
    return [*flags, True]


def run_depth(
    layers: Mapping[str, np.ndarray],
    canvas: np.ndarray,
    depth_resolution: int,
    estimate: Callable[[np.ndarray, np.ndarray, list[bool] | None], np.ndarray],
    composites: dict[str, np.ndarray] | None = None,
    skip_unused: bool = False,
) -> dict[str, np.ndarray]:
    """Per-layer uint8 depth maps on the canvas, keyed in the authors' order (the V2 classes, each composite
    replaced by its sub-layers top to bottom). `estimate(layer_frames, page, unused)` runs the depth model at
    `depth_resolution` and returns (20, r, r) float depth. `composites`, if given, receives the uint8 map of each
    composite built (`hair`, `eyes`). `skip_unused` hands `estimate` the frames whose depth no part reads
    (`unused_frames`; else None): the maps of layers that are dropped anyway may then differ, nothing else."""
    size = canvas.shape[0]
    frames, composed = depth_frames(layers, canvas)
    if depth_resolution != size:
        frames = np.stack([_resize(f, (depth_resolution, depth_resolution)) for f in frames])
    depth = estimate(frames[:-1], frames[-1], unused_frames(layers, composed) if skip_unused else None)
    if depth.shape[-1] != size:
        depth = np.stack([_resize(np.ascontiguousarray(d), (size, size)) for d in depth])
    maps: dict[str, np.ndarray] = {}
    for tag, d in zip(taxonomy().v2, depth[:-1]):
        d8 = (np.clip(d, 0, 1) * 255).astype(np.uint8)
        if tag in composed:
            if composites is not None:
                composites[tag] = d8
            maps.update(sub_layer_depths(d8, [layers[t] for t in composed[tag]], composed[tag]))
        elif tag in layers:
            maps[tag] = d8
    return maps


def sub_layer_depths(depth: np.ndarray, subs: list[np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    """Per-sub-layer uint8 maps of a composite's uint8 `depth`, sub-layers given bottom to top, processed top down."""
    out: dict[str, np.ndarray] = {}
    covered = np.zeros(depth.shape, bool)
    for name, rgba in zip(reversed(names), reversed(subs)):
        own = rgba[..., 3] > DEPTH_ALPHA_FLOOR
        hidden = covered & own
        local = np.full(depth.shape, 255, np.uint8)
        local[own] = depth[own]
        visible = own & ~hidden
        if hidden.any() and visible.any():
            local[hidden] = np.median(depth[visible])  # float median, truncated by the uint8 store
        covered |= own
        out[name] = local
    return out
