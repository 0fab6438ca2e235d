"""A small registry of inpainters, used to fill what a stratification uncovers in the far strata.

An inpainter is `fn(rgb, mask) -> rgb`: `rgb` is (H, W, 3) uint8, `mask` (H, W) bool is True where pixels must be
invented; it returns a new (H, W, 3) uint8 image whose pixels outside `mask` are unchanged.

Built-ins: "opencv" (cv2.inpaint, Telea, radius 5) and "none" (returns the image as is: the uncovered region
keeps whatever colour the layer had there). LaMa (what the authors use, docs/authors-pipeline.md §4.4) can be
plugged in by a model module without touching this file::

    from seethrough.core.inpaint import register_inpainter
    register_inpainter("lama", lama_fn)   # e.g. from core/models/lama.py, imported only by a job

and then selected by name (`stratify_command(..., inpaint="lama")`, CLI `--inpaint lama`).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from seethrough.core.errors import BadInput

Inpainter = Callable[[np.ndarray, np.ndarray], np.ndarray]

_REGISTRY: dict[str, Inpainter] = {}


def register_inpainter(name: str, fn: Inpainter) -> None:
    """Add (or replace) an inpainter under `name`."""
    if not name or not callable(fn):
        raise ValueError("an inpainter needs a name and a callable fn(rgb, mask) -> rgb")
    _REGISTRY[name] = fn


def get_inpainter(name: str) -> Inpainter:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BadInput(f"unknown inpainter {name!r} (available: {', '.join(available_inpainters())})") from None


def available_inpainters() -> list[str]:
    return sorted(_REGISTRY)


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
