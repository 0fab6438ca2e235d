"""The body-part tag sets (paper's 19 classes = "v2", released 23 tags = "v3"), read from resources/taxonomy.json.

Layer names made by splits carry a suffix: `<tag>-0` … `<tag>-<K-1>` for depth strata (0 = nearest) and
`<tag>-r` / `<tag>-l` for the character's right (image left) / left. `base_tag` strips those suffixes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from seethrough.core.paths import resource

_SUFFIX = re.compile(r"^(?P<base>.+?)(?:-(?P<suffix>\d+|l|r))+$")


@dataclass(frozen=True)
class Taxonomy:
    tag_sets: dict[str, tuple[str, ...]]
    v3_groups: dict[str, tuple[str, ...]]
    head_members: tuple[str, ...]
    v3_to_v2: dict[str, str]
    legacy_names: dict[str, str]
    stratify_by_default: frozenset[str]
    lr_split_by_default: frozenset[str]
    colors: dict[str, str]

    @property
    def v2(self) -> tuple[str, ...]:
        return self.tag_sets["v2"]

    @property
    def v3(self) -> tuple[str, ...]:
        return self.tag_sets["v3"]

    @property
    def all_tags(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for tags in self.tag_sets.values():
            seen.update(dict.fromkeys(tags))
        return tuple(seen)

    def tags(self, version: str) -> tuple[str, ...]:
        try:
            return self.tag_sets[version]
        except KeyError:
            raise ValueError(f"unknown tag set {version!r}; known: {', '.join(self.tag_sets)}") from None

    def color(self, tag: str | None) -> tuple[int, int, int]:
        """Stable RGB colour of a tag (or of the base tag of a split layer); grey for none/unknown."""
        if tag is None:
            return (128, 128, 128)
        hexcode = self.colors.get(tag) or self.colors.get(base_tag(tag)) or "#808080"
        return tuple(int(hexcode[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]

    def is_tag(self, name: str) -> bool:
        return name in self.all_tags or name == "head"


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    data = json.loads(resource("taxonomy.json").read_text(encoding="utf-8"))
    return Taxonomy(
        tag_sets={k: tuple(v) for k, v in data["tag_sets"].items()},
        v3_groups={k: tuple(v) for k, v in data["v3_groups"].items()},
        head_members=tuple(data["head_members"]),
        v3_to_v2=dict(data["v3_to_v2"]),
        legacy_names=dict(data["legacy_names"]),
        stratify_by_default=frozenset(data["stratify_by_default"]),
        lr_split_by_default=frozenset(data["lr_split_by_default"]),
        colors=dict(data["colors"]),
    )


def base_tag(name: str) -> str:
    """`handwear-1-r` → `handwear`; legacy names map to their modern tag first."""
    name = taxonomy().legacy_names.get(name, name)
    m = _SUFFIX.match(name)
    base = m.group("base") if m else name
    return taxonomy().legacy_names.get(base, base)


def tag_from_layer_name(name: str) -> str | None:
    """The tag a layer name denotes (authors' naming, legacy names included), or None if it is no tag."""
    base = base_tag(name.strip())
    return base if taxonomy().is_tag(base) else None


def default_stratify(tag: str | None) -> bool:
    return tag is not None and base_tag(tag) in taxonomy().stratify_by_default


def default_lr_split(tag: str | None) -> bool:
    return tag is not None and base_tag(tag) in taxonomy().lr_split_by_default
