"""Small synthetic layers and a document snapshot for the core tests."""

from __future__ import annotations

import numpy as np

from seethrough.core.document import Document, Layer


def solid(
    name: str,
    size: tuple[int, int],
    colour: tuple[int, int, int, int],
    offset: tuple[int, int] = (0, 0),
    depth: float | np.ndarray | None = None,
    **kwargs: object,
) -> Layer:
    """A filled rectangle layer of `size=(w, h)`; `depth` a float gives depth_value, an array a depth map."""
    w, h = size
    rgba = np.empty((h, w, 4), np.uint8)
    rgba[:] = colour
    if isinstance(depth, np.ndarray):
        return Layer(name, rgba, offset, depth=depth, **kwargs)  # type: ignore[arg-type]
    if depth is not None:
        return Layer(name, rgba, offset, depth_value=float(depth), **kwargs)  # type: ignore[arg-type]
    return Layer(name, rgba, offset, **kwargs)  # type: ignore[arg-type]


def snapshot(doc: Document) -> list[tuple]:
    """Everything observable about the stack, pixel-exact."""
    rows = []
    for layer in doc.layers:
        rows.append(
            (
                layer.uid,
                layer.name,
                layer.tag,
                layer.offset,
                layer.rgba.shape,
                layer.rgba.tobytes(),
                None if layer.depth is None else layer.depth.tobytes(),
                layer.depth_value,
                layer.visible,
                layer.opacity,
                layer.locked,
                layer.provenance,
            )
        )
    return rows


def check_undo_redo(doc: Document, command: object) -> None:
    """Push, undo, redo: each state must equal the one before/after pixel for pixel."""
    before = snapshot(doc)
    doc.history.push(command)  # type: ignore[arg-type]
    after = snapshot(doc)
    assert after != before
    assert doc.history.undo()
    assert snapshot(doc) == before
    assert doc.history.redo()
    assert snapshot(doc) == after
