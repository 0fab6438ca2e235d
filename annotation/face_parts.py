"""The pieces drawn over a face when nothing names them: eyes, brows, nose and mouth by geometry, colour and order.

Used when the face was found by its shape (`body_layout.find_face`: no name means anything), so every piece over it
is unnamed. Nothing here is tuned to one model; the rules speak of the face's box, the irides' size and the
drawing order (evidence: docs/auto-labels.md, "Without names"):

1. **Irides**: the mirrored pair (left/right of the face's axis, level, of about one size) of compact pieces (box
   aspect within 1:2.5, filling ≥ 55 % of it) darker than mid-grey (L < 65: not an eye white, a blush or a light
   strand of hair), inside the face's box, of the largest area. No pair: no face parts.
2. **Each eye**: a near-white piece drawn before the iris around its centre is the eye white and a dark one the
   eye's outline (`eyelash`), however large (a chibi's eyes); the rest of the eye is the region around the iris,
   from 1.4 iris widths left and right of its centre, 1.2 iris heights above it and 1.0 below (a piece's box must
   lie within): a piece inside the iris's box drawn after it is the
   iris's highlight or pupil (`irides`); a near-white piece drawn before the iris is the eye white; a dark piece,
   or a skin-coloured lid drawn after the iris, is `eyelash`; anything else there is `eyelash` too (eye lines come
   in colours).
3. **Brows**: above each eye's top (its iris or eye white, whichever is higher) by more than a third of the iris's
   height, within three iris heights, near the iris horizontally, wider than tall and not skin-coloured.
4. **Mouth and nose**, in the column around the face's axis below the eyes: the largest piece is the mouth's anchor;
   a small narrow piece above the anchor's centre is the nose; pieces whose centre lies in the anchor's box (a
   quarter of its height of slack) are the mouth (lips, teeth, tongue); narrow pieces above the mouth, the nose.
5. Skin-coloured pieces elsewhere over the face (blush, highlights) are `face`.

Confidences are low (0.35–0.45): geometry alone is far from a parser, and the review queue should show them first.
"""

from __future__ import annotations

from collections.abc import Mapping

from seethrough.annotation.body_layout import SKIN_DE, BodyLayout, Rule
from seethrough.annotation.mesh_features import MeshFeatures

Box = tuple[int, int, int, int]


def face_parts(features: Mapping[str, MeshFeatures], lay: BodyLayout) -> dict[str, Rule]:
    """Mesh id → (tag, confidence, "face-parts") for the unnamed pieces drawn over the face."""
    face = lay.face
    if face is None or lay.fw <= 0 or lay.fh <= 0:
        return {}
    pieces = _pieces_over(features, face, lay)
    pair = _iris_pair(pieces, lay)
    if pair is None:
        return {}
    out: dict[str, Rule] = {p.id: ("irides", 0.45, "face-parts") for p in pair}
    eye_tops = []
    for iris in pair:
        out.update(_eye(iris, pieces, lay, out))
        whites = [p for p in pieces if out.get(p.id, ("",))[0] == "eyewhite" and _near(p, iris, 1.4)]
        eye_tops.append((iris, min([iris.box[1], *(w.box[1] for w in whites)])))
    for iris, top in eye_tops:
        out.update(_brows(iris, top, pieces, lay, out))
    out.update(_mouth_and_nose(pair, pieces, lay, out))
    for p in pieces:
        if p.id not in out and lay.is_skin(p, 1.6 * SKIN_DE):
            out[p.id] = ("face", 0.4, "face-parts")
    return out


def _pieces_over(features: Mapping[str, MeshFeatures], face: MeshFeatures, lay: BodyLayout) -> list[MeshFeatures]:
    """Drawn after the face, centred inside its box, at most a quarter of its area."""
    fx0, fy0, fx1, fy1 = face.box
    slack = 0.05 * lay.fw
    return [
        f for f in features.values()
        if f.id != face.id and f.area > 0 and f.order > face.order and f.area <= 0.25 * face.area
        and fx0 - slack <= f.centroid[0] <= fx1 + slack and fy0 <= f.centroid[1] <= fy1
    ]


def _compact(f: MeshFeatures) -> bool:
    ratio = max(f.width, 1) / max(f.height, 1)
    return 0.4 <= ratio <= 2.5 and f.area >= 0.55 * max(f.width, 1) * max(f.height, 1)


def _white(f: MeshFeatures) -> bool:
    return f.lab[0] > 75.0 and f.chroma < 15.0


