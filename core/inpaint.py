"""A small registry of inpainters, used to fill what a stratification uncovers in the far strata.

An inpainter is `fn(rgb, mask) -> rgb`: `rgb` is (H, W, 3) uint8, `mask` (H, W) bool is True where pixels must be
invented; it returns a new (H, W, 3) uint8 image whose pixels outside `mask` are unchanged.

Built-ins: "opencv" (cv2.inpaint, Telea, radius 5) and "none" (returns the image as is: the uncovered region
keeps whatever colour the layer had there). "lama" (the network the authors use for their K-Means split) is
optional: it is loaded from a local file on first use (core/models/lama.py); when it is not installed, asking for
it gives OpenCV and a one-line note (`resolve_inpainter`). Other inpainters can be added with
`register_inpainter(name, fn)` and are then selected by name (`stratify_command(..., inpaint=name)`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np

from seethrough.core.errors import BadInput, ModelNotFound

Inpainter = Callable[[np.ndarray, np.ndarray], np.ndarray]

_REGISTRY: dict[str, Inpainter] = {}


def register_inpainter(name: str, fn: Inpainter) -> None:
    """Add (or replace) an inpainter under `name`."""
    if not name or not callable(fn):
        raise ValueError("an inpainter needs a name and a callable fn(rgb, mask) -> rgb")
    _REGISTRY[name] = fn


#: inpainters backed by optional model files, loaded on first use
OPTIONAL = ("lama",)
_log = logging.getLogger(__name__)


def resolve_inpainter(name: str) -> tuple[Inpainter, str | None]:
    """The inpainter called `name`, and a one-line note when an optional one is missing and OpenCV stands in."""
    if name == "lama" and name not in _REGISTRY:
        from seethrough.core.models.lama import load_inpainter

        try:
            register_inpainter("lama", load_inpainter())
        except ModelNotFound as exc:
            return _REGISTRY["opencv"], f"LaMa is not installed, using OpenCV instead ({exc})"
    try:
        return _REGISTRY[name], None
    except KeyError:
        raise BadInput(f"unknown inpainter {name!r} (available: {', '.join(available_inpainters())})") from None


def get_inpainter(name: str) -> Inpainter:
    fn, note = resolve_inpainter(name)
    if note:
        _log.warning(note)
    return fn


def available_inpainters() -> list[str]:
    """Every name `get_inpainter` takes (optional ones fall back to OpenCV when not installed)."""
    return sorted(set(_REGISTRY) | set(OPTIONAL))


def _opencv(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if not mask.any():
        return rgb.copy()
    filled = cv2.inpaint(np.ascontiguousarray(rgb), mask.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
    out = rgb.copy()
    out[mask] = filled[mask]
    return out


def _none(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return rgb.copy()


register_inpainter("opencv", _opencv)
register_inpainter("none", _none)
