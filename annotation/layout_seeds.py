"""The `layout` seed provider: a weights-free body-layout prior (rules in `annotation.body_layout`).

It is mesh-aware: it scores each visible mesh from what is known of the model (names, human labels) and the
geometry of the render, then paints the scores over the meshes' visible regions, so its maps go through the same
vote as a learned parser's. `layout_assign` is the per-mesh part, shared with `annotation.auto_label`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from seethrough.annotation.body_layout import (
    BODY_TAGS,
    HAIR_TAGS,
    SKIN_DE,
    Rule,
    arm_pair_rule,
    body_rule,
    continuity_rule,
    ear_rule,
    estimate_layout,
    eye_rule,
    face_band_rule,
    hair_colour,
    half_of_pair,
    headwear_rule,
    held_item_rule,
    neck_rule,
    position_rule,
)
from seethrough.annotation.face_parts import face_parts
from seethrough.annotation.mesh_features import MeshFeatures
from seethrough.annotation.seeds import Maps, SeedContext, paint, register_seed_provider


def layout_assign(
    features: Mapping[str, MeshFeatures],
    known: Mapping[str, str],
    parts: Mapping[str, tuple[str, ...]],
    silhouette: np.ndarray,
    coarse: frozenset[str] | set[str] = frozenset(),
    fixed: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Rule]:
    """Per mesh with features: (tag, confidence, rule) from the body layout.

    `known`: tags from names or people (generic `hair`/`eyes` allowed); `coarse`: meshes whose tag comes from a
    part's name rather than their own (their family may be refined); `fixed`: meshes never to change (human)."""
    lay = estimate_layout(features, known, silhouette)
    over_face = face_parts(features, lay) if lay.by_shape else {}
    below_chin = [f for f in features.values() if f.area and lay.face is not None and f.centroid[1] > lay.chin]
    irides = [features[m].order for m, t in known.items() if t == "irides" and m in features]
    first_iris = min(irides) if irides else None
    hair = hair_colour(features, known)
    hair_meshes = [features[m] for m, t in known.items() if t in HAIR_TAGS and m in features and features[m].area]
    worn = [features[m] for m, t in known.items() if t == "headwear" and m in features and features[m].area]
    body = [features[m] for m, t in known.items() if t in BODY_TAGS and m in features and features[m].area]
    out: dict[str, Rule] = {}
    for mid, f in features.items():
        tag = known.get(mid)
        if mid in fixed:
            continue
        hit: Rule | None = None
        if tag is None and lay.face is not None and mid == lay.face.id:
            hit = ("face", 0.65, "face-shape")  # the skin under the named eyes (`face_under_eyes`)
        elif tag == "topwear":
            hit = body_rule(f, lay, body)
            if hit is None or hit[1:] == (0.6, "torso-geometry"):  # a coat's tails are no arm
                torso = [features[m] for m, t in known.items() if t == "topwear" and m in features]
                hit = arm_pair_rule(f, lay, torso) or hit
        elif tag == "face" and mid in coarse:
            hit = ear_rule(f, lay) or face_band_rule(f, lay)
        elif tag in HAIR_TAGS:
            hit = headwear_rule(f, lay, hair, hair_meshes, known, worn)
        elif tag == "legwear" and mid in coarse:
            hit = body_rule(f, lay, body)
            across = lay.face is not None and (f.box[0] < lay.axis < f.box[2] or half_of_pair(f, lay, body))
            if hit is None or hit[0] == "legwear" or (hit[0] == "bottomwear" and not across):
                hit = None  # a leg keeps its name; only shoes, and shorts or skirts across both legs, differ
            elif hit[0] not in LOWER_BODY:
                hit = None
        elif tag == "neck":
            hit = neck_rule(f, lay)
        elif tag == "eyes":
            hit = eye_rule(f, lay, first_iris)
        elif tag == "handwear" and mid in coarse:
            arm = [features[m] for m, t in known.items() if t == "handwear" and parts.get(m) == parts.get(mid)]
            hit = held_item_rule(f, lay, arm)
        elif tag is None and mid in over_face:
            hit = over_face[mid]
        elif tag is None:
            path = parts.get(mid, ())
            for level in range(len(path), max(len(path) - 2, 0), -1):  # its own part, then the parent part
                neighbours = [
                    (features[m], t) for m, t in known.items()
                    if m in features and m != mid and parts.get(m, ())[:level] == path[:level]
                ]
                if neighbours:
                    hit = continuity_rule(f, neighbours)
                    break
            if hit is None:
                hit = position_rule(f, lay, hair, below_chin)
        if hit is not None:
            out[mid] = _shape_capped(hit) if lay.by_shape else hit
    if lay.by_shape:
        _ornaments_by_shape(features, lay, out)
    return out


