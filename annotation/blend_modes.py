"""What the CPU renderer makes of a Cubism 5.3 model's blending (pure; no Core, no Qt).

Cubism 5.3 (moc version 6) gives every drawable a blend code — the colour blend in the low byte (0 normal, 1 and 2
the additive and multiply of earlier Cubism versions, higher values the new modes: screen, overlay, darken, …) and
the alpha blend in the next byte (0 over, 1 atop, 2 out, …) — and lets a part be drawn into an offscreen of its own
that is then blended into its parent with such a code. The renderer draws normal, additive and multiply drawables
straight into the canvas, as Cubism 3–5.2 does. For the rest it approximates, and says so:

- a drawable whose own alpha blend or whose offscreen ancestor's alpha blend is *out* cuts the group it is drawn
  into instead of painting it (a hair shadow trimmed by the face's shape): it is not drawn at all, since painting it
  over its group covers what it should cut (a face drawn over the mouth);
- the new add and add-glow (3, 4) are drawn additive, the new multiply (6) multiplied, every other new mode
  (darken, screen, overlay, …) normal; alpha blends other than over, and offscreen groups, are drawn straight.

Codes (Cubism Core 5.3 header): colour 0 normal, 1 add-compatible, 2 multiply-compatible, 3 add, 4 add-glow,
5 darken, 6 multiply, 7–17 the other Photoshop-style modes; alpha 0 over, 1 atop, 2 out, 3 conjoint over,
4 disjoint over.

`blend_report` lists the drawables concerned, so that the loader can warn once per model; models made before 5.3
report nothing. It also lists the drawables that *lighten* what is under them (add, add-glow, lighten, screen, colour
dodge, drawn so or inside an offscreen drawn so): glows, which the labeller leaves out of the character
(`annotation.non_character`); older models say the same through the additive constant flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: colour blends the renderer draws exactly (normal and the blends of Cubism 3–5.2)
EXACT_COLOUR = frozenset({0, 1, 2})
#: the renderer's mode nearest to each colour blend; the others are drawn normal
NEAREST_MODE = {1: "additive", 3: "additive", 4: "additive", 2: "multiply", 6: "multiply"}
ALPHA_OVER, ALPHA_OUT = 0, 2
#: colour blends that only lighten what is under them: add-compatible, add, add-glow, lighten, screen, colour dodge
LIGHTENING = frozenset({1, 3, 4, 9, 10, 11})


def lightens(code: int) -> bool:
    """Does a blend code's colour blend only lighten what is under it (a glow)?"""
    return split_code(code)[0] in LIGHTENING


def nearest_mode(code: int) -> str:
    """The renderer's blend mode ("normal", "additive", "multiply") nearest to a drawable's blend code."""
    return NEAREST_MODE.get(split_code(code)[0], "normal")


def split_code(code: int) -> tuple[int, int]:
    """(colour blend, alpha blend) of a Cubism 5.3 blend code."""
    return code & 0xFF, (code >> 8) & 0xFF


@dataclass(frozen=True)
class BlendReport:
    approximated: frozenset[str]  # drawn, but not the way Cubism blends them
    cut_out: frozenset[str]  # not drawn: they cut their group (alpha blend 'out')
    lightening: frozenset[str] = frozenset()  # drawn (or inside an offscreen drawn) with a lightening blend

    @property
    def warning(self) -> str | None:
        if not self.approximated and not self.cut_out:
            return None
        return (f"this model uses Cubism 5.3 blending (blend modes or part offscreens) for "
                f"{len(self.approximated | self.cut_out)} ArtMeshes that the renderer approximates: "
                f"{len(self.approximated)} drawn with the nearest of normal/additive/multiply, "
                f"{len(self.cut_out)} that cut their group not drawn; renders, labels and exported layers may differ "
                f"from Cubism's")


def blend_report(
    drawable_codes: Mapping[str, int], part_paths: Mapping[str, Sequence[str]], offscreen_codes: Mapping[str, int]
) -> BlendReport:
    """`drawable_codes`: mesh id → its blend code; `part_paths`: mesh id → its parts, root first;
    `offscreen_codes`: part id → the blend code of the offscreen that part is drawn into."""
    approximated, cut_out, lightening = set(), set(), set()
    for mid, code in drawable_codes.items():
        codes = [code, *(offscreen_codes[p] for p in part_paths.get(mid, ()) if p in offscreen_codes)]
        split = [split_code(c) for c in codes]
        if any(lightens(c) for c in codes):
            lightening.add(mid)
        if any(alpha == ALPHA_OUT for _, alpha in split):
            cut_out.add(mid)
        elif split[0][0] not in EXACT_COLOUR or any(c != 0 for c in codes[1:]) or split[0][1] != ALPHA_OVER:
            approximated.add(mid)
    return BlendReport(frozenset(approximated), frozenset(cut_out), frozenset(lightening))
