"""Layer mask operations: `{"op": "mask", "layer": NAME, "action": "add" | "apply" | "delete" | "disable" |
"enable"}` → `mask_command(doc, MaskParams(...))`, one undo step each (docs/masks.md).

- add: a new mask from what is selected (only the selection shows: fill 0, or 255 when the rest of the canvas is
  selected), or white when nothing is (fill 255: everything shows until it is painted black); one mask per layer;
- apply: the mask is baked into the pixels' alpha and removed (as Krita's "Merge down" of a transparency mask);
- delete: the mask is dropped, the pixels are as they were;
- disable / enable: the layer is drawn without / with its mask, which is kept.
Adding, applying and deleting are refused on a locked layer (LayerLocked); disabling and enabling are allowed,
as its visibility is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from seethrough.core import edit_limits as lim
from seethrough.core.commands import Command, Macro, SetLayerPixels, require_unlocked
from seethrough.core.errors import BadInput
from seethrough.core.layer_mask import HIDE, SHOW, LayerMask
from seethrough.core.layer_refs import layer_ref
from seethrough.core.selection.commands import selection_of
from seethrough.core.selection.params import from_dict

if TYPE_CHECKING:
    from seethrough.core.document import Document, DocumentLike, Layer

MASK_ACTIONS = ("add", "apply", "delete", "disable", "enable")


@dataclass(frozen=True)
class MaskParams:
    layer: str
    action: str

    def __post_init__(self) -> None:
        lim.name(self.layer, "mask: layer")
        lim.choice(self.action, "mask: action", MASK_ACTIONS)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MaskParams:
        return from_dict(cls, data, "mask")


@dataclass
class SetLayerMask(Command):
    """Give the layer `uid` the mask `mask` (None: no mask). `guarded`: refused on a locked layer."""

    uid: str
    mask: LayerMask | None
    guarded: bool = True
    text: str = "Edit layer mask"
    _before: Layer | None = None

    def redo(self, doc: Document) -> None:
        layer = doc.layer(self.uid)
        if self.guarded:
            require_unlocked(layer, "change its mask")
        self._before = layer
        doc._replace_layer(replace(layer, layer_mask=self.mask))
        doc.emit("layer", self.uid)

    def undo(self, doc: Document) -> None:
        assert self._before is not None
        doc._replace_layer(self._before)
        doc.emit("layer", self.uid)


def new_mask(doc: DocumentLike, layer: Layer) -> LayerMask:
    """What `add` gives: the selection (hidden outside it), or white over the layer's box."""
    selection = selection_of(doc)
    if selection is None:
        return LayerMask.white(layer.bbox)
    return LayerMask.from_array(selection.alpha, selection.offset, fill=HIDE if selection.outside == 0 else SHOW)


def mask_command(doc: DocumentLike, params: MaskParams) -> Command:
    layer = layer_ref(doc, params.layer, "mask")
    action = params.action
    mask = layer.layer_mask
    if action == "add":
        if mask is not None:
            raise BadInput(f"mask: layer {layer.name!r} already has a mask (apply or delete it first)")
        require_unlocked(layer, "add a mask")
        return SetLayerMask(layer.uid, new_mask(doc, layer), text=f"Add a mask to {layer.name}")
    if mask is None:
        raise BadInput(f"mask: layer {layer.name!r} has no mask to {action}")
    if action == "delete":
        require_unlocked(layer, "delete its mask")
        return SetLayerMask(layer.uid, None, text=f"Delete the mask of {layer.name}")
    if action == "apply":
        require_unlocked(layer, "apply its mask")
        baked = layer.shown_rgba if mask.enabled else replace(layer, layer_mask=mask.with_enabled(True)).shown_rgba
        return Macro([SetLayerPixels(layer.uid, baked.copy(), text="Bake"),
                      SetLayerMask(layer.uid, None, text="Drop")], text=f"Apply the mask of {layer.name}")
    enabled = action == "enable"
    return SetLayerMask(layer.uid, mask.with_enabled(enabled), guarded=False,
                        text=f"{'Enable' if enabled else 'Disable'} the mask of {layer.name}")
