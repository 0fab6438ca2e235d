"""Selecting as commands: every change of what is selected is one undo step (as in Krita).

`select_command(doc, SelectParams)` and `select_action_command(doc, SelectActionParams)` read a document or a
snapshot and return a `SetSelection`; push it on `doc.history`. Reading the selection: `selection_of(doc)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from seethrough.core.commands import Command
from seethrough.core.errors import BadInput
from seethrough.core.layer_refs import layer_ref
from seethrough.core.selection import shapes
from seethrough.core.selection.params import SelectActionParams, SelectParams
from seethrough.core.selection.value import Selection, combine, everything, feather, grow, invert, shrink

if TYPE_CHECKING:
    from seethrough.core.document import Document, DocumentLike


def selection_of(doc: DocumentLike) -> Selection | None:
    """What is selected in a document or snapshot (None: nothing)."""
    return getattr(doc, "selection", None)


@dataclass
class SetSelection(Command):
    """Make `selection` (or nothing, None) the document's selection."""

    selection: Selection | None
    text: str = "Select"
    _before: Selection | None = None
    _before_deselected: Selection | None = None

    def redo(self, doc: Document) -> None:
        if self.selection is not None and self.selection.canvas != doc.size:
            raise BadInput(f"the selection is for a {self.selection.canvas} canvas, the document is {doc.size}")
        self._before, self._before_deselected = doc.selection, doc.deselected
        # a selection taken away is kept for Reselect
        deselected = self._before if self.selection is None and self._before is not None else self._before_deselected
        doc._set_content(selection=self.selection, deselected=deselected)
        doc.emit("selection")

    def undo(self, doc: Document) -> None:
        doc._set_content(selection=self._before, deselected=self._before_deselected)
        doc.emit("selection")


def shape_selection(doc: DocumentLike, params: SelectParams) -> Selection | None:
    """The pixels the shape covers, before the mode combines them with the current selection."""
    canvas = doc.size
    if params.shape in ("rect", "ellipse"):
        assert params.box is not None
        draw = shapes.rectangle if params.shape == "rect" else shapes.ellipse
        return draw(canvas, params.box)
    if params.shape == "polygon":
        assert params.points is not None
        return shapes.polygon(canvas, params.points)
    if params.shape == "wand":
        assert params.at is not None
        return shapes.wand(wand_image(doc, params.layer), params.at, params.tolerance, params.contiguous)
    if params.shape == "layer-alpha":
        assert params.layer is not None
        return shapes.layer_alpha(canvas, layer_ref(doc, params.layer, "select"))
    assert params.tag is not None
    return shapes.by_tag(canvas, doc.layers, params.tag)


def wand_image(doc: DocumentLike, layer: str | None) -> np.ndarray:
    """What the wand samples: the named layer on the canvas as drawn (its mask applied), or the composite of the
    visible layers."""
    if layer is not None:
        return layer_ref(doc, layer, "select").shown_on_canvas(doc.size)
    from seethrough.core.compositing import composite

    return composite(doc)


def select_command(doc: DocumentLike, params: SelectParams) -> SetSelection:
    """Select a shape in `params.mode` (replace, add, subtract, intersect) with what is selected."""
    new = combine(selection_of(doc), shape_selection(doc, params), params.mode)
    verb = {"replace": "Select", "add": "Add to selection:", "subtract": "Subtract from selection:",
            "intersect": "Intersect selection with"}[params.mode]
    return SetSelection(new, text=f"{verb} {params.shape}")


def select_action_command(doc: DocumentLike, params: SelectActionParams) -> SetSelection:
    """Invert, grow, shrink or feather the selection; select all; deselect."""
    current = selection_of(doc)
    action, px = params.action, params.px
    if action == "none":
        return SetSelection(None, text="Deselect")
    if action == "reselect":
        deselected = getattr(doc, "deselected", None)
        if deselected is None or deselected.canvas != doc.size:
            raise BadInput("select: nothing was deselected to reselect")
        return SetSelection(deselected, text="Reselect")
    if action == "all":
        return SetSelection(everything(doc.size), text="Select all")
    if action == "invert":
        return SetSelection(invert(current, doc.size), text="Invert selection")
    if current is None:
        raise BadInput(f"select: nothing is selected to {action}")
    change = {"grow": grow, "shrink": shrink, "feather": feather}[action]
    return SetSelection(change(current, px), text=f"{action.capitalize()} selection by {px} px")
