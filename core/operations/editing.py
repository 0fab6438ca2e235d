"""The in-place editing operations (issue 19's log format): stroke, select, selection, transform, mask, new-layer.

Each is the declared, typed form of its editing core's parameters (core/brush, core/selection, core/transform.py,
core/mask_ops.py), with the limits taken from where those cores keep them (STROKE_LIMITS, core/edit_limits.py);
`plan` builds the core's parameter object — which also checks what depends on several fields (a rectangle needs a
box, move-to-layer a target) — and its command. docs/operations.md lists the parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from seethrough.core import edit_limits as lim
from seethrough.core.brush.params import MAX_CURVE_POINTS, STROKE_LIMITS
from seethrough.core.brush.params import MAX_POINTS as MAX_STROKE_POINTS
from seethrough.core.commands import ReplaceLayers
from seethrough.core.document import DocumentLike, Layer, new_uid
from seethrough.core.errors import BadInput
from seethrough.core.operations.base import NO_CONTEXT, Context, Operation, Planned, resolve_layer
from seethrough.core.operations.layer_edits import LAYER_HELP, NAME_MAX
from seethrough.core.operations.params import param, params_of
from seethrough.core.operations.registry import register

#: the stroke's limits, kept with the brush (core/brush/params.py)
SIZE, HARDNESS, OPACITY, VALUE, FLOW, SPACING, PRESSURE, SMOOTHING = (
    STROKE_LIMITS[name] for name in ("size", "hardness", "opacity", "value", "flow", "spacing", "pressure",
                                     "smoothing"))


def _core(cls: type, values: dict[str, Any]) -> Any:
    """The editing core's own parameter object (its messages name the operation: "select: a rect needs a box")."""
    return cls(**{k: v for k, v in values.items() if v is not None})


@register
@dataclass(frozen=True)
class Stroke(Operation):
    op: ClassVar[str] = "stroke"
    title: ClassVar[str] = "Brush stroke"
    layer: str = param(help=LAYER_HELP)
    tool: Literal["paint", "erase", "restore", "move-to-layer", "mask", "depth"] = param(
        help="paint colour, erase, restore the illustration's pixels, move pixels to `target`, paint the layer mask "
        "or the layer's depth")
    points: tuple[tuple[float, ...], ...] = param(
        help="the stroke's path: [x, y, pressure] in canvas pixels, pressure 0–1 (1 when left out)",
        min_items=1, max_items=MAX_STROKE_POINTS)
    target: str | None = param(None, help="move-to-layer: the layer the pixels join (name or uid)")
    size: float = param(20.0, help="brush diameter at full pressure (px)", lo=SIZE[0], hi=SIZE[1])
    hardness: float = param(0.8, help="the share of the radius that is fully opaque", lo=HARDNESS[0], hi=HARDNESS[1])
    opacity: float = param(1.0, help="the most one stroke adds", lo=OPACITY[0], hi=OPACITY[1])
    color: str = param("#000000", help="paint: the colour, #rrggbb")
    value: float = param(1.0, help="mask: 0 hides, 1 shows; depth: 0 near, 1 far", lo=VALUE[0], hi=VALUE[1])
    flow: float = param(1.0, help="what one dab adds", lo=FLOW[0], hi=FLOW[1])
    spacing: float = param(0.1, help="distance between dabs, in diameters", lo=SPACING[0], hi=SPACING[1])
    pressure_size: bool = param(True, help="pressure, through the curve, scales the diameter")
    pressure_opacity: bool = param(False, help="pressure, through the curve, scales each dab's opacity")
    pressure_curve: tuple[tuple[float, float], ...] = param(
        ((0.0, 0.0), (1.0, 1.0)), help="pressure → output, piecewise linear control points", lo=PRESSURE[0],
        hi=PRESSURE[1], min_items=2, max_items=MAX_CURVE_POINTS)
    smoothing: float = param(0.0, help="stabiliser: how far each point is pulled towards the last",
                             lo=SMOOTHING[0], hi=SMOOTHING[1])

    def __post_init__(self) -> None:
        super().__post_init__()
        self.params()  # what depends on several fields (a target for move-to-layer, a valid colour)

    def params(self) -> Any:
        from seethrough.core.brush.params import StrokeParams

        return StrokeParams(**{p.name: getattr(self, p.name) for p in params_of(type(self))})

    def describe(self) -> str:
        return {"paint": "Brush stroke", "erase": "Erase", "restore": "Restore from the illustration",
                "move-to-layer": f"Move pixels to {self.target}", "mask": "Paint layer mask",
                "depth": "Paint depth"}[self.tool]

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.brush.command import stroke_command

        params = self.params()
        layer = resolve_layer(doc, self.layer)
        reads = (layer.uid,) if self.target is None else (layer.uid, resolve_layer(doc, self.target, "target").uid)
        engine = ctx.resources if ctx.resources is not None else None  # the GUI's live engine, when it laid the dabs
        return Planned(stroke_command(doc, params, engine), reads)


