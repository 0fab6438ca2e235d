"""Splitting a layer: into depth strata with K-Means (then the stack is sorted far → near, so a stratum in front of
the face is drawn over it), or into the character's right and left parts (the stack keeps its order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from seethrough.core.commands import Macro, ReorderLayers
from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import BadInput
from seethrough.core.operations.base import NO_CONTEXT, Context, Operation, Planned, resolve_layer
from seethrough.core.operations.layer_edits import layer_param
from seethrough.core.operations.params import param
from seethrough.core.operations.registry import register

#: the number of strata (K-Means clusters on the layer's pseudo-depth)
K_MIN, K_MAX = 2, 8


class NothingToSplit(BadInput):
    """The layer has a single depth value: K-Means finds no boundary."""


def _sorted_far_to_near(layers: list[Layer]) -> list[str]:
    """The stack order of `layers` sorted by representative depth, far (bottom) first; ties keep their order."""
    return [layer.uid for layer in sorted(layers, key=lambda layer: -layer.depth_value)]


@register
@dataclass(frozen=True)
class Stratify(Operation):
    op: ClassVar[str] = "stratify"
    title: ClassVar[str] = "Stratify"
    layer: str = layer_param()
    k: int = param(2, help="the number of depth strata", lo=K_MIN, hi=K_MAX, label="Strata K")
    inpaint: Literal["opencv", "lama", "none"] = param(
        "opencv", help="fill what a split uncovers in the far strata: OpenCV, LaMa (when its weights are installed; "
        "else OpenCV, with a note) or nothing")
    thresholds: tuple[float, ...] | None = param(
        None, help="depth boundaries between the strata (K − 1 of them, 0–1); default: K-Means on the layer's depth",
        lo=0.0, hi=1.0, min_items=1, max_items=K_MAX - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.thresholds is not None:
            if len(self.thresholds) != self.k - 1:
                raise BadInput(f"thresholds: {len(self.thresholds)} boundaries make {len(self.thresholds) + 1} "
                               f"strata, not k = {self.k}")
            if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:])):
                raise BadInput("thresholds: the boundaries must increase from near to far")

    def describe(self) -> str:
        return f"Stratify {self.layer} (K={self.k})"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.inpaint import resolve_inpainter
        from seethrough.core.stratify import kmeans_thresholds, stratify_command

        layer = resolve_layer(doc, self.layer)
        if layer.depth is None:
            raise BadInput(f"layer {layer.name!r} has no per-pixel depth map to stratify")
        ctx.progress(0.1, f"fitting {self.k} strata to {layer.name}")
        thresholds = list(self.thresholds) if self.thresholds is not None else kmeans_thresholds(layer, self.k)
        if not thresholds:
            raise NothingToSplit(f"layer {layer.name!r} has a single depth value: nothing to split")
        inpaint, note = self.inpaint, None
        if inpaint == "lama":
            _, note = resolve_inpainter("lama")
            inpaint = "opencv" if note else inpaint
        ctx.progress(0.4, f"splitting {layer.name}")
        split = stratify_command(doc, layer.uid, k=len(thresholds) + 1, inpaint=inpaint, thresholds=thresholds)
        after = [x for x in doc.layers if x.uid != layer.uid]
        index = doc.index_of(layer.uid)
        after[index:index] = list(split.new_layers)  # type: ignore[attr-defined]
        command = Macro([split, ReorderLayers(_sorted_far_to_near(after), text="Sort layers by depth")])
        return Planned(command, (layer.uid,), notes=(note,) if note else ())


@register
@dataclass(frozen=True)
class LeftRightSplit(Operation):
    op: ClassVar[str] = "lr-split"
    title: ClassVar[str] = "Split left/right"
    layer: str = layer_param()

    def describe(self) -> str:
        return f"Split {self.layer} left/right"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.stratify import lr_split_command

        layer = resolve_layer(doc, self.layer)
        return Planned(lr_split_command(doc, layer.uid), (layer.uid,))
