"""Operations on one layer's properties and on the stack: rename, opacity, visibility, tag, depth, lock, blend mode,
move, sort by depth, duplicate, delete, merge down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from seethrough.core import layer_ops
from seethrough.core.blending import KNOWN_MODES
from seethrough.core.commands import MoveLayer, SetLayerProperty
from seethrough.core.document import DocumentLike
from seethrough.core.errors import BadInput
from seethrough.core.operations.base import NO_CONTEXT, Context, Operation, Planned, resolve_layer
from seethrough.core.operations.params import param
from seethrough.core.operations.registry import register
from seethrough.core.taxonomy import base_tag, taxonomy

LAYER_HELP = "the layer: its name (the first match from the top) or its uid"
#: the longest layer name (PSD's Unicode layer names hold far more; this keeps lists and files sane)
NAME_MAX = 255


def layer_param() -> Any:
    return param(help=LAYER_HELP)


@dataclass(frozen=True)
class _SetProperty(Operation):
    """A change of one property of one layer (subclasses declare `layer` and the value field)."""

    instant: ClassVar[bool] = True
    prop: ClassVar[str] = ""

    def new_value(self) -> Any:
        raise NotImplementedError

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        layer = resolve_layer(doc, self.layer)  # type: ignore[attr-defined]
        command = SetLayerProperty(layer.uid, self.prop, self.new_value(), text=self.title)
        return Planned(command, (layer.uid,))


@register
@dataclass(frozen=True)
class Rename(_SetProperty):
    op: ClassVar[str] = "rename"
    title: ClassVar[str] = "Rename layer"
    prop: ClassVar[str] = "name"
    layer: str = layer_param()
    name: str = param(help=f"the new name (1–{NAME_MAX} characters)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.name.strip() or len(self.name) > NAME_MAX:
            raise BadInput(f"name: a layer name has 1–{NAME_MAX} characters and is not blank")

    def new_value(self) -> Any:
        return self.name


@register
@dataclass(frozen=True)
class SetOpacity(_SetProperty):
    op: ClassVar[str] = "opacity"
    title: ClassVar[str] = "Set opacity"
    prop: ClassVar[str] = "opacity"
    layer: str = layer_param()
    value: float = param(help="opacity, 0 (transparent) to 1 (opaque)", lo=0.0, hi=1.0)

    def new_value(self) -> Any:
        return self.value


@register
@dataclass(frozen=True)
class SetVisible(_SetProperty):
    op: ClassVar[str] = "visibility"
    title: ClassVar[str] = "Toggle visibility"
    prop: ClassVar[str] = "visible"
    layer: str = layer_param()
    visible: bool = param(help="shown (true) or hidden (false)")

    def new_value(self) -> Any:
        return self.visible


@register
@dataclass(frozen=True)
class SetTag(_SetProperty):
    op: ClassVar[str] = "tag"
    title: ClassVar[str] = "Set tag"
    prop: ClassVar[str] = "tag"
    layer: str = layer_param()
    tag: str | None = param(help="a body-part tag of the taxonomy (or of a split: 'front hair-0'), or none")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tag is not None and not taxonomy().is_tag(base_tag(self.tag)):
            raise BadInput(f"tag: {self.tag!r} is not a tag of the taxonomy")

    def new_value(self) -> Any:
        return self.tag


@register
@dataclass(frozen=True)
class SetDepth(_SetProperty):
    op: ClassVar[str] = "depth"
    title: ClassVar[str] = "Set depth"
    prop: ClassVar[str] = "depth_value"
    layer: str = layer_param()
    value: float = param(help="representative depth, 0 (nearest) to 1 (farthest)", lo=0.0, hi=1.0)

    def new_value(self) -> Any:
        return self.value


@register
@dataclass(frozen=True)
class SetLocked(_SetProperty):
    op: ClassVar[str] = "lock"
    title: ClassVar[str] = "Lock layer"
    prop: ClassVar[str] = "locked"
    layer: str = layer_param()
    locked: bool = param(help="locked (true) or unlocked (false)")

    def describe(self) -> str:
        return "Lock layer" if self.locked else "Unlock layer"

    def new_value(self) -> Any:
        return self.locked


@register
@dataclass(frozen=True)
class SetBlendMode(_SetProperty):
    op: ClassVar[str] = "blend-mode"
    title: ClassVar[str] = "Set blend mode"
    prop: ClassVar[str] = "blend_mode"
    layer: str = layer_param()
    mode: str = param(help="how the layer mixes with what is below (PSD's names)", choices=KNOWN_MODES)

    def new_value(self) -> Any:
        return self.mode


@register
@dataclass(frozen=True)
class Move(Operation):
    op: ClassVar[str] = "move"
    title: ClassVar[str] = "Move layer"
    instant: ClassVar[bool] = True
    layer: str = layer_param()
    to: int = param(help="the new position in the stack, 0 = bottom", lo=0)

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        layer = resolve_layer(doc, self.layer)
        if self.to >= len(doc.layers):
            raise BadInput(f"to: {self.to} is past the top of the stack ({len(doc.layers) - 1})")
        return Planned(MoveLayer(layer.uid, self.to), None)


@register
@dataclass(frozen=True)
class SortByDepth(Operation):
    op: ClassVar[str] = "sort-by-depth"
    title: ClassVar[str] = "Sort layers by depth"
    instant: ClassVar[bool] = True

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        return Planned(layer_ops.sort_by_depth_command(doc), None)


@register
@dataclass(frozen=True)
class Duplicate(Operation):
    op: ClassVar[str] = "duplicate"
    title: ClassVar[str] = "Duplicate layer"
    instant: ClassVar[bool] = True
    layer: str = layer_param()

    def describe(self) -> str:
        return f"Duplicate {self.layer}"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        layer = resolve_layer(doc, self.layer)
        return Planned(layer_ops.duplicate_command(doc, layer.uid), (layer.uid,))


@register
@dataclass(frozen=True)
class Delete(Operation):
    op: ClassVar[str] = "delete"
    title: ClassVar[str] = "Delete layer"
    instant: ClassVar[bool] = True
    layer: str = layer_param()

    def describe(self) -> str:
        return f"Delete {self.layer}"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        layer = resolve_layer(doc, self.layer)
        return Planned(layer_ops.delete_command(doc, layer.uid), (layer.uid,))


@register
@dataclass(frozen=True)
class MergeDown(Operation):
    op: ClassVar[str] = "merge-down"
    title: ClassVar[str] = "Merge down"
    layer: str = layer_param()

    def describe(self) -> str:
        return f"Merge {self.layer} down"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        layer = resolve_layer(doc, self.layer)
        lower, upper = layer_ops.merge_down_pair(doc, layer.uid)
        return Planned(layer_ops.merge_down_command(doc, layer.uid), (lower.uid, upper.uid))
