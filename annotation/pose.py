"""Live2D "pose" files: groups of mutually exclusive parts (e.g. Hiyori's two arm variants), applied by us.

Neither the Cubism Core nor our use of live2d-py's Cubism 2 runtime applies the pose: without it both arm
variants of Hiyori are drawn at once. The Framework's rule, which we follow without its fade-in: in each group
one entry is shown (opacity 1, its `Link`ed parts too) and the others are hidden (opacity 0). The shown entry is
the first whose *visibility parameter* is > 0 — a parameter named like the part (Cubism 3+) or
`VISIBLE:<part id>` (Cubism 2) — and the group's first entry when no such parameter is set.

File formats read here:
- Cubism 3+ `.pose3.json`: `{"Groups": [[{"Id": part, "Link": [parts]}, ...], ...]}`
- Cubism 2 `.pose.json`: `{"parts_visible": [{"group": [{"id": part, "link": [parts]}, ...]}, ...]}`
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from seethrough.core.errors import BadInput
from seethrough.core.io import safe_json

#: a pose: groups → entries → [shown part id, *linked part ids]
PoseGroups = list[list[list[str]]]


def read_pose(path: Path, part_ids: Collection[str]) -> PoseGroups:
    """The groups of a `.pose3.json` or Cubism 2 `.pose.json`, keeping only entries whose part exists."""
    path = Path(path)
    if not path.is_file():
        return []
    data = safe_json.read(path)
    if not isinstance(data, dict):
        raise BadInput(f"{path.name} is not a Live2D pose file (expected a JSON object)")
    raw_groups: list = []
    if isinstance(data.get("Groups"), list):  # Cubism 3+
        raw_groups = [[(e.get("Id"), e.get("Link") or []) for e in g if isinstance(e, dict)]
                      for g in data["Groups"] if isinstance(g, list)]
    elif isinstance(data.get("parts_visible"), list):  # Cubism 2
        raw_groups = [[(e.get("id"), e.get("link") or []) for e in g.get("group", []) if isinstance(e, dict)]
                      for g in data["parts_visible"] if isinstance(g, dict)]
    known = set(part_ids)
    groups: PoseGroups = []
    for raw in raw_groups:
        entries = [[str(pid), *(str(link) for link in links if str(link) in known)]
                   for pid, links in raw if pid is not None and str(pid) in known]
        if entries:
            groups.append(entries)
    return groups


def cubism3_visibility_parameter(part_id: str) -> str:
    return part_id


def cubism2_visibility_parameter(part_id: str) -> str:
    return f"VISIBLE:{part_id}"


def pose_part_opacities(
    groups: PoseGroups,
    parameters: Mapping[str, float],
    visibility_parameter: Callable[[str], str] = cubism3_visibility_parameter,
) -> dict[str, float]:
    """Opacity (0 or 1) of every part named in the pose, by the rule in the module docstring."""
    out: dict[str, float] = {}
    for group in groups:
        shown = 0
        for rank, entry in enumerate(group):
            if parameters.get(visibility_parameter(entry[0]), 0.0) > 0.0:
                shown = rank
                break
        for rank, entry in enumerate(group):
            for pid in entry:
                out[pid] = 1.0 if rank == shown else 0.0
    return out
