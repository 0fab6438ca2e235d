"""Layers named in operation parameters: by layer name (the first match from the top of the stack) or by uid."""

from __future__ import annotations

from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import BadInput


def find_layer(doc: DocumentLike, ref: str) -> Layer | None:
    """The topmost layer named `ref`, else the layer whose uid is `ref`, else None."""
    for layer in reversed(doc.layers):
        if layer.name == ref:
            return layer
    for layer in doc.layers:
        if layer.uid == ref:
            return layer
    return None


def layer_ref(doc: DocumentLike, ref: str, what: str = "layer") -> Layer:
    """`find_layer`, or a BadInput naming what is missing."""
    layer = find_layer(doc, ref)
    if layer is None:
        raise BadInput(f"{what}: no layer named {ref[:80]!r} (nor with that uid)")
    return layer
