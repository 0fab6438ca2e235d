"""Running the layer and depth models as operations: a whole decomposition (which replaces the document: one undo
step) and the re-decomposition of one region (which replaces those tags inside it, with a feathered seam).

The models are loaded by the plan when nothing hands them over; the GUI hands its loaded engines through
`ctx.resources` (anything with `get(options, progress) -> DecomposeEngine`, the Decompose lane's cache), so a
second run does not load them again. A log replayed headless (`seethrough-gui apply`) loads them from the
options' model folders, or the installed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seethrough.core.commands import ReplaceDocument
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.core.document import DocumentLike
from seethrough.core.errors import BadInput
from seethrough.core.operations.base import NO_CONTEXT, Context, Operation, Planned
from seethrough.core.operations.params import param
from seethrough.core.operations.registry import register

if TYPE_CHECKING:
    from seethrough.core.decompose.engine import DecomposeEngine

#: the widest feathered seam of a region re-decomposition (px)
MAX_FEATHER = 4096
MAX_COORD = 1 << 20


def engine_for(options: DecomposeOptions, ctx: Context) -> DecomposeEngine:
    """The loaded models for `options`: the caller's cache when it gave one, else loaded now."""
    cache: Any = ctx.resources
    if cache is not None and hasattr(cache, "get"):
        return cache.get(options, ctx.progress)
    from seethrough.core.decompose.engine import load_engine

    ctx.progress(0.0, "loading models…")
    return load_engine(options)


@register
@dataclass(frozen=True)
class Decompose(Operation):
    op: ClassVar[str] = "decompose"
    title: ClassVar[str] = "Decompose"
    image: Path | None = param(None, help="the illustration to decompose (default: the document's own)")
    options: DecomposeOptions = param(DecomposeOptions(), help="the models and how they run (DecomposeOptions)")

    def describe(self) -> str:
        return f"Decompose {self.image.name}" if self.image is not None else "Decompose"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        import numpy as np

        if self.image is not None:
            from seethrough.core.io.images import load_image

            illustration = load_image(self.image)
        elif doc.source is not None:
            illustration = np.asarray(doc.source)
        else:
            raise BadInput("decompose: the document has no illustration (give an image)")
        engine = engine_for(self.options, ctx)
        result = engine.decompose(illustration, self.options, progress=ctx.progress, is_cancelled=ctx.is_cancelled)
        return Planned(ReplaceDocument.of(result, self.describe()), None)


@register
@dataclass(frozen=True)
class RedecomposeRegion(Operation):
    op: ClassVar[str] = "redecompose-region"
    title: ClassVar[str] = "Re-decompose region"
    box: tuple[int, int, int, int] = param(help="the region [x0, y0, x1, y1] on the canvas", lo=-MAX_COORD,
                                           hi=MAX_COORD)
    tags: tuple[str, ...] | None = param(None, help="the tags to redo (default: those shown inside the region)",
                                         max_items=64)
    feather: int | None = param(None, help="width of the blended seam in pixels (default: 1/16 of the region)",
                                lo=0, hi=MAX_FEATHER)
    options: DecomposeOptions = param(DecomposeOptions(), help="the models and how they run (DecomposeOptions)")

    def describe(self) -> str:
        x0, y0, x1, y1 = self.box
        return f"Re-decompose region {x1 - x0}×{y1 - y0}"

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.decompose.region import redecompose_region

        engine = engine_for(self.options, ctx)
        command = redecompose_region(doc, self.box, engine, self.options, tags=self.tags, feather=self.feather,  # type: ignore[arg-type]
                                     progress=ctx.progress, is_cancelled=ctx.is_cancelled)
        return Planned(command, None)