def _ornaments_by_shape(features: Mapping[str, MeshFeatures], lay: Any, out: dict[str, Rule]) -> None:
    """Nothing named: the hair's colour is that of the hair found behind the face (the back hair, drawn under it);
    what was taken for hair above the chin in another colour is worn on the head (a hat, ribbons) → `headwear`
    (`hair-colour-outlier`, low: the hair's colour is itself a guess)."""
    face = lay.face
    behind = {m: "hair" for m, (t, _, _) in out.items() if t == "hair" and features[m].order < face.order}
    hair = hair_colour(features, behind)
    if hair is None:
        return
    for mid, (tag, _, _) in list(out.items()):
        f = features[mid]
        if tag != "hair" or f.centroid[1] > lay.chin or lay.is_skin(f, 0.5 * SKIN_DE):
            continue
        d_ab = float(np.hypot(f.lab[1] - hair[1], f.lab[2] - hair[2]))
        if d_ab > 24.0 or (abs(f.lab[0] - hair[0]) > 25.0 and d_ab > 12.0):
            out[mid] = ("headwear", SHAPE_CAP, "hair-colour-outlier")


#: Confidence caps when nothing was named and the face was found by its shape: every rule then rests on a guess,
#: so none is sure; the caps follow each rule's precision measured with names ignored on the fixtures
#: (bench/bench_label_accuracy.py, docs/auto-labels.md "Without names"): legs, feet, waist and the face itself are
#: mostly right, arms and the torso often, necks, neckwear, skin in the face box and coat tails seldom.
SHAPE_CAPS = {
    "face-shape": 0.6, "leg-mass": 0.6, "feet-line": 0.6, "waist-geometry": 0.55, "leg-geometry": 0.55,
    "long-skirt": 0.55, "trousers": 0.55, "ear-geometry": 0.5, "face-parts": 0.45, "arm-pair": 0.45,
    "torso-geometry": 0.45,
}
#: the cap of every other rule in a layout found by shape
SHAPE_CAP = 0.3


def _shape_capped(hit: Rule) -> Rule:
    tag, conf, rule = hit
    return (tag, min(conf, SHAPE_CAPS.get(rule, SHAPE_CAP)), rule)


#: what a mesh of a part named as legs may turn out to be
LOWER_BODY = frozenset({"legwear", "footwear", "bottomwear"})


class LayoutProvider:
    name = "layout"
    learned = False

    def maps(self, ctx: SeedContext) -> Maps:
        vis = {m: v for m, v in ctx.visibility.items() if m not in ctx.excluded}
        shape = ctx.image.shape[:2]
        silhouette = np.zeros(shape, bool)
        for m, v in vis.items():
            if ctx.known.get(m) != "objects":  # a prop in front (a desk) is not the character's extent
                silhouette |= v
        features = {m: f for m, f in ctx.features.items() if m in vis}
        rules = layout_assign(features, ctx.known, ctx.parts, silhouette)
        values: dict[str, dict[str, float]] = {}
        for mid in vis:
            if mid in rules:
                tag, conf, _ = rules[mid]
                values[mid] = {tag: max(conf, 0.05)}
            elif mid in ctx.known:  # generic hair/eyes stay generic: the v3 splits refine them later
                values[mid] = {ctx.known[mid]: 1.0}
        return paint(values, vis, shape)


def layout_labels(model: Any, size: int = 512) -> dict[str, str]:
    """The `layout` provider alone: every visible mesh takes its vote at the current pose (names feed it only as
    anchors, the way the provider sees them); generic `hair`/`eyes` votes stay generic. Hidden meshes get none."""
    from seethrough.annotation.auto_label import excluded_meshes, from_live2d, name_tags
    from seethrough.annotation.mesh_features import mesh_features
    from seethrough.annotation.render import content_frame, model_raster, to_uint8
    from seethrough.annotation.seeds import vote

    view = from_live2d(model)
    excluded = excluded_meshes(view)
    raster = model_raster(model, content_frame(model, size, 0.02))
    vis = {m: v for m, v in raster.visibility_masks().items() if m not in excluded}
    known = {m: t for m, t in name_tags(view).items() if m not in excluded}
    ctx = SeedContext(to_uint8(raster.composite()), vis, "v3", known, mesh_features(raster),
                      {m.id: m.part_path for m in view.meshes}, frozenset(excluded))
    return {mid: v.tag for mid, v in vote([(LayoutProvider().maps(ctx), vis)], list(vis)).items()}


def register() -> None:
    register_seed_provider("layout", LayoutProvider)