@register
@dataclass(frozen=True)
class Select(Operation):
    """Select a shape (with `shape`), or change the selection (with `action`)."""

    op: ClassVar[str] = "select"
    title: ClassVar[str] = "Select"
    instant: ClassVar[bool] = True
    shape: Literal["rect", "ellipse", "polygon", "wand", "layer-alpha", "tag"] | None = param(
        None, help="what to select (give a shape or an action)")
    action: Literal["invert", "grow", "shrink", "feather", "none", "all", "reselect"] | None = param(
        None, help="what to do with the selection (give a shape or an action)")
    mode: Literal["replace", "add", "subtract", "intersect"] = param(
        "replace", help="how a shape combines with the selection (Shift adds, Alt subtracts)")
    box: tuple[float, float, float, float] | None = param(
        None, help="rect/ellipse: [x0, y0, x1, y1] in canvas pixels", lo=-lim.MAX_COORD, hi=lim.MAX_COORD)
    points: tuple[tuple[float, float], ...] | None = param(
        None, help="polygon / freehand lasso: [[x, y], …]", lo=-lim.MAX_COORD, hi=lim.MAX_COORD, min_items=3,
        max_items=lim.MAX_POINTS)
    layer: str | None = param(None, help="layer-alpha, and the wand's source (default: the composite)")
    tag: str | None = param(None, help="tag: select every layer with this tag")
    tolerance: int = param(lim.DEFAULT_TOLERANCE, help="wand: the largest colour difference still selected",
                           lo=0, hi=lim.MAX_TOLERANCE)
    at: tuple[float, float] | None = param(None, help="wand: the pixel it starts from [x, y]", lo=-lim.MAX_COORD,
                                           hi=lim.MAX_COORD)
    contiguous: bool = param(True, help="wand: only pixels connected to the start")
    px: int = param(0, help="grow/shrink/feather: radius in pixels", lo=0, hi=lim.MAX_RADIUS)

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.shape is None) == (self.action is None):
            raise BadInput("select: give either a shape or an action")
        self.params()

    def params(self) -> Any:
        from seethrough.core.selection.params import SelectActionParams, SelectParams

        if self.action is not None:
            return SelectActionParams(action=self.action, px=self.px)
        return _core(SelectParams, {"shape": self.shape, "mode": self.mode, "box": self.box, "points": self.points,
                                    "layer": self.layer, "tag": self.tag, "tolerance": self.tolerance,
                                    "at": self.at, "contiguous": self.contiguous})

    def describe(self) -> str:
        if self.action is not None:
            return {"invert": "Invert selection", "none": "Deselect", "all": "Select all", "reselect": "Reselect"}.get(
                self.action, f"{self.action.capitalize()} selection")
        return f"Select {self.shape}"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.selection.commands import select_action_command, select_command
        from seethrough.core.selection.params import SelectActionParams

        params = self.params()
        if isinstance(params, SelectActionParams):
            return Planned(select_action_command(doc, params), None)
        return Planned(select_command(doc, params), None)


