"""2D seed providers: a rendered pose → per-tag score maps, and the paper's per-ArtMesh vote over them.

A provider is an object with a `name`, a `learned` flag (a trained parser rather than a prior) and
`maps(ctx) -> {tag: (H, W) float32 in [0, 1]}` for one pose (`SeedContext`). Providers are registered by name, like
the inpainters (`core.inpaint`), so a model module can add one without touching this file::

    register_seed_provider("samhq", make_samhq, installed=samhq_installed)

Built in: `layout` (`annotation.layout_seeds`, weights-free, always available), `seethrough` (the installed layer
model through `core.decompose`) and `samhq` (the paper's 19-class SAM-HQ parser); the last two only when their
weights are installed. `default_seed_provider()` picks the best installed one: samhq, then seethrough, then layout.

The vote (paper 3.1.2, authors' `label_l2d_wsamsegs`): for every visible mesh and tag,
score(tag) = Σ_poses |visible region ∩ map| / Σ_poses |visible region| (soft maps count their values), and the mesh
takes the argmax. Several poses vote by summing over their visible regions. Its confidence is the winning score
less half the runner-up's (0 when nothing responds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from seethrough.core.errors import BadInput

Maps = dict[str, np.ndarray]


@dataclass(frozen=True)
class SeedContext:
    """One rendered pose, and what is already known about its meshes."""

    image: np.ndarray  # (H, W, 4) uint8 straight-alpha composite
    visibility: Mapping[str, np.ndarray]  # mesh id → (H, W) bool: where it is the top-most fragment
    tagset: str = "v3"
    known: Mapping[str, str] = field(default_factory=dict)  # mesh id → tag from names / human labels
    features: Mapping[str, Any] = field(default_factory=dict)  # mesh id → annotation.mesh_features.MeshFeatures
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # mesh id → part path (root → parent)
    excluded: frozenset[str] = frozenset()  # meshes that are not the character


class SeedProvider(Protocol):
    name: str
    learned: bool

    def maps(self, ctx: SeedContext) -> Maps: ...


@dataclass(frozen=True)
class _Entry:
    factory: Callable[[], SeedProvider]
    installed: Callable[[], bool]


_REGISTRY: dict[str, _Entry] = {}
#: best first: what `default_seed_provider` tries
PREFERENCE = ("samhq", "seethrough", "layout")


def register_seed_provider(
    name: str, factory: Callable[[], SeedProvider], installed: Callable[[], bool] = lambda: True
) -> None:
    """Add (or replace) a provider; `installed()` says whether its weights are there (cheap, no torch import)."""
    if not name or not callable(factory):
        raise ValueError("a seed provider needs a name and a factory")
    _REGISTRY[name] = _Entry(factory, installed)


def _ensure_builtins() -> None:
    if "layout" not in _REGISTRY:
        from seethrough.annotation import layout_seeds, samhq_seeds, seethrough_seeds

        layout_seeds.register()
        seethrough_seeds.register()
        samhq_seeds.register()


def available_seed_providers(installed_only: bool = False) -> list[str]:
    _ensure_builtins()
    return sorted(n for n, e in _REGISTRY.items() if not installed_only or e.installed())


def get_seed_provider(name: str) -> SeedProvider:
    _ensure_builtins()
    entry = _REGISTRY.get(name)
    if entry is None:
        raise BadInput(f"unknown seed provider {name!r} (available: {', '.join(available_seed_providers())})")
    if not entry.installed():
        raise BadInput(f"seed provider {name!r} needs weights that are not installed; use 'layout' or install them")
    return entry.factory()


def default_seed_provider() -> str:
    _ensure_builtins()
    for name in PREFERENCE:
        entry = _REGISTRY.get(name)
        if entry is not None and entry.installed():
            return name
    return "layout"


@dataclass(frozen=True)
class SeedVote:
    tag: str
    score: float  # fraction of the visible region the winning map covers
    confidence: float
    scores: dict[str, float]


def vote(
    poses: Sequence[tuple[Maps, Mapping[str, np.ndarray]]],
    candidates: Sequence[str],
    min_pixels: int = 4,
    threshold: float = 0.0,
) -> dict[str, SeedVote]:
    """The per-mesh vote over one or more poses' (maps, visibility); meshes seen on < `min_pixels` are skipped,
    and a winner must cover more than `threshold` of the visible region."""
    sums: dict[str, dict[str, float]] = {}
    seen: dict[str, int] = {}
    for maps, visibility in poses:
        for mid in candidates:
            vis = visibility.get(mid)
            if vis is None:
                continue
            ys, xs = np.nonzero(vis)
            if len(ys) == 0:
                continue
            seen[mid] = seen.get(mid, 0) + len(ys)
            acc = sums.setdefault(mid, {})
            for tag, m in maps.items():
                if m.shape[:2] != vis.shape[:2]:
                    raise ValueError(f"seed map {tag!r} is {m.shape[:2]}, the render is {vis.shape[:2]}")
                acc[tag] = acc.get(tag, 0.0) + float(np.asarray(m[ys, xs], np.float64).sum())
    out: dict[str, SeedVote] = {}
    for mid, acc in sums.items():
        n = seen[mid]
        if n < min_pixels or not acc:
            continue
        scores = {t: v / n for t, v in acc.items()}
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        tag, top = ranked[0]
        if top <= threshold:
            continue
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        out[mid] = SeedVote(tag, top, float(np.clip(top - 0.5 * second, 0.0, 1.0)), scores)
    return out


def paint(
    values: Mapping[str, Mapping[str, float]], visibility: Mapping[str, np.ndarray], shape: tuple[int, int]
) -> Maps:
    """Per-mesh tag scores painted over each mesh's visible region: a mesh-aware provider's score maps."""
    maps: Maps = {}
    for mid, scores in values.items():
        vis = visibility.get(mid)
        if vis is None:
            continue
        for tag, s in scores.items():
            if s <= 0:
                continue
            m = maps.setdefault(tag, np.zeros(shape, np.float32))
            m[vis] = np.maximum(m[vis], np.float32(s))
    return maps
