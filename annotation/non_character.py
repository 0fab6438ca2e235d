"""Meshes that are not the character — effects, hit areas, backgrounds — left out of the labels, each with its reason.

The paper's layers are the character's; a glow, a flame, a magic circle or a sparkle baked into them as `objects`
teaches the model to paint effects into clothes. Before any label is given, every mesh is checked against the rules
below; a mesh left out gets no label (an automatic label it had is cleared), is not counted in the coverage and is
reported with its reason (`AutoLabelReport.excluded_reasons`). A person's label is never overridden: a mesh a person
labelled is never left out as an effect. Evidence for every threshold: docs/auto-labels.md, "Left out".

Reasons (the text before ':' is the rule; after it, what decided):

- `excluded-name`: the mesh or a part above it is named as a hit area, background, underdrawing or guide (the name
  table's `exclude` list); `excluded-part`: under a part the user excluded (the label file's setting).
- `effect-name` (names): the nearest name of the mesh's chain (its own name, then its parts', nearest first) that
  means anything means an effect (エフェクト, 煙, オーラ, glow, …: the table's `effects`) and no body part.
- `effect-parameter` (names): hidden in the current pose, no name of its chain names a body part, and a parameter
  whose id or display name means an effect (ParamSmokeOn, 光 表示, …) shows it when moved alone to an end of its range.
- `glow-blend`: drawn additively or with a Cubism 5.3 lightening blend (add, add-glow, lighten, screen, colour
  dodge; `annotation.blend_modes`), and either hidden in the current pose (a flash a parameter turns on), reaching
  outside the character (≥ `OUTSIDE` of its pixels off the body) or large (≥ `LARGE` of the body's area). A small
  highlight drawn within the character stays.
- `far-off-body`: ≥ `FAR_SHARE` of its pixels lie more than `FAR` of the body's height away from the body: hearts,
  sparkles and magic circles floating around the character, a credit plate (a held prop touches the hand).
- `large-translucent`: mostly see-through (mean alpha < `TRANSLUCENT`), ≥ `LARGE` of the body's area and ≥ `OUTSIDE`
  of it off the body: an aura, a light beam, a smoke cloud (shading inside the body stays).

The geometric rules look at each mesh at the current pose: a hidden mesh is drawn as if shown (opacity 1, its own
vertices), except the alternatives of a pose group (a second arm, a swapped prop), which are the character shown
another way. "The body" is where the solid meshes (mean alpha ≥ `TRANSLUCENT`) cover the canvas, its largest
connected region (`body_layout.main_body`), without the meshes excluded by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from seethrough.annotation.name_rules import is_effect_name

#: mean alpha under which a mesh counts as see-through
TRANSLUCENT = 0.7
#: share of a mesh's pixels off the body for it to count as reaching outside the character
OUTSIDE = 0.3
#: a mesh covering this share of the body's area is large
LARGE = 0.03
#: how far from the body (share of its height) a pixel is far, and the share of a mesh's pixels that must be
FAR, FAR_SHARE = 0.1, 0.5
#: pixels within this share of the body's height of it still count as on it (anti-aliased edges, outlines)
EDGE = 0.02


@dataclass(frozen=True)
class MeshLook:
    """What the geometric rules see of one mesh at the current pose."""

    id: str
    hidden: bool = False  # opacity 0 or not visible in the current pose (measured as if shown)
    alternate: bool = False  # under a part of a pose group: the character shown another way
    glow: bool = False  # additive or a Cubism 5.3 lightening blend
    area: int = 0  # pixels it covers
    alpha: float = 1.0  # mean alpha over them
    outside: float = 0.0  # share of them off the body
    far: float = 0.0  # share of them more than FAR of the body's height away from it


def geometric_reason(look: MeshLook, body_area: int) -> str | None:
    """The rule that leaves a mesh out by what it looks like, or None."""
    if look.area == 0 or (look.hidden and look.alternate):
        return None
    large = body_area > 0 and look.area >= LARGE * body_area
    if look.glow and (look.hidden or look.outside >= OUTSIDE or large):
        return "glow-blend: " + ("hidden in this pose" if look.hidden else "reaches outside" if
                                 look.outside >= OUTSIDE else "large")
    if look.far >= FAR_SHARE:
        return f"far-off-body: {look.far:.0%} of it far from the body"
    if look.alpha < TRANSLUCENT and large and look.outside >= OUTSIDE:
        return f"large-translucent: alpha {look.alpha:.2f}, {look.outside:.0%} off the body"
    return None


def measure_looks(
    live: Any, frame: Any, leave_out: Iterable[str] = (), only: Iterable[str] | None = None
) -> tuple[dict[str, MeshLook], int]:
    """Each mesh's look at the live model's current pose in `frame`, and the body's area; `leave_out`: meshes
    that are not the body (excluded by name), neither measured nor part of the body; `only`: measure just these
    (the body is still every other shown mesh)."""
    from seethrough.annotation.body_layout import main_body
    from seethrough.annotation.render import ALPHA_VISIBLE, model_raster, rasterise

    skip = set(leave_out)
    raster = model_raster(live, frame)
    shown: dict[str, tuple[np.ndarray, tuple[int, int, int, int]]] = {}
    solid = np.zeros((frame.height, frame.width), bool)
    for mesh in live.artmeshes:
        pixels, box = raster.crops[mesh.id]
        if mesh.id in skip or not pixels.size:
            continue
        shown[mesh.id] = (pixels, box)
        covered = pixels[..., 3] > ALPHA_VISIBLE
        if covered.any() and float(pixels[..., 3][covered].mean()) >= TRANSLUCENT:
            x0, y0, x1, y1 = box
            solid[y0:y1, x0:x1] |= pixels[..., 3] > 0.5
    body = main_body(solid)
    ys = np.nonzero(body.any(axis=1))[0]
    height = float(ys[-1] - ys[0] + 1) if len(ys) else float(frame.height)
    distance = cv2.distanceTransform((~body).astype(np.uint8), cv2.DIST_L2, 3) / height
    alternates = {pid for group in getattr(live, "pose_groups", []) for entry in group for pid in entry}
    wanted = None if only is None else set(only)
    looks: dict[str, MeshLook] = {}
    for mesh in live.artmeshes:
        if mesh.id in skip or mesh.cut_out or (wanted is not None and mesh.id not in wanted):
            continue
        hidden = mesh.opacity <= 0.0 or not mesh.visible_flag
        if hidden:
            pixels, box = rasterise(live, dataclasses.replace(mesh, opacity=1.0, visible_flag=True), frame)
        else:
            pixels, box = shown.get(mesh.id, (np.zeros((0, 0, 4), np.float32), (0, 0, 0, 0)))
        look = MeshLook(mesh.id, hidden, bool(alternates.intersection(mesh.part_path)), bool(mesh.glow))
        if pixels.size:
            covered = pixels[..., 3] > ALPHA_VISIBLE
            n = int(covered.sum())
            if n:
                x0, y0, x1, y1 = box
                d = distance[y0:y1, x0:x1][covered]
                look = dataclasses.replace(look, area=n, alpha=float(pixels[..., 3][covered].mean()),
                                           outside=float((d > EDGE).mean()), far=float((d > FAR).mean()))
        looks[mesh.id] = look
    return looks, int(body.sum())


def effect_parameter_reasons(live: Any, candidates: Sequence[str]) -> dict[str, str]:
    """`effect-parameter`: of the `candidates` (hidden meshes no name calls a body part), those that a parameter
    named as an effect shows when moved alone to either end of its range. The model is left as it was."""
    hidden = set(candidates)
    params = [p for p in live.parameters if is_effect_name(p.id) or is_effect_name(p.name)]
    if not hidden or not params:
        return {}
    saved = live.parameter_values()
    out: dict[str, str] = {}
    try:
        for p in params:
            for value in (p.min, p.max):
                if abs(value - saved[p.id]) < 1e-6:
                    continue
                live.set_parameters({**saved, p.id: value})
                live.update()
                for mesh in live.artmeshes:
                    if mesh.id in hidden and mesh.id not in out and mesh.opacity > 0.0 and mesh.visible_flag:
                        out[mesh.id] = f"effect-parameter: {p.id}" + (f" ({p.name})" if p.name else "")
    finally:
        live.set_parameters(saved)
        live.update()
    return out


def rule_of(reason: str) -> str:
    """The rule of a reason (`'far-off-body: 80% …'` → `'far-off-body'`)."""
    return reason.split(":", 1)[0]


def reason_counts(reasons: Mapping[str, str]) -> dict[str, int]:
    """How many meshes each rule left out."""
    counts: dict[str, int] = {}
    for reason in reasons.values():
        counts[rule_of(reason)] = counts.get(rule_of(reason), 0) + 1
    return counts