@register
@dataclass(frozen=True)
class SelectionAction(Operation):
    op: ClassVar[str] = "selection"
    title: ClassVar[str] = "Selection"
    action: Literal["delete", "to-layer", "new-layer", "fill", "restore", "inpaint"] = param(
        help="what to do with the selected pixels of `layer`")
    layer: str = param(help=LAYER_HELP)
    target: str | None = param(None, help="to-layer: the layer they join (an existing one, or a new one's name)")
    color: str | None = param(None, help="fill: #rrggbb")
    cut: bool = param(False, help="new-layer: cut the pixels out instead of copying them")
    inpainter: Literal["opencv", "lama"] = param("opencv", help="inpaint: OpenCV, or LaMa when installed")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.params()

    def params(self) -> Any:
        from seethrough.core.selection.params import SelectionActionParams

        return _core(SelectionActionParams, {"action": self.action, "layer": self.layer, "target": self.target,
                                             "color": self.color, "cut": self.cut, "inpainter": self.inpainter})

    def describe(self) -> str:
        return {"delete": "Delete selected pixels", "to-layer": f"Move selection to {self.target}",
                "new-layer": "Cut to new layer" if self.cut else "Copy to new layer", "fill": "Fill selection",
                "restore": "Restore selection from the illustration", "inpaint": "Inpaint selection"}[self.action]

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.selection.actions import selection_command

        ctx.progress(0.2, self.describe())
        return Planned(selection_command(doc, self.params()), None)


@register
@dataclass(frozen=True)
class Transform(Operation):
    op: ClassVar[str] = "transform"
    title: ClassVar[str] = "Transform"
    layer: str = param(help=LAYER_HELP + " (the selection, when there is one, is what moves)")
    translate: tuple[float, float] = param((0.0, 0.0), help="[dx, dy] in canvas pixels", lo=-lim.MAX_COORD,
                                           hi=lim.MAX_COORD)
    scale: tuple[float, float] = param((1.0, 1.0), help="[sx, sy] (negative flips)", lo=-lim.MAX_SCALE,
                                       hi=lim.MAX_SCALE)
    rotate: float = param(0.0, help="degrees, clockwise", lo=-lim.MAX_ROTATION, hi=lim.MAX_ROTATION)
    flip: Literal["h", "v"] | None = param(None, help="mirror horizontally or vertically")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.params()

    def params(self) -> Any:
        from seethrough.core.transform import TransformParams

        return _core(TransformParams, {"layer": self.layer, "translate": self.translate, "scale": self.scale,
                                       "rotate": self.rotate, "flip": self.flip})

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.transform import transform_command

        ctx.progress(0.2, "transforming")
        return Planned(transform_command(doc, self.params()), None)


@register
@dataclass(frozen=True)
class Mask(Operation):
    op: ClassVar[str] = "mask"
    title: ClassVar[str] = "Layer mask"
    instant: ClassVar[bool] = True
    layer: str = param(help=LAYER_HELP)
    action: Literal["add", "apply", "delete", "disable", "enable"] = param(
        help="add a mask (from the selection, else all white), apply it into the pixels, delete, disable or enable it")

    def describe(self) -> str:
        return {"add": "Add layer mask", "apply": "Apply layer mask", "delete": "Delete layer mask",
                "disable": "Disable layer mask", "enable": "Enable layer mask"}[self.action]

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.mask_ops import MaskParams, mask_command

        layer = resolve_layer(doc, self.layer)
        return Planned(mask_command(doc, MaskParams(layer=self.layer, action=self.action)), (layer.uid,))


@register
@dataclass(frozen=True)
class NewLayer(Operation):
    op: ClassVar[str] = "new-layer"
    title: ClassVar[str] = "New layer"
    instant: ClassVar[bool] = True
    name: str = param("Layer", help=f"its name (1–{NAME_MAX} characters)")
    above: str | None = param(None, help="the layer it goes above (default: on top)")
    tag: str | None = param(None, help="its body-part tag")
    depth: float = param(0.5, help="its representative depth, 0 (near) to 1 (far)", lo=0.0, hi=1.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.name.strip() or len(self.name) > NAME_MAX:
            raise BadInput(f"name: a layer name has 1–{NAME_MAX} characters and is not blank")

    def describe(self) -> str:
        return f"New layer {self.name}"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        import numpy as np

        index = None if self.above is None else doc.index_of(resolve_layer(doc, self.above, "above").uid) + 1
        layer = Layer(name=self.name, rgba=np.zeros((0, 0, 4), np.uint8), tag=self.tag, depth_value=self.depth,
                      provenance="new layer", uid=new_uid())
        return Planned(ReplaceLayers([], [layer], text=self.describe(), index=index), None)