def _iris_pair(pieces: list[MeshFeatures], lay: BodyLayout) -> tuple[MeshFeatures, MeshFeatures] | None:
    face = lay.face
    assert face is not None
    fx0, fy0, fx1, _ = face.box
    slack = 0.02 * lay.fw
    irides = [
        p for p in pieces
        if _compact(p) and p.lab[0] < 65.0 and p.area >= 0.004 * face.area
        and abs(p.centroid[0] - lay.axis) > 0.12 * lay.fw and 0.2 * lay.fh <= p.centroid[1] - fy0 <= 0.9 * lay.fh
        and p.box[0] >= fx0 - slack and p.box[2] <= fx1 + slack
    ]
    best: tuple[MeshFeatures, MeshFeatures] | None = None
    for i, a in enumerate(irides):
        for b in irides[i + 1:]:
            if (a.centroid[0] - lay.axis) * (b.centroid[0] - lay.axis) >= 0:
                continue  # same side
            mirrored = abs(a.centroid[0] + b.centroid[0] - 2 * lay.axis) < 0.15 * lay.fw
            level = abs(a.centroid[1] - b.centroid[1]) < 0.1 * lay.fh
            if mirrored and level and 0.5 < a.area / b.area < 2.0:
                if best is None or a.area + b.area > best[0].area + best[1].area:
                    best = (a, b)
    return best


def _near(p: MeshFeatures, iris: MeshFeatures, widths: float) -> bool:
    return abs(p.centroid[0] - iris.centroid[0]) < widths * max(iris.width, 1)


def _eye(iris: MeshFeatures, pieces: list[MeshFeatures], lay: BodyLayout, done: Mapping[str, Rule]) -> dict[str, Rule]:
    cx, cy = iris.centroid
    iw, ih = max(iris.width, 1), max(iris.height, 1)
    zone = (cx - 1.4 * iw, cy - 1.2 * ih, cx + 1.4 * iw, cy + 1.0 * ih)
    out: dict[str, Rule] = {}
    for p in pieces:
        if p.id in done:
            continue
        around = p.box[0] <= cx <= p.box[2] and p.box[1] <= cy <= p.box[3]  # a large eye white, the eye's outline
        if around and _white(p) and p.order < iris.order:
            out[p.id] = ("eyewhite", 0.45, "face-parts")
            continue
        if around and p.lab[0] < 40.0:
            out[p.id] = ("eyelash", 0.4, "face-parts")
            continue
        if not _within(p.box, zone):
            continue
        if _within(p.box, iris.box, 0.1 * iw) and p.order > iris.order and p.area < 0.5 * iris.area:
            out[p.id] = ("irides", 0.45, "face-parts")  # a highlight or the pupil
        elif _white(p) and p.order < iris.order:
            out[p.id] = ("eyewhite", 0.45, "face-parts")
        else:
            out[p.id] = ("eyelash", 0.4, "face-parts")  # lash lines, lids, eye outlines
    return out


def _brows(
    iris: MeshFeatures, eye_top: int, pieces: list[MeshFeatures], lay: BodyLayout, done: Mapping[str, Rule]
) -> dict[str, Rule]:
    ih = max(iris.height, 1)
    out: dict[str, Rule] = {}
    for p in pieces:
        if p.id in done or not _near(p, iris, 1.6) or lay.is_skin(p, 1.6 * SKIN_DE):
            continue
        above = eye_top - p.centroid[1]
        if 0.35 * ih < above < 3.0 * ih and p.width > 1.5 * p.height:
            out[p.id] = ("eyebrow", 0.4, "face-parts")
    return out


def _mouth_and_nose(
    pair: tuple[MeshFeatures, MeshFeatures], pieces: list[MeshFeatures], lay: BodyLayout, done: Mapping[str, Rule]
) -> dict[str, Rule]:
    eyes_y = (pair[0].centroid[1] + pair[1].centroid[1]) / 2
    ih = (pair[0].height + pair[1].height) / 2
    column = [
        p for p in pieces
        if p.id not in done and abs(p.centroid[0] - lay.axis) < 0.2 * lay.fw and p.centroid[1] > eyes_y + 0.3 * ih
    ]
    if not column:
        return {}
    anchor = max(column, key=lambda p: p.area)
    ax0, ay0, ax1, ay1 = anchor.box
    slack = 0.25 * max(anchor.height, 1)
    out: dict[str, Rule] = {}
    for p in column:
        narrow = p.width < 0.15 * lay.fw and p.area < 0.35 * anchor.area
        if p.id != anchor.id and narrow and p.centroid[1] < anchor.centroid[1]:
            out[p.id] = ("nose", 0.35, "face-parts")
        elif p.id == anchor.id or ay0 - slack <= p.centroid[1] <= ay1 + slack:
            out[p.id] = ("mouth", 0.4, "face-parts")
    return out


def _within(box: Box, zone: tuple[float, float, float, float], slack: float = 0.0) -> bool:
    x0, y0, x1, y1 = box
    return x0 >= zone[0] - slack and y0 >= zone[1] - slack and x1 <= zone[2] + slack and y1 <= zone[3] + slack
