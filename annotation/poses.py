"""Pose sweeps ("angle following", paper 3.2): parameter settings rendered as separate samples with one labelling.

The default sweep is neutral, up, down, left, right and the four diagonals of the head angles (`ParamAngleX/Y`,
Cubism 2: `PARAM_ANGLE_X/Y`), each moved from its default 70 % of the way to the end of its range.

A custom sweep is a JSON file (UTF-8), either a list or an object with a "poses" list; each pose is
`{"name": "look-left", "params": {"ParamAngleX": -20, "ParamEyeLOpen": 0.5}}`. Names must be unique and usable in a
file name; parameters not named stay at their defaults. `check_poses` says which ids a model lacks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from seethrough.annotation.model import Live2DModel, Parameter
from seethrough.core.errors import BadInput
from seethrough.core.io.atomic import atomic_write_bytes

ANGLE_X = ("ParamAngleX", "PARAM_ANGLE_X")
ANGLE_Y = ("ParamAngleY", "PARAM_ANGLE_Y")
FRACTION = 0.7
DIRECTIONS = (("up", 0, 1), ("down", 0, -1), ("left", -1, 0), ("right", 1, 0), ("up-left", -1, 1),
              ("up-right", 1, 1), ("down-left", -1, -1), ("down-right", 1, -1))

Pose = tuple[str, dict[str, float]]


def _param(model: Live2DModel, names: tuple[str, ...]) -> Parameter | None:
    return next((p for p in model.parameters if p.id in names), None)


def _towards(p: Parameter, sign: int, fraction: float) -> float:
    end = p.max if sign > 0 else p.min
    return round(p.default + fraction * (end - p.default), 4)


def default_poses(model: Live2DModel, fraction: float = FRACTION) -> list[Pose]:
    """neutral + the 8 head directions (only those the model's angle parameters can express)."""
    x, y = _param(model, ANGLE_X), _param(model, ANGLE_Y)
    poses: list[Pose] = [("neutral", {})]
    for name, dx, dy in DIRECTIONS:
        if (dx and x is None) or (dy and y is None):
            continue
        values = {}
        if dx and x is not None:
            values[x.id] = _towards(x, dx, fraction)
        if dy and y is not None:
            values[y.id] = _towards(y, dy, fraction)
        poses.append((name, values))
    return poses


def parse_poses(data: object, where: str = "pose list") -> list[Pose]:
    """Poses from decoded JSON (the module docstring's format), validated by `core.io.schemas.PoseList`."""
    from seethrough.core.io.schemas import PoseList, validate

    if isinstance(data, dict) and "poses" in data:
        data = data["poses"]
    if not isinstance(data, list) or not data:
        raise BadInput(f"{where}: expected a non-empty JSON list of {{\"name\": …, \"params\": {{id: value}}}}")
    checked = validate(PoseList, {"poses": data}, where)
    return [(pose.name, dict(pose.params)) for pose in checked.poses]


def load_poses(path: Path) -> list[Pose]:
    from seethrough.core.io import safe_json

    return parse_poses(safe_json.read(path, "pose list"), str(path))


def save_poses(poses: Sequence[Pose], path: Path) -> None:
    data = {"poses": [{"name": name, "params": dict(values)} for name, values in poses]}
    atomic_write_bytes(Path(path), json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))


def check_poses(model: Live2DModel, poses: Sequence[Pose]) -> None:
    """BadInput naming the first pose that sets a parameter the model does not have."""
    ids = {p.id for p in model.parameters}
    for name, values in poses:
        unknown = sorted(set(values) - ids)
        if unknown:
            raise BadInput(f"pose {name!r} sets parameter(s) {model.name} does not have: {', '.join(unknown)}")
