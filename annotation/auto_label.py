"""Automatic ArtMesh labelling (paper 3.1.2 and the authors' V3 refinements), never overwriting a human label.

The rules work on a minimal view of a model (`LabelModel`: meshes with id, name, part path and draw order, and the
part tree), so they are testable on synthetic trees; `from_live2d` adapts the loader's `Live2DModel`.

Order of the rules, each assignment recording its rule as the label source:
1. `name-match`: keywords of the mesh name and its ancestors' part names/ids (`annotation.name_rules`), nearest first;
2. `2d-seed`: per-tag response maps of the rendered composite; a visible mesh takes the tag with the largest mean
   response inside its visible region, if above `seed_threshold`;
3. `sibling-vote`: majority tag of the labelled meshes (human, name, seed) in the same part;
4. `parent-vote`: otherwise the majority over the labelled descendants of the nearest ancestor part that has any;
(With a rendered model, meshes hidden in the pose that nothing reached take the tag of the visible mesh they repeat,
`hidden-twin` (`annotation.seed_labels.hidden_twin_labels`), before `no-evidence` makes the rest `objects`.)
5. v3 only: `hair-split` turns generic hair into front hair when drawn after the face (draw order > split index =
   max over face meshes of min(face, first nose, first mouth) draw order), back hair otherwise; `eye-split` turns
   generic eye meshes into eyewhite / eyelash. Names come first (白目, 瞳, まつげ, 眉 are matched by rule 1); for the
   rest the geometry fallback uses drawing order: the eye white is drawn under the iris, lashes and lids over it,
   so generic eye meshes drawn before the first iris mesh become eyewhite and the others eyelash.

Votes only count labels from rules 1-2 and human labels (a snapshot), so the result does not depend on mesh order.
Meshes that are not the character are neither labelled nor counted in the coverage, each with its reason
(`AutoLabelReport.excluded_reasons`, rules in `annotation.non_character`): parts named as backgrounds, guides or hit
areas (name table: 背景, 下絵, guide …), the labels' `excluded_parts` setting, and, with a rendered model, effects
(named or toggled as effects, glowing, far off the body, large and see-through).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seethrough.annotation.labels import Assignment, LabelEntry, LabelSet, LabelStore
from seethrough.annotation.name_rules import GENERIC_TAGS, effect_in_chain, is_excluded_name, match_chain, to_tagset


@dataclass(frozen=True)
class MeshInfo:
    id: str
    name: str = ""
    part_path: tuple[str, ...] = ()  # part ids, root → parent
    draw_order: int = 0  # position in the drawing sequence (Cubism render order; 0 = drawn first)


@dataclass(frozen=True)
class PartInfo:
    id: str
    name: str = ""
    parent_id: str | None = None


@dataclass
class LabelModel:
    """What the rules need of a model: its meshes and its parts by id."""

    meshes: list[MeshInfo]
    parts: dict[str, PartInfo] = field(default_factory=dict)

    @property
    def mesh_ids(self) -> list[str]:
        return [m.id for m in self.meshes]


@dataclass
class AutoLabelReport:
    counts: dict[str, int]  # automatic labels set per rule
    coverage: float
    total: int
    labelled: int
    unlabelled: list[str]
    excluded: list[str]  # meshes that are not the character (sorted ids)
    #: why each excluded mesh was left out: "<rule>: <what decided>" (`annotation.non_character`)
    excluded_reasons: dict[str, str] = field(default_factory=dict)
    #: the seed provider whose vote ran ("layout", "samhq", "seethrough"), or "none" (names and votes only)
    provider: str = "none"
    #: whether mesh and part names were read (False: `use_names=False`, geometry alone)
    used_names: bool = True


def from_live2d(model: Any) -> LabelModel:
    """Adapter from `annotation.model.Live2DModel` (artmeshes with part_path, parts dict with names)."""
    parts = {
        pid: PartInfo(pid, getattr(p, "name", "") or "", getattr(p, "parent_id", None))
        for pid, p in model.parts.items()
    }
    meshes = [
        MeshInfo(a.id, getattr(a, "name", "") or "", tuple(a.part_path), _sequence_index(a)) for a in model.artmeshes
    ]
    return LabelModel(meshes, parts)


def _sequence_index(mesh: Any) -> int:
    """Where a mesh is in the drawing sequence: Cubism's render order (its draw order is a sort key shared by
    many meshes, e.g. 500 for most of Mark), falling back to the draw order when no render order is known."""
    order = getattr(mesh, "render_order", None)
    return int(order if order is not None else mesh.draw_order)


def excluded_meshes(model: LabelModel, extra_parts: Sequence[str] = (), detect: bool = True) -> set[str]:
    """Ids of meshes under a non-character part (detected by name when `detect`, or listed in `extra_parts`)."""
    return set(excluded_by_name(model, extra_parts, detect))


def excluded_by_name(model: LabelModel, extra_parts: Sequence[str] = (), detect: bool = True) -> dict[str, str]:
    """Meshes under a part listed in `extra_parts` (`excluded-part`) or, when `detect`, whose own name or a part
    above them is named as a background, guide or hit area (`excluded-name`), with that reason."""
    chosen = set(extra_parts)
    named = {pid: p.name or pid for pid, p in model.parts.items()
             if detect and (is_excluded_name(p.name) or is_excluded_name(pid))}
    out: dict[str, str] = {}
    for m in model.meshes:
        if detect and (is_excluded_name(m.name) or is_excluded_name(m.id)):
            out[m.id] = f"excluded-name: {m.name or m.id}"
        elif chosen.intersection(m.part_path):
            out[m.id] = f"excluded-part: {next(p for p in m.part_path if p in chosen)}"
        elif named.keys() & set(m.part_path):
            out[m.id] = f"excluded-name: {named[next(p for p in reversed(m.part_path) if p in named)]}"
    return out


def effect_names(model: LabelModel) -> dict[str, str]:
    """`effect-name`: meshes whose nearest meaningful name (own, then parts', nearest first) is an effect's."""
    out: dict[str, str] = {}
    for m in model.meshes:
        chain: list[list[str]] = [[m.name, m.id]]
        for pid in reversed(m.part_path):
            p = model.parts.get(pid)
            chain.append([p.name if p else "", pid])
        name = effect_in_chain(chain)
        if name is not None:
            out[m.id] = f"effect-name: {name}"
    return out


def name_tags(model: LabelModel) -> dict[str, str]:
    """Rule 1: mesh id → tag (v3 or generic) from the mesh's own name and its ancestors' names, nearest first."""
    return {mid: tag for mid, (tag, _) in name_matches(model).items()}


def seed_tags(
    seeds: Mapping[str, np.ndarray],
    visibility: Mapping[str, np.ndarray],
    candidates: Sequence[str],
    threshold: float = 0.5,
    min_pixels: int = 4,
) -> dict[str, str]:
    """Rule 2: each candidate mesh with ≥ `min_pixels` visible pixels takes the tag of largest mean response."""
    out: dict[str, str] = {}
    if not seeds:
        return out
    names = list(seeds)
    maps = [_as_float(seeds[t]) for t in names]
    for mid in candidates:
        vis = visibility.get(mid)
        if vis is None:
            continue
        vis = np.asarray(vis, dtype=bool)
        if int(vis.sum()) < min_pixels:
            continue
        means = [float(m[vis].mean()) if m.shape == vis.shape else -1.0 for m in maps]
        best = int(np.argmax(means))
        if means[best] >= threshold:
            out[mid] = names[best]
    return out


def _as_float(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 3:
        a = a[..., -1] if a.shape[-1] in (2, 4) else a.mean(axis=-1)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)


def vote_tags(model: LabelModel, known: Mapping[str, str], todo: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Rules 3-4: sibling vote in the mesh's own part, else parent vote up the tree (ties: nearest draw order)."""
    by_id = {m.id: m for m in model.meshes}
    out: dict[str, tuple[str, str]] = {}
    for mid in todo:
        m = by_id[mid]
        for level in range(len(m.part_path), 0, -1):
            prefix = m.part_path[:level]
            voters = [v for v in model.meshes if v.id in known and v.part_path[:level] == prefix]
            if not voters:
                continue
            counts = Counter(known[v.id] for v in voters)
            top = max(counts.values())
            tied = {t for t, c in counts.items() if c == top}
            nearest = min((v for v in voters if known[v.id] in tied), key=lambda v: abs(v.draw_order - m.draw_order))
            rule = "sibling-vote" if level == len(m.part_path) else "parent-vote"
            out[mid] = (known[nearest.id], rule)
            break
    return out


def hair_split_index(model: LabelModel, tags: Mapping[str, str]) -> int | None:
    """max over face meshes of min(face draw order, first nose draw order, first mouth draw order)."""
    orders = {m.id: m.draw_order for m in model.meshes}
    face = [orders[i] for i, t in tags.items() if t == "face"]
    if not face:
        return None
    firsts = [min(orders[i] for i, t in tags.items() if t == k) for k in ("nose", "mouth") if k in tags.values()]
    return max(min([f, *firsts]) for f in face)


def split_refinements(model: LabelModel, labels: dict[str, tuple[str, str, float]]) -> None:
    """Rule 5 (v3): refine generic `hair` and `eyes` in place, keeping human labels as they are."""
    orders = {m.id: m.draw_order for m in model.meshes}
    tags = {k: t for k, (t, _, _) in labels.items()}
    split = hair_split_index(model, tags)
    iris = [orders[i] for i, t in tags.items() if t == "irides"]
    first_iris = min(iris) if iris else None
    for mid, (tag, source, conf) in list(labels.items()):
        if source == "human" or tag not in GENERIC_TAGS:
            continue
        if tag == "hair":
            front = split is not None and orders[mid] > split
            labels[mid] = ("front hair" if front else "back hair", "hair-split", min(conf, 0.7))
        else:
            white = first_iris is not None and orders[mid] < first_iris
            labels[mid] = ("eyewhite" if white else "eyelash", "eye-split", min(conf, 0.5))


#: confidence of a name match by how far up the tree the name was found (0 = the mesh's own name)
NAME_CONFIDENCE = (0.9, 0.8, 0.7)


def name_matches(model: LabelModel) -> dict[str, tuple[str, int]]:
    """Rule 1 with where it matched: mesh id → (tag, level), level 0 for the mesh's own name or id."""
    out: dict[str, tuple[str, int]] = {}
    for m in model.meshes:
        chain: list[list[str]] = [[m.name, m.id]]
        for pid in reversed(m.part_path):
            p = model.parts.get(pid)
            chain.append([p.name if p else "", pid])
        hit = match_chain(chain)
        if hit is not None:
            out[m.id] = hit
    return out


def _name_confidence(tag: str, level: int) -> float:
    conf = NAME_CONFIDENCE[min(level, len(NAME_CONFIDENCE) - 1)]
    return conf - 0.1 if tag in GENERIC_TAGS else conf


@dataclass(frozen=True)
class AutoLabelResult:
    """What a run would change (`changes`: mesh id → new entry, None removes an automatic label) and its report."""

    changes: dict[str, LabelEntry | None]
    report: AutoLabelReport


def label_automatically(
    model_like: Any,
    labels: LabelSet,
    seeds: Mapping[str, np.ndarray] | None = None,
    visibility: Mapping[str, np.ndarray] | None = None,
    tagset: str = "v3",
    excluded_parts: Sequence[str] = (),
    detect_excluded: bool = True,
    seed_threshold: float = 0.5,
    live: Any = None,
    provider: str | None = None,
    size: int = 512,
    poses: Sequence[Mapping[str, float]] | None = None,
    use_names: bool = True,
    detect_effects: bool = True,
) -> AutoLabelResult:
    """Run the rules on a model and its labels (a value: nothing is changed) and say what they would change; human
    labels are never touched.

    With a Live2D model (`model_like` itself, or `live` next to a `LabelModel` view of it) the model is rendered
    (`size` on the long side, at its current pose and at each of `poses`) and the geometry rules and the 2D seed
    vote of `provider` run too (`annotation.seeds`; default: the best installed provider, `layout` without
    weights; "none" turns both off). Every label records its rule, a confidence and the provider of the run.
    `use_names=False` ignores mesh, part and parameter names (for models whose names mean nothing, and to measure
    the geometry alone). `detect_effects=False` keeps effects in (only names of backgrounds, guides and hit areas,
    and the labels' excluded parts, leave meshes out)."""
    if isinstance(model_like, LabelModel):
        model = model_like
    else:
        model, live = from_live2d(model_like), model_like
    humans = {mid: labels.tag(mid) or "" for mid in labels.human_ids()}
    reasons = excluded_by_name(model, [*excluded_parts, *labels.excluded_parts], detect_excluded)
    named_out = set(reasons)
    matches = name_matches(model) if use_names else {}
    rendered = live is not None and provider != "none"
    used = (provider or default_provider()) if rendered else "none"
    if detect_effects:
        reasons.update(_effect_reasons(model, live, matches, use_names, set(reasons), set(humans), size))
    excluded = set(reasons)
    active = [m.id for m in model.meshes if m.id not in excluded]
    found: dict[str, tuple[str, str, float]] = {mid: (t, "human", 1.0) for mid, t in humans.items()}

    for mid in active:
        if mid not in found and mid in matches:
            tag, level = matches[mid]
            found[mid] = (tag, "name-match", _name_confidence(tag, level))
    if seeds and visibility:
        todo = [mid for mid in active if mid not in found]
        for mid, tag in seed_tags(seeds, visibility, todo, seed_threshold).items():
            found[mid] = (tag, "2d-seed", 0.6)
    if rendered:
        from seethrough.annotation.seed_labels import foreground_props, geometry_and_seed_labels

        chosen = excluded_meshes(model, [*excluded_parts, *labels.excluded_parts], detect=False)
        for mid in foreground_props(live, named_out - chosen, size):
            excluded.discard(mid)
            reasons.pop(mid, None)
            active.append(mid)
            if mid not in found:
                found[mid] = ("objects", "foreground-prop", 0.5)
        coarse = {mid for mid, (_, level) in matches.items() if level > 0}
        geometry_and_seed_labels(
            live, model, found, active, excluded, coarse, set(humans), tagset, used, size, poses or []
        )
    known = {mid: t for mid, (t, _, _) in found.items() if mid not in excluded}
    todo = [mid for mid in active if mid not in found]
    for mid, (tag, rule) in vote_tags(model, known, todo).items():
        found[mid] = (tag, rule, vote_confidence(model, found, mid, tag, rule))
    if rendered:
        from seethrough.annotation.seed_labels import hidden_twin_labels

        todo = [mid for mid in active if mid not in found]
        found.update(hidden_twin_labels(live, {m: v for m, v in found.items() if m not in excluded}, todo, size))
        for mid in active:  # rendered, unnamed, in a part nothing else is known of: a prop or an effect
            found.setdefault(mid, ("objects", "no-evidence", 0.1))
    if tagset == "v3":
        split_refinements(model, found)
    auto: dict[str, Assignment] = {
        mid: (to_tagset(t, tagset), src, conf)
        for mid, (t, src, conf) in found.items() if src != "human" and mid not in excluded
    }
    for mid in excluded:  # an automatic label from an earlier run on what is not the character
        if labels.source(mid) not in (None, "human"):
            auto[mid] = None
    changes = labels.changes(auto, provider=used)
    after = labels.with_changes(changes)

    counts = dict(Counter(v[1] for v in auto.values() if v is not None))
    labelled = [mid for mid in active if after.tag(mid) is not None]
    unlabelled = [mid for mid in active if after.tag(mid) is None]
    report = AutoLabelReport(
        counts=counts,
        coverage=len(labelled) / len(active) if active else 0.0,
        total=len(active),
        labelled=len(labelled),
        unlabelled=unlabelled,
        excluded=sorted(excluded),
        excluded_reasons={mid: reasons[mid] for mid in sorted(excluded) if mid in reasons},
        provider=used,
        used_names=use_names,
    )
    return AutoLabelResult(changes, report)


def auto_label(model_like: Any, store: LabelStore, tagset: str = "v3", **options: Any) -> AutoLabelReport:
    """`label_automatically` (which `options` go to, by name) on a store's labels, applied to the store as one undo
    step (with the tag set)."""
    result = label_automatically(model_like, store.labels, tagset=tagset, **options)
    store.push(result.changes, text="Auto-label", taxonomy_version=tagset)
    return result.report


def vote_confidence(
    model: LabelModel, labels: Mapping[str, tuple[str, str, float]], mid: str, tag: str, rule: str
) -> float:
    """A vote is no surer than its surest voter for the winning tag: 0.5 (sibling) or 0.4 (parent) when names or
    people voted, less when only geometry did (names ignored)."""
    base = 0.5 if rule == "sibling-vote" else 0.4
    path = next(m.part_path for m in model.meshes if m.id == mid)
    for level in range(len(path), 0, -1):  # the level the vote was taken at: the nearest with such voters
        voters = [labels[m.id][2] for m in model.meshes
                  if m.id in labels and m.id != mid and labels[m.id][0] == tag and m.part_path[:level] == path[:level]]
        if voters:
            return min(base, max(voters))
    return base


def default_provider() -> str:
    from seethrough.annotation.seeds import default_seed_provider

    return default_seed_provider()


def _effect_reasons(
    model: LabelModel,
    live: Any,
    matches: Mapping[str, tuple[str, int]],
    use_names: bool,
    named: set[str],
    humans: set[str],
    size: int,
) -> dict[str, str]:
    """Effects and other non-character meshes (`annotation.non_character`), besides the `named` ones already out
    and never one a person labelled. Names first; the rendered rules when there is a live model."""
    skip = named | humans
    out = {m: r for m, r in effect_names(model).items() if m not in skip} if use_names else {}
    if live is None:
        return out
    from seethrough.annotation.non_character import effect_parameter_reasons, geometric_reason, measure_looks
    from seethrough.annotation.render import content_frame

    if use_names:
        hidden = [m.id for m in live.artmeshes if (m.opacity <= 0.0 or not m.visible_flag) and not m.cut_out
                  and m.id not in skip and m.id not in out and m.id not in matches]
        out.update(effect_parameter_reasons(live, hidden))
    frame = content_frame(live, size, 0.02)
    undecided = [m.id for m in live.artmeshes if m.id not in out and m.id not in skip]
    looks, body_area = measure_looks(live, frame, named, undecided)
    for mid, look in looks.items():
        reason = geometric_reason(look, body_area)
        if reason is not None:
            out[mid] = reason
    return out


def agreement(store: LabelStore | LabelSet, reference: LabelStore | LabelSet | Mapping[str, str]) -> float:
    """Fraction of the reference's labelled meshes that `store` tags the same (0.0 when the reference is empty)."""
    ref = reference.tags() if isinstance(reference, (LabelStore, LabelSet)) else dict(reference)
    if not ref:
        return 0.0
    return sum(store.tag(mid) == tag for mid, tag in ref.items()) / len(ref)
