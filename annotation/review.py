"""The review queue of automatic labels (no Qt): what a person should look at first, and how much is verified.

A mesh's priority is (1 − confidence) × visible area: a big mesh labelled by a shaky rule comes first, a tiny or
hidden one last; unlabelled meshes count with confidence 0; a person's label is verified and leaves the queue
(accepting a label is the operation `annotation.label_operations.AcceptLabels`).
Progress is the share of the visible area (default pose) whose labels a person has set or accepted, so a
150-mesh model is "done" once its few large uncertain meshes are checked, not after 150 clicks.

`seed_overlay` renders a seed provider's maps for the current pose as one RGBA image (each pixel in the colour of
its best-scoring tag, alpha from the score), the picture the queue shows over the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seethrough.annotation.labels import LabelSet
from seethrough.core.taxonomy import taxonomy


@dataclass(frozen=True)
class ReviewItem:
    id: str
    tag: str | None
    source: str | None
    confidence: float  # 0 for an unlabelled mesh
    visible_area: int

    @property
    def priority(self) -> float:
        return (1.0 - self.confidence) * self.visible_area


def review_queue(labels: LabelSet, visible_area: Mapping[str, int], mesh_ids: Sequence[str] | None = None,
                 excluded: set[str] | frozenset[str] = frozenset()) -> list[ReviewItem]:
    """Meshes not yet verified by a person, highest priority first (ties: larger area, then id)."""
    items = []
    for mid in mesh_ids if mesh_ids is not None else labels.mesh_ids:
        if mid in excluded or labels.source(mid) == "human":
            continue
        conf = labels.confidence(mid)
        items.append(ReviewItem(mid, labels.tag(mid), labels.source(mid), 0.0 if conf is None else conf,
                                int(visible_area.get(mid, 0))))
    return sorted(items, key=lambda it: (-it.priority, -it.visible_area, it.id))


def verified_fraction(labels: LabelSet, visible_area: Mapping[str, int],
                      excluded: set[str] | frozenset[str] = frozenset()) -> float:
    """Share of the (non-excluded) visible area whose label a person set or accepted."""
    total = sum(a for m, a in visible_area.items() if m not in excluded)
    done = sum(a for m, a in visible_area.items() if m not in excluded and labels.source(m) == "human")
    return done / total if total else 1.0


def seed_overlay(maps: Mapping[str, np.ndarray], threshold: float = 0.25) -> np.ndarray:
    """(H, W, 4) uint8: each pixel in the colour of its best tag, alpha 0..200 from its score (0 below
    `threshold`)."""
    if not maps:
        return np.zeros((1, 1, 4), np.uint8)
    tags = list(maps)
    stack = np.stack([np.asarray(maps[t], np.float32) for t in tags])
    best = stack.argmax(axis=0)
    score = stack.max(axis=0)
    colours = np.array([taxonomy().color(t) for t in tags], np.uint8)
    out = np.zeros((*best.shape, 4), np.uint8)
    out[..., :3] = colours[best]
    out[..., 3] = np.where(score >= threshold, np.clip(score, 0, 1) * 200, 0).astype(np.uint8)
    return out


def seed_maps(model: Any, raster: Any, labels: LabelSet, excluded: set[str], provider: str | None = None) -> dict:
    """The seed provider's maps for a model's current pose on `raster`'s frame (what the labeller voted on)."""
    from seethrough.annotation.auto_label import from_live2d, name_tags
    from seethrough.annotation.mesh_features import mesh_features
    from seethrough.annotation.render import to_uint8
    from seethrough.annotation.seeds import SeedContext, default_seed_provider, get_seed_provider

    view = from_live2d(model)
    known = {**name_tags(view), **{m: labels.tag(m) or "" for m in labels.human_ids()}}
    vis = {m: v for m, v in raster.visibility_masks().items() if m not in excluded}
    ctx = SeedContext(to_uint8(raster.composite()), vis, labels.taxonomy_version,
                      {m: t for m, t in known.items() if t and m not in excluded}, mesh_features(raster),
                      {m.id: m.part_path for m in view.meshes}, frozenset(excluded))
    return get_seed_provider(provider or default_seed_provider()).maps(ctx)
