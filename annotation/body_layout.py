"""Body layout from what is already known of a model: the rules behind the `layout` seed provider.

Nothing here is tuned to one model; every rule is about geometry in head units, drawing order and colour:

- The face is the largest mesh already known as `face` (by name or a human label); when nothing at all is known,
  the face-shaped skin region near the top (`find_face`: warm, light, about square, two dark pieces over it). Its
  box gives the head unit (face height `fh`, width `fw`), the chin line and the body's axis; its colour is the
  skin colour.
- The character's extent is the box of its visible pixels. Legs show as a narrow lower quarter of the silhouette
  (`_has_legs`); without them the body is cut (by the canvas, a desk, a frame) and no lower-body tags are
  proposed. Lower-body positions are fractions t of the span from the chin to the lowest visible pixel (the feet).
- No face known, or no body known below it (a torso plus an arm, a neck or a leg named as such): no body layout
  is invented (a dog in a bowl keeps its bowl out of `bottomwear`; the bowl is a prop).

Per-mesh rules (each returns (tag, confidence, rule)):
- body meshes (named only as torso/clothes/body): skin-coloured and just under the chin → `neck`; a small
  non-skin piece on the body's axis at the collar, drawn over the torso and not colourless (white shirt
  fronts, black collar insides) → `neckwear`; on a full body (`body_rule`: waist, hips, knees, feet as fractions
  of the chin→feet span): short pieces at the feet line → `footwear`, a leg with its shoe by where its mass lies
  and tall pieces in the lower half or skin below the waist → `legwear`, a long skirt or a piece starting around
  the waist across the axis (or one of a mirrored pair of halves or panels) → `bottomwear`, coat tails and items
  hanging at the waist off the axis → `topwear` / `objects`; otherwise `topwear`.
- body meshes off the axis with a mirror twin (same height and size, the pair centred on the body's axis, a gap
  between them) not settled as legs, feet or waist → `handwear` (arms, paws: left/right symmetry);
- hair-part meshes whose colour is not the hair's (far from the median hair colour, hue first, and not repeated
  in another hair layer as dyed tips are, unless on top of the head like a hat), above the chin → `headwear`
  (ornaments, ties, hats in a hair part), except the bangs' shadow lying on the face → `face`;
- meshes of a part named as legs: the lower-body rules (shoes at the feet line, shorts and skirts at the waist);
- face-part meshes: skin-coloured pieces at the sides of the face, drawn under it → `ears`; a dark band across
  the top of the head → `headwear`.
- meshes named as neck in a colour no skin has (cool hues, near black) → `neckwear` (a scarf, a choker);
- generic eye meshes: a round dark or coloured dot when no iris is known → `irides`; dark → `eyelash`; under
  the iris and near-white → `eyewhite`; over the iris and skin-coloured → `face` (eyelids); the rest by drawing
  order around the iris.
- arm meshes: a non-skin piece that shares no colour with its arm and reaches outside it → `objects` (held items).
- meshes no name describes: the colour of the closest-coloured labelled mesh of the same part (continuity), else
  skin in the face box → `face`, the hair's colour above the chin → hair, the body layout below the chin, else
  `objects` off the body. When nothing at all is named (face found by shape): small non-skin pieces over the face
  → eye pieces (upper part) or `mouth`, non-skin meshes around the head → hair (split by drawing order).
- the skin colour is that of the largest warm (peach to white) face mesh: a green hair shadow kept in the face
  part is not the skin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from seethrough.annotation.mesh_features import MeshFeatures, colour_distance

Rule = tuple[str, float, str]

#: ΔE under which a colour counts as the skin colour
SKIN_DE = 14.0
HAIR_TAGS = frozenset({"hair", "front hair", "back hair"})
BODY_TAGS = frozenset({"topwear", "handwear", "neck", "neckwear", "bottomwear", "legwear", "footwear"})


@dataclass(frozen=True)
class BodyLayout:
    face: MeshFeatures | None
    skin: tuple[float, float, float] | None
    extent: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the visible character
    height: int  # of the render
    cut: bool  # the body runs off the bottom of the canvas
    has_body: bool  # something below the face is known as body
    torso_order: int | None  # drawing position of the largest torso mesh
    by_shape: bool = False  # nothing was named: the face was found by its shape (`find_face`)

    @property
    def fw(self) -> float:
        return float(self.face.width) if self.face else 0.0

    @property
    def fh(self) -> float:
        return float(self.face.height) if self.face else 0.0

    @property
    def chin(self) -> float:
        return float(self.face.box[3]) if self.face else 0.0

    @property
    def axis(self) -> float:
        return (self.face.box[0] + self.face.box[2]) / 2.0 if self.face else 0.0

    @property
    def span(self) -> float:
        """Chin to feet, in pixels."""
        return max(float(self.extent[3]) - self.chin, 1.0)

    def is_skin(self, f: MeshFeatures, tolerance: float = SKIN_DE) -> bool:
        return self.skin is not None and f.area > 0 and colour_distance(f.lab, self.skin) < tolerance


def estimate_layout(
    features: Mapping[str, MeshFeatures], known: Mapping[str, str], silhouette: np.ndarray
) -> BodyLayout:
    silhouette = main_body(silhouette)
    faces = [features[m] for m, t in known.items() if t == "face" and m in features and features[m].area > 0]
    warm = [f for f in faces if f.lab[1] >= -2.0 and f.lab[2] >= -2.0]  # skin is peach to white, not a hair shadow
    face = max(warm or faces, key=lambda f: f.area) if faces else None
    ys, xs = np.nonzero(silhouette)
    h, w = silhouette.shape
    extent = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if len(xs) else (0, 0, w, h)
    by_shape = False
    if face is None and not any(t != "objects" for t in known.values()):  # props known, nothing of the character
        face = find_face(features, extent, int(silhouette.sum()))
        by_shape = face is not None
    elif face is None:
        face = face_under_eyes(features, known)
    body = [
        features[m] for m, t in known.items()
        if t in BODY_TAGS and m in features and features[m].area > 0 and face is not None
        and features[m].centroid[1] > face.box[3]
    ]
    limbs_or_neck = any(known[f.id] != "topwear" for f in body)
    # a full figure: legs show in the silhouette, or the body reaches six face heights below the chin (legs
    # together in trousers or a long coat keep the silhouette wide; a bust or a knee-up shot never reaches that far)
    tall = face is not None and extent[3] - face.box[3] >= 6 * face.height
    cut = face is None or not (tall or _has_legs(silhouette, face.box[3], extent[3]))
    torsos = [f for f in body if known[f.id] == "topwear"]
    torso = max(torsos, key=lambda f: f.area) if torsos else None
    has_body = (bool(body) and limbs_or_neck) or by_shape  # a face with eyes found by shape is a character's
    return BodyLayout(face, face.lab if face else None, extent, h, cut, has_body, torso.order if torso else None,
                      by_shape)


def find_face(
    features: Mapping[str, MeshFeatures], extent: tuple[int, int, int, int], area: int
) -> MeshFeatures | None:
    """A face when no name says where it is: a skin-coloured (warm, light) mesh in the top 45 % of the character,
    about as wide as tall, covering ≥ 2 % of it, with at least three small dark pieces drawn over its middle (eyes,
    lashes, pupils: more than the two brows drawn over the front hair);
    of those holding about as many such pieces as the one holding most (≥ 70 %: a shadow of the bangs lying on
    the face holds only the eyes' upper half), the last drawn (the back hair lies under the face). None when
    nothing is face-shaped: a model without a face gets no face layout."""
    top, height = extent[1], max(extent[3] - extent[1], 1)
    candidates: list[tuple[MeshFeatures, int]] = []
    for f in features.values():
        x0, y0, x1, y1 = f.box
        if f.area < 0.02 * area or (f.centroid[1] - top) / height > 0.45:
            continue
        if not _skin_like(f):
            continue
        if not 0.6 < max(f.width, 1) / max(f.height, 1) < 1.7:
            continue
        eyes = [
            g for g in features.values()
            if g.order > f.order and 0 < g.area < 0.1 * f.area and g.lab[0] < 50.0
            and x0 < g.centroid[0] < x1 and y0 + 0.2 * f.height < g.centroid[1] < y1 - 0.2 * f.height
        ]
        if len(eyes) >= 3:
            candidates.append((f, len(eyes)))
    if not candidates:
        return None
    most = max(n for _, n in candidates)
    return max((f for f, n in candidates if n >= 0.7 * most), key=lambda f: f.order)


def main_body(silhouette: np.ndarray) -> np.ndarray:
    """The character without what floats apart from it (a credit plate, a logo, a far effect): the largest
    connected region of the silhouette, pieces a few pixels apart counting as joined (a gap between a hand and a
    sleeve is not a separation)."""
    if not silhouette.any():
        return silhouette
    joined = cv2.dilate(silhouette.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if count <= 2:
        return silhouette
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return silhouette & (labels == largest)


#: what is drawn over a face
EYE_TAGS = frozenset({"eyes", "irides", "eyewhite", "eyelash", "eyebrow"})


def face_under_eyes(features: Mapping[str, MeshFeatures], known: Mapping[str, str]) -> MeshFeatures | None:
    """The face when eyes are named but nothing is named as the face (a face mesh in a generic head part): the
    largest skin-coloured (warm, light), about square mesh drawn under the named eye pieces whose box holds them,
    the eyes spanning a good part of its width. None when no such mesh exists (a dog's eyes over white fur still
    need a face-shaped, skin-coloured mesh under them)."""
    eyes = [features[m] for m, t in known.items() if t in EYE_TAGS and m in features and features[m].area > 0]
    if len(eyes) < 2:
        return None
    first_eye = min(g.order for g in eyes)
    best = None
    for f in features.values():
        if f.id in known or f.area == 0 or f.order >= first_eye or not _skin_like(f):
            continue
        if not 0.6 < max(f.width, 1) / max(f.height, 1) < 1.7:
            continue
        x0, y0, x1, y1 = f.box
        inside = [g for g in eyes if x0 < g.centroid[0] < x1 and y0 < g.centroid[1] < y1]
        if len(inside) < max(2, 0.5 * len(eyes)):
            continue
        spread = max(g.centroid[0] for g in inside) - min(g.centroid[0] for g in inside)
        if spread < 0.3 * f.width:
            continue  # both eyes in a corner of it: a larger piece behind the head (back hair, a hood)
        if best is None or f.area > best.area:
            best = f
    return best


def _skin_like(f: MeshFeatures) -> bool:
    """Warm and light, as a face's skin is (peach to near white), not saturated."""
    return f.lab[0] > 55.0 and f.lab[1] > -2.0 and f.lab[2] > 2.0 and f.chroma < 45.0


def _has_legs(silhouette: np.ndarray, chin: int, feet: int) -> bool:
    """Legs show as a narrow lower quarter: the median filled width of the silhouette from 75 % to 95 % of the way
    from the chin to the lowest pixel is under 40 % of the widest row of the upper body (shoulders, sleeves, skirt),
    or under 55 % while most of those rows are two runs (legs apart). A body cut by the canvas, a desk or a frame
    stays wide and whole down to its lowest row."""
    span = feet - chin
    if span < 8:
        return False
    widths = silhouette[chin:feet].sum(axis=1)
    top = float(widths[: int(0.6 * span) + 1].max())
    low = widths[int(0.75 * span) : int(0.95 * span) + 1]
    if top <= 0 or len(low) == 0:
        return False
    ratio = float(np.median(low)) / top
    if ratio < 0.4:
        return True
    band = silhouette[chin + int(0.75 * span) : chin + int(0.95 * span) + 1].astype(np.int8)
    runs = (np.diff(band, axis=1) == 1).sum(axis=1) + band[:, 0]
    return ratio < 0.55 and float((runs >= 2).mean()) > 0.6  # legs apart: two runs with a gap between


#: a body shorter than this many face heights below the chin is no body to find legs in (a bust; a chibi's
#: body is one to two face heights)
MIN_SPAN = 0.8


def body_rule(f: MeshFeatures, lay: BodyLayout, others: Sequence[MeshFeatures] = ()) -> Rule | None:
    """A body mesh's tag by where it sits relative to the body (chin, waist, hips, knees, feet: fractions t of the
    span from the chin to the feet); None when no body layout applies. `others`: the other meshes of the body, for
    the left/right twin of a half of shorts and the colours of the clothes.

    Lower body, on a full figure: short pieces at the feet line → `footwear`; a tall piece from the hips to the
    ankles seen whole → `bottomwear` (trousers); a piece reaching the feet line on one side of the axis with its
    mass low (a leg with its shoe) → `legwear` (`leg-mass`); tall pieces in the lower half, skin below the waist
    → `legwear`. Around the waist, what is not skin: the back of a coat (mostly hidden behind the legs, hanging
    down the thighs) → `topwear` (`coat-tails`); a piece off the body's axis that is not one of a mirrored pair of
    halves or skirt panels (`half_of_pair`) is no skirt or shorts: starting below the hips and taller than wide, a
    thigh (`legwear`); else a coat's tail or side (a colour the clothes have) → `topwear`, or an item hanging at the
    waist (a pouch, a watch) → `objects` (`waist-item`); a wide
    piece across the axis from the waist down to the knees or further → `bottomwear` (`long-skirt`); a shorter
    one → `bottomwear` (`waist-geometry`)."""
    if lay.face is None or not lay.has_body or f.area == 0:
        return None
    fw, fh, chin, axis = lay.fw, lay.fh, lay.chin, lay.axis
    x0, y0, x1, y1 = f.box
    cx, cy = f.centroid
    skin = lay.is_skin(f)
    face_area = lay.face.area
    if (
        skin and y0 < chin + 0.05 * fh and y1 < chin + 1.2 * fh and abs(cx - axis) < 0.5 * fw
        and f.width < 1.1 * fw and f.area < 0.35 * face_area
    ):
        return ("neck", 0.75, "neck-geometry")  # skin that starts behind the chin
    over_torso = lay.torso_order is None or f.order > lay.torso_order
    if (
        not skin and not _shirt_white(f) and over_torso and abs(cx - axis) < 0.4 * fw
        and chin - 0.25 * fh <= y0 < chin + 0.5 * fh
        and (
            (f.width < 0.8 * fw and f.height < 1.2 * fh and cy < chin + 0.9 * fh)  # ribbon, bow, collar piece
            or (f.width < 0.45 * fw and f.height < 2.5 * fh)  # a tie hanging down the front
        )
    ):
        return ("neckwear", 0.6, "neckwear-geometry")
    if lay.cut or lay.span < MIN_SPAN * fh:
        return None
    span, feet = lay.span, float(lay.extent[3])
    t0, tc, t1 = (y0 - chin) / span, (cy - chin) / span, (y1 - chin) / span
    crosses = x0 < axis < x1
    at_feet = y1 >= feet - 0.04 * span
    if at_feet and not skin and (f.height < 0.16 * span or (f.height < 0.3 * span and not crosses)):
        return ("footwear", 0.7, "feet-line")
    if (
        not skin and 0.2 < t0 < 0.45 and f.height > 0.35 * span and f.width < 1.2 * fw
        and f.visible_area >= 0.7 * f.area
    ):
        return ("bottomwear", 0.6, "trousers")  # from the hips down to the ankles and seen whole (tights hide under)
    if at_feet and not skin and not crosses and tc > 0.6:
        return ("legwear", 0.6, "leg-mass")  # one leg with its shoe: most of it is leg
    if (tc > 0.55 and f.height > 0.12 * span and f.width < 1.2 * fw) or (skin and tc > 0.45):
        return ("legwear", 0.7, "leg-geometry")
    if not skin and 0.15 < t0 < 0.6 and tc < 0.7 and f.width > 0.45 * fw:
        if f.visible_area < 0.15 * f.area and t1 > 0.55:
            return ("topwear", 0.5, "coat-tails")  # the back of a coat, behind the legs
        if not crosses and not half_of_pair(f, lay, others):
            if t0 > 0.3 and f.height > f.width:
                return ("legwear", 0.55, "leg-geometry")  # a thigh below the hips
            if others and all(colour_distance(f.lab, g.lab) > 25.0 for g in others if g.id != f.id and g.area):
                return ("objects", 0.45, "waist-item")
            return ("topwear", 0.5, "coat-tails")
        if f.height >= 0.4 * span and f.width > 0.8 * fw and t0 < 0.45:
            return ("bottomwear", 0.6, "long-skirt")
        if t0 > 0.2 and f.height < 0.4 * span:
            return ("bottomwear", 0.65, "waist-geometry")
    if tc < 0.5:
        return ("topwear", 0.6, "torso-geometry")
    return None


def half_of_pair(f: MeshFeatures, lay: BodyLayout, others: Sequence[MeshFeatures]) -> bool:
    """One half of shorts or a skirt, or a side panel of a skirt: a twin of about its size mirrors its box across
    the body's axis, and it reaches the axis or touches a piece of its colour that crosses it from the same height
    (the skirt's middle panel; a coat's body starts at the shoulders)."""
    ax, fw = lay.axis, lay.fw
    reaches = f.box[0] - 0.05 * fw <= ax <= f.box[2] + 0.05 * fw
    if not reaches and not any(
        g.id != f.id and g.area and g.box[0] < ax < g.box[2] and _touch(f.box, g.box, 0.05 * fw)
        and abs(g.box[1] - f.box[1]) < 0.25 * lay.fh and colour_distance(f.lab, g.lab) < 12.0 for g in others
    ):
        return False
    for g in others:
        if g.id == f.id or g.area == 0:
            continue
        left, right = (f.box[0] - ax) + (g.box[2] - ax), (f.box[2] - ax) + (g.box[0] - ax)
        level = abs(f.centroid[1] - g.centroid[1]) < 0.2 * lay.fh
        if abs(left) < 0.2 * fw and abs(right) < 0.2 * fw and level and 0.6 < g.area / f.area < 1.67:
            return True
    return False


def _shirt_white(f: MeshFeatures) -> bool:
    """Light and colourless (a shirt front, a collar) or a colourless near-black (the inside of a collar, a
    shadow): clothing rather than a tie or a ribbon, which are coloured."""
    return (f.lab[0] > 60.0 or f.lab[0] < 25.0) and f.chroma < 12.0


def neck_rule(f: MeshFeatures, lay: BodyLayout) -> Rule | None:
    """A mesh named as neck whose colour no skin has (cool hues, near black) is what is worn on it. Skin in shadow
    turns darker and redder, never blue, green or black."""
    if f.area == 0 or lay.skin is None or lay.is_skin(f):
        return None
    if f.lab[2] < 0.0 or f.lab[1] < -3.0 or f.lab[0] < 25.0:
        return ("neckwear", 0.6, "neck-not-skin")
    return None


def hair_colour(features: Mapping[str, MeshFeatures], known: Mapping[str, str]) -> tuple[float, float, float] | None:
    """Per-channel median colour of the hair meshes, weighted by area."""
    hair = [features[m] for m, t in known.items() if t in HAIR_TAGS and m in features and features[m].area > 0]
    if not hair:
        return None
    weights = np.array([f.area for f in hair], np.float64)
    labs = np.array([f.lab for f in hair], np.float64)
    order = np.argsort(labs, axis=0)
    out = []
    for c in range(3):
        cum = np.cumsum(weights[order[:, c]])
        out.append(float(labs[order[np.searchsorted(cum, cum[-1] / 2.0), c], c]))
    return (out[0], out[1], out[2])


def headwear_rule(
    f: MeshFeatures,
    lay: BodyLayout,
    hair: tuple[float, float, float] | None,
    hair_meshes: list[MeshFeatures],
    layer_of: Mapping[str, str],
    worn: Sequence[MeshFeatures] = (),
) -> Rule | None:
    """A mesh of a hair part that is not hair: an ornament, a ribbon or a hat (`headwear`), or a shadow the hair
    casts on the face (`face`).

    Only meshes far from the hair's median colour (hue first) above the chin are looked at, in this order:
    - a second hair colour stays hair: dyed tips and two-tone hair repeat across hair layers (front, side and back
      hair), while an ornament's pieces, even a left/right pair of ties in mirrored parts, sit in one layer
      (`layer_of`: mesh id → its hair tag from names); but a colour repeated across layers on top of the head (every
      piece above the face's top: a hat's crown and brim in two hair parts) is a hat, as dyed tips hang at the ends
      of strands → `headwear` (`crown-shape`);
    - one coloured like a mesh known as headwear (`worn`, by name) that it touches is part of it (a hat's crown kept
      in the back-hair part next to the brim named as the hat) → `headwear` (`crown-shape`);
    - one lying on the face — drawn over it, inside its box, warm like shaded skin (red to yellow) — is the shadow
      of the bangs painted on the face → `face` (`hair-shadow`);
    - the rest are ornaments, ribbons, hats → `headwear` (`hair-colour-outlier`)."""
    if hair is None or lay.face is None or f.area == 0 or f.centroid[1] > lay.chin or lay.is_skin(f, 0.5 * SKIN_DE):
        return None
    d_ab = float(np.hypot(f.lab[1] - hair[1], f.lab[2] - hair[2]))
    d_l = abs(f.lab[0] - hair[0])
    if not (d_ab > 24.0 or (d_l > 25.0 and d_ab > 12.0)):
        return None
    twins = [g for g in hair_meshes if g.id != f.id and colour_distance(f.lab, g.lab) < 12.0]
    if len({layer_of.get(g.id) for g in twins} | {layer_of.get(f.id)}) > 1:
        if not all(g.centroid[1] < lay.face.box[1] for g in [f, *twins]):
            return None  # a second hair colour
        return ("headwear", 0.55, "crown-shape")
    touching = [g for g in worn if g.id != f.id and g.area > 0 and _touch(f.box, g.box, 0.05 * lay.fw)]
    if any(colour_distance(f.lab, g.lab) < 12.0 for g in touching):
        return ("headwear", 0.6, "crown-shape")
    if _on_face(f, lay) and f.lab[1] > 2.0 and f.lab[2] > 2.0:
        return ("face", 0.5, "hair-shadow")
    return ("headwear", 0.55, "hair-colour-outlier")


def _touch(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: float) -> bool:
    """Do two boxes overlap or lie within `gap` pixels of each other?"""
    return a[0] - gap < b[2] and b[0] - gap < a[2] and a[1] - gap < b[3] and b[1] - gap < a[3]


def _on_face(f: MeshFeatures, lay: BodyLayout) -> bool:
    """Drawn over the face and inside its box (a little slack at the sides), in its upper part."""
    face = lay.face
    if face is None or f.order <= face.order:
        return False
    fx0, fy0, fx1, fy1 = face.box
    x0, y0, x1, y1 = f.box
    slack = 0.1 * lay.fw
    inside = x0 >= fx0 - slack and x1 <= fx1 + slack and y0 >= fy0 - 0.05 * lay.fh and y1 <= fy1
    return inside and f.centroid[1] < fy0 + 0.7 * lay.fh


def face_band_rule(f: MeshFeatures, lay: BodyLayout) -> Rule | None:
    """A mesh of a face part worn across the top of the head: not skin-coloured (dark, or a hue no skin has),
    wider than half the face, thin, reaching above the face's top and centred high → `headwear` (a hairband, a
    headband kept in the face part). The face's outline and the brows stay inside the face's box; a hair shadow
    on the face is shaded skin."""
    face = lay.face
    if face is None or f.id == face.id or f.area == 0 or lay.is_skin(f, 2.0 * SKIN_DE):
        return None
    if not (f.lab[0] < 35.0 or f.lab[2] < 0.0 or f.lab[1] < -3.0):
        return None  # warm and light: shaded skin, blush
    fx0, fy0, fx1, fy1 = face.box
    x0, y0, x1, y1 = f.box
    across = f.width > 0.5 * lay.fw and f.height < 0.6 * lay.fh
    if across and y0 < fy0 - 0.05 * lay.fh and f.centroid[1] < fy0 + 0.25 * lay.fh:
        return ("headwear", 0.55, "face-band")
    return None


def arm_pair_rule(f: MeshFeatures, lay: BodyLayout, body: list[MeshFeatures]) -> Rule | None:
    """Arms come in mirrored pairs: a body mesh off the body's axis with a twin of the same height and size whose
    box mirrors its box across the axis, apart from it (two halves of a torso touch). Legs, feet and waist pieces are
    settled before this rule."""
    if lay.face is None or f.area == 0 or f.centroid[1] < lay.chin - 0.2 * lay.fh:
        return None
    if f.box[0] <= lay.axis <= f.box[2]:
        return None  # reaching across the body's axis: a torso piece, not an arm
    fw, fh = lay.fw, lay.fh
    for g in body:
        if g.id == f.id or g.area == 0:
            continue
        ax = lay.axis  # mirrored boxes: each edge of one mirrors the opposite edge of the other across the axis
        left, right = (f.box[0] - ax) + (g.box[2] - ax), (f.box[2] - ax) + (g.box[0] - ax)
        centred = abs(left) < 0.2 * fw and abs(right) < 0.2 * fw
        level = abs(f.centroid[1] - g.centroid[1]) < 0.2 * fh
        similar = 0.7 < g.area / f.area < 1.43 and 0.7 < max(g.height, 1) / max(f.height, 1) < 1.43
        gap = max(g.box[0] - f.box[2], f.box[0] - g.box[2])
        # open coat halves hang from the collar down the torso, close to the axis; arms hang outside the torso
        near = gap < 0.7 * fw  # the halves of an open coat, its lapels, hang close to the axis; arms outside
        collar = near and f.height > 1.5 * fh and f.box[1] < lay.chin + 0.8 * fh
        if centred and level and similar and gap > 0.2 * fw and not collar:
            return ("handwear", 0.6, "arm-pair")
    return None


def ear_rule(f: MeshFeatures, lay: BodyLayout) -> Rule | None:
    """A face-part mesh at the side of the face, skin-coloured and drawn under the face → ears."""
    face = lay.face
    if face is None or f.id == face.id or f.area == 0 or not lay.is_skin(f, 1.6 * SKIN_DE):
        return None
    fx0, fy0, fx1, fy1 = face.box
    cx, cy = f.centroid
    at_side = cx < fx0 + 0.15 * lay.fw or cx > fx1 - 0.15 * lay.fw
    if at_side and fy0 + 0.15 * lay.fh < cy < fy1 - 0.1 * lay.fh and f.order < face.order and f.area < 0.3 * face.area:
        return ("ears", 0.7, "ear-geometry")
    return None


def eye_rule(f: MeshFeatures, lay: BodyLayout, first_iris: int | None) -> Rule:
    """A generic eye mesh by drawing order around the iris and colour: under the iris, a near-white piece is the
    eye white; over it, a skin-coloured piece is an eyelid (face); dark pieces are lashes and lines."""
    before_iris = first_iris is not None and f.order < first_iris
    if f.area > 0:
        if (f.lab[0] < 40.0 or f.chroma > 25.0) and _compact(f) and first_iris is None:
            return ("irides", 0.6, "eye-colour")  # a dot eye: dark or coloured, round, nothing else is the iris
        if f.lab[0] < 40.0:
            return ("eyelash", 0.7, "eye-colour")
        if before_iris and f.lab[0] > 75.0 and f.chroma < 15.0:
            return ("eyewhite", 0.75, "eye-colour")
        if not before_iris and lay.is_skin(f):
            return ("face", 0.6, "eyelid-skin")
    return ("eyewhite" if before_iris else "eyelash", 0.5, "eye-split")


def _compact(f: MeshFeatures) -> bool:
    """Roughly round: aspect within 1:2 and filling most of its box (a lash line is long and thin)."""
    w, h = max(f.width, 1), max(f.height, 1)
    return 0.5 <= w / h <= 2.0 and f.area > 0.5 * w * h


def held_item_rule(f: MeshFeatures, lay: BodyLayout, arm: list[MeshFeatures]) -> Rule | None:
    """An arm-part mesh that is not skin, shares no colour with the rest of its arm and reaches well outside the
    arm's box → a held prop."""
    others = [g for g in arm if g.id != f.id and g.area > 0]
    if f.area == 0 or lay.is_skin(f) or len(others) < 2:
        return None
    if min(colour_distance(f.lab, g.lab) for g in others) < 25.0:
        return None
    ax0, ay0 = min(g.box[0] for g in others), min(g.box[1] for g in others)
    ax1, ay1 = max(g.box[2] for g in others), max(g.box[3] for g in others)
    x0, y0, x1, y1 = f.box
    outside = max(0, ax0 - x0) + max(0, x1 - ax1) + max(0, ay0 - y0) + max(0, y1 - ay1)
    if outside > 1.0 * max(f.width, f.height):  # it reaches away from the arm by more than its own size
        return ("objects", 0.55, "held-item")
    return None


def continuity_rule(f: MeshFeatures, neighbours: list[tuple[MeshFeatures, str]]) -> Rule | None:
    """The tag of the labelled mesh of the same part whose colour is closest (within ΔE 15)."""
    if f.area == 0 or not neighbours:
        return None
    g, tag = min(neighbours, key=lambda gt: colour_distance(f.lab, gt[0].lab))
    d = colour_distance(f.lab, g.lab)
    return (tag, float(np.clip(0.75 - d / 40.0, 0.3, 0.75)), "colour-continuity") if d < 15.0 else None


def neck_shape_rule(f: MeshFeatures, lay: BodyLayout) -> Rule | None:
    """Nothing named: the neck is shaded skin (within ΔE 30 of the skin, warm) drawn under the face, on the body's
    axis, narrower than the face, from behind the face's lower half down past the chin."""
    face = lay.face
    if face is None or lay.skin is None or f.order >= face.order or colour_distance(f.lab, lay.skin) > 30.0:
        return None
    x0, y0, x1, y1 = f.box
    if f.lab[1] < 0.0 or f.lab[2] < 0.0 or abs(f.centroid[0] - lay.axis) > 0.3 * lay.fw or f.width > lay.fw:
        return None
    if lay.chin - 0.6 * lay.fh <= y0 < lay.chin and y1 > lay.chin + 0.1 * lay.fh:
        return ("neck", 0.45, "neck-geometry")
    return None


def position_rule(
    f: MeshFeatures,
    lay: BodyLayout,
    hair: tuple[float, float, float] | None = None,
    others: Sequence[MeshFeatures] = (),
) -> Rule | None:
    """A mesh nothing names: skin in the face box, hair-coloured above the chin, the body layout below the chin
    (`others`: the meshes below the chin, for mirrored pairs: skirt panels, arms), else a prop off the body."""
    if f.area == 0:
        return None
    if lay.face is not None:
        fx0, fy0, fx1, fy1 = lay.face.box
        cx, cy = f.centroid
        if fx0 <= cx <= fx1 and fy0 <= cy <= fy1 and lay.is_skin(f):
            return ("face", 0.5, "face-box")
        if hair is not None and cy < lay.chin and np.hypot(f.lab[1] - hair[1], f.lab[2] - hair[2]) < 15.0:
            return ("hair", 0.5, "hair-colour")
        face = lay.face
        within = fx0 <= f.box[0] and fy0 <= f.box[1] and f.box[2] <= fx1 and f.box[3] <= fy1  # bangs reach out
        if lay.by_shape and within and f.order > face.order and f.area < 0.2 * face.area and not lay.is_skin(f):
            if cy < fy0 + 0.6 * lay.fh:
                return ("eyes", 0.35, "face-layout")  # over the face, upper part: the eye pieces (split later)
            return ("mouth", 0.3, "face-layout")
        if lay.by_shape:
            hit = ear_rule(f, lay) or neck_shape_rule(f, lay)
            if hit is not None:
                return hit
        head = (fx0 - 0.6 * lay.fw, fy0 - 0.8 * lay.fh, fx1 + 0.6 * lay.fw, lay.chin)
        x0, y0, x1, y1 = f.box
        overlaps = x0 < head[2] and head[0] < x1 and y0 < head[3] and head[1] < y1
        from_head = cy < lay.chin + 0.3 * lay.fh or y0 < fy0  # near the head, or growing from above the face
        if lay.by_shape and from_head and overlaps and not within and not lay.is_skin(f):
            return ("hair", 0.35, "head-layout")  # around the face, nothing named: hair (split by drawing order)
        ex0, ey0, ex1, ey1 = lay.extent
        if not (ex0 <= cx <= ex1 and ey0 <= cy <= ey1):
            return ("objects", 0.3, "off-body")  # apart from the character (a credit plate, a logo)
        if cy > lay.chin:
            hit = body_rule(f, lay, others)
            if lay.by_shape and (hit is None or hit[0] == "topwear"):
                hit = arm_pair_rule(f, lay, list(others)) or hit  # nothing named: arms hang from the shoulders
            if hit is not None:
                return hit
            if lay.has_body:
                return ("topwear", 0.35, "torso-geometry")
    return ("objects", 0.3, "off-body")
