"""Layer blend modes: which exist (Photoshop's list, as psd-tools names them), which the compositor draws, and the
separable blend functions B(Cb, Cs) of the PDF/W3C compositing model that Photoshop, GIMP and Krita follow.

Colours are straight (not premultiplied) floats in [0, 1], in the file's own (sRGB, gamma-encoded) space, as
Photoshop blends 8-bit documents. `core.compositing` mixes B with the plain "over" by the two alphas, except for
linear dodge (add), which adds the alpha-weighted source to the backdrop and clips (as GIMP and Photoshop do; the
plain mix would differ by up to ~60/255 where the sum clips under partial alpha).
A mode the compositor does not draw (colour burn, hue, …) is kept on the layer and written back on export; the
layer is drawn as normal meanwhile and the importer warns once, naming the layer and the mode.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seethrough.core.errors import BadInput

NORMAL = "normal"

#: every mode a PSD layer can carry (psd-tools' BlendMode names, lower case); pass_through is for groups only
KNOWN_MODES = (
    "normal", "dissolve", "darken", "multiply", "color_burn", "linear_burn", "darker_color", "lighten", "screen",
    "color_dodge", "linear_dodge", "lighter_color", "overlay", "soft_light", "hard_light", "vivid_light",
    "linear_light", "pin_light", "hard_mix", "difference", "exclusion", "subtract", "divide", "hue", "saturation",
    "color", "luminosity",
)

#: how the modes are called in the apps' menus
LABELS = {"linear_dodge": "linear dodge (add)"}


def _overlay(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    # hard light with the operands swapped: the backdrop decides between multiply and screen
    return np.where(cb <= 0.5, 2.0 * cb * cs, 1.0 - 2.0 * (1.0 - cb) * (1.0 - cs))


BLEND_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "multiply": lambda cb, cs: cb * cs,
    "screen": lambda cb, cs: cb + cs - cb * cs,
    "overlay": _overlay,
    "darken": np.minimum,
    "lighten": np.maximum,
    "linear_dodge": lambda cb, cs: np.minimum(cb + cs, 1.0),
}

#: the modes the compositor draws exactly
SUPPORTED_MODES = (NORMAL, *BLEND_FUNCTIONS)


def label(mode: str) -> str:
    """A mode's name as users read it ("multiply", "linear dodge (add)", "color burn")."""
    return LABELS.get(mode, mode.replace("_", " "))


def is_supported(mode: str) -> bool:
    return mode in SUPPORTED_MODES


def check_mode(mode: object, where: str) -> str:
    """`mode` when it is a known blend mode name, else BadInput naming `where`."""
    if not isinstance(mode, str) or mode not in KNOWN_MODES:
        shown = repr(mode)
        raise BadInput(f"{where}: unknown blend mode {shown[:40]} (known: {', '.join(KNOWN_MODES)})")
    return mode
