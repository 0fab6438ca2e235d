"""Repairing a quality finding (core.quality): the finding is named by its check, its layers and its box, and found
again by running the checks on the document the operation is applied to (they are deterministic), so a log replays
on a fresh copy of the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from seethrough.core.document import DocumentLike
from seethrough.core.errors import BadInput
from seethrough.core.operations.base import NO_CONTEXT, Context, Operation, Planned, layer_ref, resolve_layer
from seethrough.core.operations.params import param
from seethrough.core.operations.registry import register
from seethrough.core.quality.findings import Finding

Check = Literal["empty", "sliver", "hole", "outside", "reconstruction", "order", "lr-split", "exposed-cut"]
Fix = Literal["delete", "hide", "merge", "fill", "clip", "reorder", "split-depth", "resplit", "unsplit",
              "inpaint-below"]


@register
@dataclass(frozen=True)
class FixFinding(Operation):
    op: ClassVar[str] = "fix"
    title: ClassVar[str] = "Fix"
    check: Check = param(help="the check that reported the finding")
    layers: tuple[str, ...] = param((), help="the finding's layers (names or uids), the one it is about first",
                                    max_items=64)
    box: tuple[int, int, int, int] | None = param(None, help="the finding's box on the canvas (x0, y0, x1, y1)",
                                                  lo=0)
    fix: Fix | None = param(None, help="which repair (default: the finding's recommended one)")

    @classmethod
    def of(cls, doc: DocumentLike, finding: Finding, fix: str | None = None) -> FixFinding:
        """The operation that repairs `finding` of `doc` (the GUI's Fix button)."""
        return cls(check=finding.check, layers=tuple(layer_ref(doc, uid) for uid in finding.layers),  # type: ignore[arg-type]
                   box=finding.box, fix=fix)  # type: ignore[arg-type]

    def describe(self) -> str:
        from seethrough.core.quality.findings import FIXES

        return f"Fix: {FIXES[self.fix]}" if self.fix else f"Fix {self.check}"

    def find(self, doc: DocumentLike) -> Finding:
        """The finding this operation names, in `doc` as it is now."""
        from seethrough.core.quality import run_checks

        uids = tuple(resolve_layer(doc, ref, "layers").uid for ref in self.layers)
        for finding in run_checks(doc):
            if finding.check == self.check and finding.layers == uids and finding.box == self.box:
                return finding
        raise BadInput(f"no {self.check!r} finding about {', '.join(self.layers) or 'the document'} here any more "
                       "(the document changed): run the checks again")

    def plan(self, doc: DocumentLike, ctx: Context = NO_CONTEXT) -> Planned:
        from seethrough.core.quality import fix_command

        ctx.progress(0.1, "checking")
        finding = self.find(doc)
        ctx.progress(0.6, "repairing")
        return Planned(fix_command(doc, finding, self.fix), None)
