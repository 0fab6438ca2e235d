"""The rendered half of automatic labelling: geometry rules on named meshes, then the 2D seed vote.

Called by `annotation.auto_label.auto_label` when it has a Live2D model. `labels` (mesh id → (tag, rule,
confidence)) is updated in place; human labels are never touched.

1. The model is rendered at its current pose; `annotation.layout_seeds.layout_assign` refines meshes whose tag
   comes from a *part's* name (a skirt under "body", an ear under "face", held props under "arm") and generic eye
   meshes, by geometry, drawing order and colour.
2. The seed provider's maps are voted per mesh (`annotation.seeds.vote`, summed over the current pose and
   `poses`). A weights-free provider (`layout`) only labels what nothing named; a learned parser (`samhq`,
   `seethrough`) also overrides a part-name label when its vote is more confident, as in the paper, where the
   parser decides and names refine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seethrough.annotation.auto_label import LabelModel
from seethrough.annotation.layout_seeds import layout_assign
from seethrough.annotation.mesh_features import mesh_features, silhouette
from seethrough.annotation.render import content_frame, model_raster, to_uint8
from seethrough.annotation.seeds import SeedContext, default_seed_provider, get_seed_provider, vote

Labels = dict[str, tuple[str, str, float]]


def geometry_and_seed_labels(
    live: Any,
    model: LabelModel,
    labels: Labels,
    active: Sequence[str],
    excluded: set[str],
    coarse: set[str],
    humans: set[str],
    tagset: str,
    provider: str | None,
    size: int,
    poses: Sequence[Mapping[str, float]],
) -> None:
    parts = {m.id: m.part_path for m in model.meshes}
    active_set = set(active)
    frame = content_frame(live, size, 0.02)  # fitted to the character, the same for every pose
    raster = model_raster(live, frame)
    features = {m: f for m, f in mesh_features(raster).items() if m in active_set}
    props = {m for m, (_, rule, _) in labels.items() if rule == "foreground-prop"}
    sil = silhouette(raster, excluded | props)  # the character's extent: no background, no desk
    known = {m: t for m, (t, _, _) in labels.items() if m in active_set}
    rules = layout_assign(features, known, parts, sil, coarse, humans)
    for mid, (tag, conf, rule) in rules.items():
        if mid in labels and labels[mid][1] != "human":
            old_tag, old_rule, old_conf = labels[mid]
            labels[mid] = (tag, rule, conf) if tag != old_tag else (tag, old_rule, max(old_conf, conf))

    name = provider or default_seed_provider()
    seeds = get_seed_provider(name)
    # the provider sees what names and people said (`known` above), not the rules' refinements: the layout prior
    # re-derives those itself, and a rule's guess (a paw found by symmetry) must not make a dog a human body
    rendered = [_context(raster, features, known, parts, excluded, tagset)]
    if poses:
        saved = live.parameter_values()
        try:
            for values in poses:
                live.reset_parameters()
                live.set_parameters({k: v for k, v in values.items() if k in saved})
                live.update()
                r = model_raster(live, frame)
                feats = {m: f for m, f in mesh_features(r).items() if m in active_set}
                rendered.append(_context(r, feats, known, parts, excluded, tagset))
        finally:
            live.set_parameters(saved)
            live.update()
    votes = vote([(seeds.maps(ctx), ctx.visibility) for ctx in rendered], [m for m in active if m not in humans])
    for mid, v in votes.items():
        current = labels.get(mid)
        if current is None:
            # the weights-free prior's vote is its rule's verdict: name that rule (a learned parser's is its own)
            same = not seeds.learned and mid in rules and rules[mid][0] == v.tag
            labels[mid] = (v.tag, rules[mid][2] if same else f"seed-{name}", round(v.confidence, 3))
        elif seeds.learned and mid in coarse and current[1] != "human" and v.confidence > current[2]:
            labels[mid] = (v.tag, f"seed-{name}", round(v.confidence, 3))


def hidden_twin_labels(
    live: Any, labels: Labels, todo: Sequence[str], size: int
) -> dict[str, tuple[str, str, float]]:
    """Meshes hidden at the current pose that nothing else labelled (an arm's second pose, closed eyes, a second
    mouth): drawn as if shown, each takes the tag of the labelled visible mesh whose box covers at least half of
    its box in its colour (ΔE < 20), the closest in colour — the same thing drawn another way (`hidden-twin`). An
    alternative of a pose group (a second arm) is compared with what the pose groups show only (the first arms: a
    raised hand in front of the face is still a hand)."""
    from seethrough.annotation.mesh_features import colour_distance, revealed_features

    hidden = [m.id for m in live.artmeshes if m.id in set(todo) and (m.opacity <= 0.0 or not m.visible_flag)]
    if not hidden:
        return {}
    frame = content_frame(live, size, 0.02)
    shown = mesh_features(model_raster(live, frame))
    anchors = [shown[m] for m in labels if m in shown and shown[m].visible_area > 0]
    posed = {pid for group in getattr(live, "pose_groups", []) for entry in group for pid in entry}
    paths = {m.id: m.part_path for m in live.artmeshes}
    out: dict[str, tuple[str, str, float]] = {}
    for mid, f in revealed_features(live, frame, hidden).items():
        if f.area == 0:
            continue
        alternate = bool(posed.intersection(paths[mid]))
        best, best_d = None, 20.0
        for g in anchors:
            if alternate and not posed.intersection(paths[g.id]):
                continue
            if _overlap(f.box, g.box) >= 0.5 * max(f.width * f.height, 1):
                d = colour_distance(f.lab, g.lab)
                if d < best_d:
                    best, best_d = g, d
        if best is not None:
            out[mid] = (labels[best.id][0], "hidden-twin", 0.35)
    return out


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def foreground_props(live: Any, named_excluded: set[str], size: int) -> set[str]:
    """Meshes excluded by a background-like name that are drawn in front of the character: a desk, a frame, a
    floor the character stands in. A background is drawn behind what it overlaps; a mesh that covers an earlier
    character mesh (and is seen) is a prop (`objects`), whatever its part is called."""
    if not named_excluded:
        return set()
    raster = model_raster(live, content_frame(live, size, 0.02))
    features = mesh_features(raster)
    character = [f for m, f in features.items() if m not in named_excluded and f.area > 0]
    out = set()
    for mid in named_excluded:
        f = features.get(mid)
        if f is None or f.visible_area == 0:
            continue
        x0, y0, x1, y1 = f.box
        for g in character:
            gx0, gy0, gx1, gy1 = g.box
            if g.order < f.order and gx0 < x1 and x0 < gx1 and gy0 < y1 and y0 < gy1:
                out.add(mid)
                break
    return out


def _context(raster: Any, features: dict, known: dict, parts: dict, excluded: set[str], tagset: str) -> SeedContext:
    return SeedContext(
        image=to_uint8(raster.composite()),
        visibility={m: v for m, v in raster.visibility_masks().items() if m not in excluded},
        tagset=tagset,
        known=known,
        features=features,
        parts=parts,
        excluded=frozenset(excluded),
    )
