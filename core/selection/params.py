"""The parameters of the selection operations, as frozen dataclasses checked on construction.

Field names are those of the operation log (issue 19):
- `SelectParams`: `{"op": "select", "shape": "rect" | "ellipse" | "polygon" | "wand" | "layer-alpha" | "tag",
  "mode": "replace" | "add" | "subtract" | "intersect", "box": [x0, y0, x1, y1], "points": [[x, y], …],
  "layer": NAME, "tag": TAG, "tolerance": 0–255, "at": [x, y]}`, plus `contiguous` (wand, default true);
- `SelectActionParams`: `{"op": "select", "action": "invert" | "grow" | "shrink" | "feather" | "none" | "all" |
  "reselect", "px": n}` (reselect: the selection the last deselect removed);
- `SelectionActionParams`: `{"op": "selection", "action": "delete" | "to-layer" | "new-layer" | "fill" |
  "restore" | "inpaint", "layer": NAME, "target": NAME, "color": "#rrggbb"}`, plus `cut` (new-layer: cut instead
  of copy) and `inpainter` (inpaint: "opencv" or "lama").

Lists become tuples; a missing or bad value is a `BadInput` naming the field (limits: core/edit_limits.py).
`from_dict` builds one from decoded JSON (the "op" key is ignored, unknown keys are refused).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

from seethrough.core import edit_limits as lim
from seethrough.core.errors import BadInput
from seethrough.core.selection.value import MODES

SHAPES = ("rect", "ellipse", "polygon", "wand", "layer-alpha", "tag")
SELECT_ACTIONS = ("invert", "grow", "shrink", "feather", "none", "all", "reselect")
SELECTION_ACTIONS = ("delete", "to-layer", "new-layer", "fill", "restore", "inpaint")
#: select actions that take a radius in pixels
RADIUS_ACTIONS = ("grow", "shrink", "feather")
#: selection actions that change a layer (named by `layer`)
LAYER_ACTIONS = SELECTION_ACTIONS

P = TypeVar("P")


def from_dict(cls: type[P], data: dict[str, Any], op: str) -> P:
    """`cls(**data)` without the "op" key; an unknown key is a BadInput naming it."""
    if not isinstance(data, dict):
        raise BadInput(f"{op}: parameters must be an object")
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in data.items() if k != "op"}
    unknown = sorted(set(values) - names)
    if unknown:
        raise BadInput(f"{op}: unknown parameter {unknown[0]!r} (known: {', '.join(sorted(names))})")
    return cls(**values)


@dataclass(frozen=True)
class SelectParams:
    """Select a shape (the `select` operation with a `shape`)."""

    shape: str
    mode: str = "replace"
    box: tuple[float, float, float, float] | None = None
    points: tuple[tuple[float, float], ...] | None = None
    layer: str | None = None
    tag: str | None = None
    tolerance: int = lim.DEFAULT_TOLERANCE
    at: tuple[float, float] | None = None
    contiguous: bool = True

    def __post_init__(self) -> None:
        shape = lim.choice(self.shape, "select: shape", SHAPES)
        lim.choice(self.mode, "select: mode", MODES)
        if self.box is not None or shape in ("rect", "ellipse"):
            if self.box is None:
                raise BadInput(f"select: a {shape} needs a box [x0, y0, x1, y1]")
            object.__setattr__(self, "box", lim.box(self.box, "select: box"))
        if self.points is not None or shape == "polygon":
            if self.points is None:
                raise BadInput("select: a polygon needs points [[x, y], …]")
            object.__setattr__(self, "points", lim.points(self.points, "select: points"))
        if self.at is not None or shape == "wand":
            if self.at is None:
                raise BadInput("select: the wand needs a point at [x, y]")
            object.__setattr__(self, "at", lim.pair(self.at, "select: at"))
        if self.layer is not None or shape == "layer-alpha":
            if self.layer is None:
                raise BadInput("select: layer-alpha needs a layer")
            lim.name(self.layer, "select: layer")
        if self.tag is not None or shape == "tag":
            if self.tag is None:
                raise BadInput("select: tag needs a tag")
            lim.name(self.tag, "select: tag")
        object.__setattr__(self, "tolerance", lim.integer(self.tolerance, "select: tolerance", 0, lim.MAX_TOLERANCE))
        if not isinstance(self.contiguous, bool):
            raise BadInput("select: contiguous must be true or false")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectParams:
        return from_dict(cls, data, "select")


@dataclass(frozen=True)
class SelectActionParams:
    """Change what is selected (the `select` operation with an `action`)."""

    action: str
    px: int = 0

    def __post_init__(self) -> None:
        action = lim.choice(self.action, "select: action", SELECT_ACTIONS)
        low = 1 if action in RADIUS_ACTIONS else 0
        object.__setattr__(self, "px", lim.integer(self.px, "select: px", low, lim.MAX_RADIUS))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectActionParams:
        return from_dict(cls, data, "select")


@dataclass(frozen=True)
class SelectionActionParams:
    """Do something with the selected pixels of a layer (the `selection` operation)."""

    action: str
    layer: str | None = None
    target: str | None = None
    color: str | None = None
    cut: bool = False
    inpainter: str = "opencv"

    def __post_init__(self) -> None:
        action = lim.choice(self.action, "selection: action", SELECTION_ACTIONS)
        if self.layer is None:
            raise BadInput(f"selection: {action} needs a layer")
        lim.name(self.layer, "selection: layer")
        if self.target is not None or action == "to-layer":
            if self.target is None:
                raise BadInput("selection: to-layer needs a target layer (an existing one, or the name of a new one)")
            lim.name(self.target, "selection: target")
        if self.color is not None or action == "fill":
            if self.color is None:
                raise BadInput("selection: fill needs a color #rrggbb")
            lim.colour(self.color, "selection: color")
        if not isinstance(self.cut, bool):
            raise BadInput("selection: cut must be true or false")
        lim.name(self.inpainter, "selection: inpainter")

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The fill colour as (r, g, b)."""
        return lim.colour(self.color, "selection: color")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectionActionParams:
        return from_dict(cls, data, "selection")
