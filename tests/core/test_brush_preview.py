"""The live preview of a stroke (core/brush/preview.py): the stand-ins over a canvas rectangle composite to exactly
what the committed stroke gives there, for every tool, and leave the other layers alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from seethrough.core.brush import StrokeEngine, StrokeParams, stroke_command
from seethrough.core.brush.preview import preview_layers
from seethrough.core.compositing import composite_region
from seethrough.core.layer_mask import LayerMask
from seethrough.core.mask_ops import SetLayerMask
from seethrough.core.sample import build_sample_document

PATH = ((300.0, 380.0, 1.0), (340.0, 395.0, 0.8), (390.0, 420.0, 0.6), (430.0, 470.0, 1.0))
#: a rectangle the stroke crosses, with pixels the stroke does not reach
RECT = (280, 360, 450, 500)


def _doc_with_mask():
    doc = build_sample_document()
    face = doc.find("face")
    doc.history.push(SetLayerMask(face.uid, LayerMask.white(face.bbox)))
    return doc


@pytest.mark.parametrize("tool", ["paint", "erase", "restore", "move-to-layer", "depth", "mask"])
@pytest.mark.parametrize("mode", ["stack", "zbuffer"])
def test_the_preview_composites_to_what_the_commit_gives(tool: str, mode: str) -> None:
    doc = _doc_with_mask()
    face = doc.find("face")
    params = StrokeParams(face.uid, tool, target=doc.find("neck").uid if tool == "move-to-layer" else None,
                          size=30, hardness=0.6, opacity=0.9, color="#20c040", value=0.1, points=PATH)
    engine = StrokeEngine.run(params, doc.size)
    before, layers_before = composite_region(doc, RECT, mode=mode), doc.layers
    shown = preview_layers(doc.layers, params, engine.mask, RECT, doc.source)
    changed = [i for i, (a, b) in enumerate(zip(shown, doc.layers)) if a is not b]
    assert changed == sorted(doc.index_of(uid) for uid in {params.layer, params.target} - {None})
    preview = composite_region(shown, RECT, mode=mode)

    doc.history.push(stroke_command(doc, params, engine))
    after = composite_region(doc, RECT, mode=mode)
    assert np.array_equal(preview, after)
    for i in changed:  # each stand-in holds the committed layer's pixels and depth on the rectangle
        committed = doc.layers[i]
        assert np.array_equal(shown[i].shown_rgba, _on(committed, committed.shown_rgba, RECT))
        if committed.depth is not None:
            assert np.array_equal(shown[i].depth, _on(committed, committed.depth, RECT, fill=1.0))
        old = layers_before[i]
        assert not (np.array_equal(shown[i].shown_rgba, _on(old, old.shown_rgba, RECT))
                    and np.array_equal(shown[i].depth_or_constant(), _on(old, old.depth_or_constant(), RECT, 1.0)))
    if tool not in ("depth", "move-to-layer"):  # moving pixels between adjacent layers keeps the composite
        assert not np.array_equal(before, after)


def _on(layer, values: np.ndarray, rect, fill: float = 0) -> np.ndarray:
    """A layer's array (over its box) read on a canvas rectangle, `fill` outside the box."""
    out = np.full((rect[3] - rect[1], rect[2] - rect[0], *values.shape[2:]), fill, values.dtype)
    x0, y0, x1, y1 = layer.bbox
    ix0, iy0, ix1, iy1 = max(x0, rect[0]), max(y0, rect[1]), min(x1, rect[2]), min(y1, rect[3])
    if ix1 > ix0 and iy1 > iy0:
        out[iy0 - rect[1]:iy1 - rect[1], ix0 - rect[0]:ix1 - rect[0]] = values[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
    return out


def test_the_preview_changes_only_the_rectangle_it_is_given_and_chains() -> None:
    doc = build_sample_document()
    face = doc.find("face")
    first = StrokeParams(face.uid, "paint", size=20, color="#ff0000", points=PATH[:2])
    second = replace(first, color="#0000ff", points=PATH[1:])
    one, two = StrokeEngine.run(first, doc.size), StrokeEngine.run(second, doc.size)
    far = (0, 0, 40, 40)
    assert preview_layers(doc.layers, first, one.mask, far) == list(doc.layers)  # not reached: the same layers
    chained = preview_layers(preview_layers(doc.layers, first, one.mask, RECT), second, two.mask, RECT)
    doc.history.push(stroke_command(doc, first, one))
    doc.history.push(stroke_command(doc, second, two))
    assert np.array_equal(composite_region(chained, RECT), composite_region(doc, RECT))
