"""Name matching: ArtMesh and part names/ids → body-part tags through `resources/live2d_keywords.json`.

Live2D artists name parts in Japanese (前髪, 白目, 左腕) or with the Cubism template ids (PartHairFront,
Part01EyeBall001); the table covers both. The nearest name wins: the mesh's own name, then its parent part's display
name and id, then the grandparent's, and so on, because a mesh inside "前髪" under "頭部" is front hair whatever the
head says. Within one name the first rule of the table wins, so specific rules come first (白目 before 目).

The generic tags `hair` and `eyes` are the v2 tags; for v3 the draw-order hair split and the eye split in
`annotation.auto_label` refine them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from seethrough.core.paths import resource
from seethrough.core.taxonomy import taxonomy

#: tags the v3 splits refine (they are the v2 names)
GENERIC_TAGS = frozenset({"hair", "eyes"})

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_SEP = re.compile(r"[\s_\-.()\[\]{}:;,/\\|]+")


def normalize(name: str) -> str:
    """`'PartHairFront001'` → `'part hair front 001'`: words of a name, lower-case, single spaces."""
    return " ".join(_SEP.split(_CAMEL.sub(" ", name))).strip().lower()


@dataclass(frozen=True)
class _Rule:
    tag: str
    ascii_keywords: tuple[str, ...]
    other_keywords: tuple[str, ...]


def _split_keywords(words: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    asc = tuple(normalize(w) for w in words if w.isascii())
    other = tuple(w.lower() for w in words if not w.isascii())
    return asc, other


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[_Rule, ...], _Rule]:
    data = _data()
    rules = tuple(_Rule(r["tag"], *_split_keywords(r["keywords"])) for r in data["rules"])
    return rules, _Rule("exclude", *_split_keywords(data["exclude"]))


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(resource("live2d_keywords.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _effect_rules() -> tuple[_Rule, _Rule]:
    data = _data()
    return _Rule("effect", *_split_keywords(data["effects"])), _Rule("not", *_split_keywords(data["not_effects"]))


def _matches(rule: _Rule, raw: str, norm: str) -> bool:
    padded = " " + norm
    if any(" " + kw in padded for kw in rule.ascii_keywords):
        return True
    low = raw.lower()
    return any(kw in low for kw in rule.other_keywords)


@lru_cache(maxsize=4096)
def match_name(name: str) -> str | None:
    """Tag of one name (v3 tags plus generic `hair`/`eyes`), or None when no keyword matches."""
    if not name:
        return None
    norm = normalize(name)
    for rule in _table()[0]:
        if _matches(rule, name, norm):
            return rule.tag
    return None


def is_excluded_name(name: str) -> bool:
    """Does a part name/id denote something that is not the character (background, underdrawing, guide)?"""
    return bool(name) and _matches(_table()[1], name, normalize(name))


@lru_cache(maxsize=4096)
def is_effect_name(name: str) -> bool:
    """Does a name (a part's, a mesh's or a parameter's) mean a visual effect (エフェクト, 煙, glow, aura, …)?"""
    if not name:
        return False
    effect, shading = _effect_rules()
    norm = normalize(name)
    return _matches(effect, name, norm) and not _matches(shading, name, norm)


def effect_in_chain(names: Sequence[Sequence[str]]) -> str | None:
    """The name that makes a mesh an effect: walking `names` = [[mesh name, mesh id], [parent name, parent id], …]
    nearest first, the first level where any name means something decides; it is an effect when that level names
    an effect and no body part (a part "エフェクト" holding a part "手" holds a hand). None otherwise."""
    for group in names:
        body = any(match_name(n) is not None for n in group)
        effect = next((n for n in group if is_effect_name(n)), None)
        if body:
            return None
        if effect is not None:
            return effect
    return None


def match_chain(names: Sequence[Sequence[str]]) -> tuple[str, int] | None:
    """First tag along `names` = [[mesh name, mesh id], [parent name, parent id], …] (nearest first).

    A generic match (`hair`, `eyes`) is refined by a more specific tag of the same family further up, since
    mesh ids such as "EyeL4" are often generic while their part ("PartEyeBallL") is not.
    Returns (tag, level) with level 0 for the mesh itself, 1 for its parent part, …; None if nothing matches.
    """
    found: tuple[str, int] | None = None
    for level, group in enumerate(names):
        for name in group:
            tag = match_name(name)
            if tag is None:
                continue
            if found is None:
                if tag not in GENERIC_TAGS:
                    return tag, level
                found = (tag, level)
            elif taxonomy().v3_to_v2.get(tag) == found[0]:
                return tag, level  # a generic name ("Hair3", "EyeL4") inside a specific part (前髪, 目玉)
    return found


def to_tagset(tag: str, tagset: str) -> str:
    """A v3 (or generic) tag in the wanted tag set: v3 keeps it, v2 maps through taxonomy().v3_to_v2."""
    if tagset == "v2":
        return taxonomy().v3_to_v2.get(tag, tag)
    if tagset != "v3":
        raise ValueError(f"unknown tag set {tagset!r}; known: v2, v3")
    return tag
