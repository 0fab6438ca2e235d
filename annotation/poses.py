"""Pose sweeps ("angle following", paper 3.2): parameter settings rendered as separate samples with one labelling.

The default sweep is neutral, up, down, left, right and the four diagonals of the head angles, at 70 % of each
parameter's range. A custom sweep is a JSON list of {"name": ..., "params": {parameter id: value}}.
"""

from __future__ import annotations

import json
from pathlib import Path

from annotation.model import Live2DModel
from core.errors import BadInput

ANGLE_X = ("ParamAngleX", "PARAM_ANGLE_X")
ANGLE_Y = ("ParamAngleY", "PARAM_ANGLE_Y")
FRACTION = 0.7

Pose = tuple[str, dict[str, float]]


def _param(model: Live2DModel, names: tuple[str, ...]):  # noqa: ANN202 - Parameter | None
    return next((p for p in model.parameters if p.id in names), None)


def default_poses(model: Live2DModel) -> list[Pose]:
    x, y = _param(model, ANGLE_X), _param(model, ANGLE_Y)
    poses: list[Pose] = [("neutral", {})]
    if x is None and y is None:
        return poses
    for name, dx, dy in (("up", 0, 1), ("down", 0, -1), ("left", -1, 0), ("right", 1, 0), ("up-left", -1, 1),
                         ("up-right", 1, 1), ("down-left", -1, -1), ("down-right", 1, -1)):
        values = {}
        if x is not None and dx:
            values[x.id] = (x.max if dx > 0 else x.min) * FRACTION
        if y is not None and dy:
            values[y.id] = (y.max if dy > 0 else y.min) * FRACTION
        if values:
            poses.append((name, values))
    return poses


def load_poses(path: Path) -> list[Pose]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"cannot read the pose list {path}: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(p, dict) and "name" in p for p in data):
        raise BadInput(f"{path}: a pose list is a JSON list of {{\"name\": …, \"params\": {{id: value}}}}")
    return [(str(p["name"]), {str(k): float(v) for k, v in p.get("params", {}).items()}) for p in data]
