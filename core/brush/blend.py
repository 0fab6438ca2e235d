"""What each tool does to a block of pixels under a coverage (0–1): pure functions on arrays, straight alpha.

Where the coverage is 0 every function returns the old values bit for bit; where a pixel's new alpha is 0 its
colour is left as it was (a transparent pixel's colour means nothing, and the tiles outside a layer stay empty).
"""

from __future__ import annotations

import numpy as np

_SCALE = np.float32(1.0 / 255.0)


def _unit(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float32) * _SCALE


def _to_u8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _with_alpha(old: np.ndarray, alpha: np.ndarray, rgb: np.ndarray | None) -> np.ndarray:
    """`old` with `alpha` (0–1) and `rgb` (0–255 floats); the colour is kept where the new alpha is 0.

    Callers compute `alpha` and `rgb` so that a coverage of 0 gives back the old values exactly: an 8-bit value
    divided by 255 and multiplied back is within 1e-4 of itself, which rounding restores on any IEEE machine.
    """
    new = np.empty_like(old)
    np.rint(alpha * 255.0, out=alpha)
    new[..., 3] = alpha
    if rgb is None:
        new[..., :3] = old[..., :3]
    else:
        new[..., :3] = np.rint(rgb)
        np.copyto(new[..., :3], old[..., :3], where=(new[..., 3] == 0)[..., None])
    return new


def over(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Straight-alpha "over" of two uint8 RGBA blocks (what the compositor does for normal layers)."""
    ta, ba = _unit(top[..., 3])[..., None], _unit(bottom[..., 3])[..., None]
    out_a = ta + ba * (1.0 - ta)
    safe = np.where(out_a > 0, out_a, 1.0)
    rgb = (top[..., :3] * ta + bottom[..., :3] * ba * (1.0 - ta)) / safe
    return np.concatenate([_to_u8(rgb), _to_u8(out_a * 255.0)], axis=-1)


def _split(old: np.ndarray, coverage: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a copy of old, where coverage is full, where it is partial): most of a stroke is fully covered, and only
    the partial rim needs the floating-point mix."""
    full = coverage >= 1.0
    return np.array(old), full, (coverage > 0) & ~full


def paint(old: np.ndarray, coverage: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """The colour laid over the pixels with alpha `coverage`."""
    new, full, part = _split(old, coverage)
    new[full] = (*rgb, 255)
    if part.any():
        new[part] = _paint_mix(old[part], coverage[part], rgb)
    return new


def _paint_mix(old: np.ndarray, coverage: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    a = _unit(old[..., 3])
    out_a = a + coverage - a * coverage
    weight = coverage / np.maximum(out_a, np.float32(1e-12))
    mixed = old[..., :3].astype(np.float32)
    mixed += (np.asarray(rgb, np.float32) - mixed) * weight[..., None]
    return _with_alpha(old, out_a, mixed)


def erase(old: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """Alpha lowered by `coverage` (1 clears it); the colour stays."""
    new, full, part = _split(old, coverage)
    new[..., 3][full] = 0
    if part.any():
        new[part] = _with_alpha(old[part], _unit(old[part][..., 3]) * (1.0 - coverage[part]), None)
    return new


def restore(old: np.ndarray, coverage: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The pixels moved towards `source` by `coverage` (premultiplied); where it is 1 they are the source's."""
    new, full, part = _split(old, coverage)
    new[full] = source[full]
    if part.any():
        new[part] = _restore_mix(old[part], coverage[part], source[part])
    return new


def _restore_mix(old: np.ndarray, coverage: np.ndarray, source: np.ndarray) -> np.ndarray:
    sa, a = _unit(source[..., 3]), _unit(old[..., 3])
    incoming, kept = coverage * sa, (1.0 - coverage) * a
    out_a = incoming + kept
    rgb = incoming[..., None] * source[..., :3] + kept[..., None] * old[..., :3]
    rgb /= np.maximum(out_a, np.float32(1e-12))[..., None]
    empty = out_a == 0
    rgb[empty] = old[..., :3][empty]
    return _with_alpha(old, out_a, rgb)


def move_out(old: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The moved pixels become transparent (their colour stays, as with the eraser)."""
    new = np.array(old)
    new[..., 3][moved] = 0
    return new


def move_in(old: np.ndarray, incoming: np.ndarray, moved: np.ndarray, incoming_above: bool) -> np.ndarray:
    """The moved pixels join: as they were where the layer was empty, else stacked as the layers were."""
    new = np.array(old)
    empty = old[..., 3] == 0
    into_empty = moved & empty
    new[into_empty] = incoming[into_empty]
    stack = moved & ~empty
    if stack.any():
        top, bottom = (incoming[stack], old[stack]) if incoming_above else (old[stack], incoming[stack])
        new[stack] = over(top, bottom)
    return new


def towards(old: np.ndarray, coverage: np.ndarray, value: float) -> np.ndarray:
    """A one-value plane (depth 0–1 floats, mask 0–255 bytes) moved towards `value` by `coverage`."""
    mixed = old.astype(np.float32) + coverage * (np.float32(value) - old.astype(np.float32))
    if old.dtype == np.uint8:
        mixed = _to_u8(mixed)
    return np.where(coverage > 0, mixed.astype(old.dtype), old)
