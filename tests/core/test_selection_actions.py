"""Actions on a selection, on the sample character: each conserves what it should and is one undo step."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput, LayerLocked
from seethrough.core.sample import build_sample_document
from seethrough.core.selection import (
    SelectActionParams,
    SelectionActionParams,
    SelectParams,
    select_action_command,
    select_command,
    selection_command,
)
from seethrough.core.selection.pixels import cut_alpha, over, remaining_alpha, with_alpha
from tests.core.helpers import snapshot

#: over the forehead, where the front hair covers the face
HAIR_BOX = [300, 180, 470, 330]


@pytest.fixture()
def doc() -> Document:
    sample = build_sample_document()
    return Document(sample.size, sample.layers, source=sample.source, metadata=sample.metadata)


def _select(doc: Document, **params: object) -> None:
    doc.history.push(select_command(doc, SelectParams(**params)))  # type: ignore[arg-type]


def _do(doc: Document, **params: object) -> None:
    doc.history.push(selection_command(doc, SelectionActionParams(**params)))  # type: ignore[arg-type]


def _canvas_alpha(doc: Document, name: str) -> np.ndarray:
    layer = doc.find(name)
    assert layer is not None
    return layer.on_canvas(doc.size)[..., 3]


def _undo_redo_exact(doc: Document, before: list, after: list) -> None:
    assert doc.history.undo() and snapshot(doc) == before
    assert doc.history.redo() and snapshot(doc) == after


def test_delete_erases_inside_only(doc: Document) -> None:
    _select(doc, shape="ellipse", box=HAIR_BOX)
    sel = doc.selection.on_canvas()  # type: ignore[union-attr]
    old = doc.find("front hair").on_canvas(doc.size)  # type: ignore[union-attr]
    before = snapshot(doc)
    _do(doc, action="delete", layer="front hair")
    new = doc.find("front hair").on_canvas(doc.size)  # type: ignore[union-attr]
    outside = sel == 0
    assert (new[outside] == old[outside]).all()
    assert (new[sel == 255][:, 3] == 0).all()
    soft = (sel > 0) & (sel < 255) & (old[..., 3] == 255)
    assert soft.any() and ((new[soft][:, 3] > 0) & (new[soft][:, 3] < 255)).all()  # a soft edge erases partly
    assert doc.history.undo_text == "Delete selection from front hair"
    _undo_redo_exact(doc, before, snapshot(doc))


def test_move_to_layer_conserves_the_composite_and_the_pixels(doc: Document) -> None:
    """Front hair pixels over the forehead move into the face, right below it in the stack: wherever the two layers
    are neighbours, the picture does not change."""
    _select(doc, shape="ellipse", box=HAIR_BOX)
    before_image = composite(doc)
    hair_before, face_before = _canvas_alpha(doc, "front hair"), _canvas_alpha(doc, "face")
    face = doc.find("face")
    assert face is not None and face.depth is not None
    order = [layer.name for layer in doc.layers]
    _do(doc, action="to-layer", layer="front hair", target="face")
    assert [layer.name for layer in doc.layers] == order
    sel = doc.selection.on_canvas()  # type: ignore[union-attr]
    hair_after, face_after = _canvas_alpha(doc, "front hair"), _canvas_alpha(doc, "face")
    assert (hair_after[sel == 255] == 0).all() and (hair_after[sel == 0] == hair_before[sel == 0]).all()
    # what the face did not have before is exactly the hair that moved (fully selected, face clear there)
    took = (sel == 255) & (face_before == 0)
    assert (face_after[took] == hair_before[took]).all()
    # the picture: identical wherever no layer between the two draws (the face is right below the front hair in
    # depth order, not in the stack: compare where the layers in between are clear)
    between = [layer for layer in doc.layers[order.index("face") + 1 : order.index("front hair")]]
    clear = np.ones(before_image.shape[:2], bool)
    for layer in between:
        clear &= layer.on_canvas(doc.size)[..., 3] == 0
    after_image = composite(doc)
    assert clear[sel == 255].any()
    difference = np.abs(after_image[clear].astype(int) - before_image[clear]).max(axis=1)
    assert difference.max() <= 1 and (difference > 0).sum() < 20  # 8-bit rounding of the merged layer only
    # the face keeps its depth where it had pixels and takes the hair's where it had none
    hair_depth = build_sample_document().find("front hair").depth_on_canvas(doc.size)  # type: ignore[union-attr]
    new_face = doc.find("face")
    assert new_face is not None
    depth = new_face.depth_on_canvas(doc.size)
    assert np.allclose(depth[took], hair_depth[took])
    kept = (face_before > 0) & (face_after > 0)
    assert np.allclose(depth[kept], face.depth_on_canvas(doc.size)[kept])
    assert doc.history.undo_text == "Move selection from front hair to face"


def test_move_to_a_new_layer_keeps_tag_and_depth(doc: Document) -> None:
    _select(doc, shape="rect", box=HAIR_BOX)
    hair = doc.find("front hair")
    assert hair is not None
    before_image = composite(doc)
    _do(doc, action="to-layer", layer="front hair", target="strand")
    strand = doc.find("strand")
    assert strand is not None and strand.tag == "front hair"
    assert doc.layers.index(strand) == doc.layers.index(doc.find("front hair")) + 1  # type: ignore[arg-type]
    x0, y0, x1, y1 = strand.bbox
    assert x0 >= HAIR_BOX[0] and y0 >= HAIR_BOX[1] and x1 <= HAIR_BOX[2] and y1 <= HAIR_BOX[3]
    assert strand.depth is not None
    assert np.allclose(strand.depth_on_canvas(doc.size)[y0:y1, x0:x1][strand.alpha > 0],
                       hair.depth_on_canvas(doc.size)[y0:y1, x0:x1][strand.alpha > 0])
    assert (composite(doc) == before_image).all()  # a neighbour above: the picture is unchanged


def test_cut_and_paste_back_is_a_round_trip_even_with_a_soft_selection(doc: Document) -> None:
    _select(doc, shape="ellipse", box=HAIR_BOX)
    doc.history.push(select_command(doc, SelectParams("rect", box=(0, 0, 1, 1), mode="add")))
    hair = doc.find("front hair")
    assert hair is not None
    _do(doc, action="new-layer", layer="front hair", cut=True, target="cut")
    assert doc.find("cut") is not None
    doc.history.push(select_action_command(doc, SelectActionParams("all")))  # paste all of it back
    _do(doc, action="to-layer", layer="cut", target="front hair")
    assert doc.find("cut").is_empty  # type: ignore[union-attr]
    back = doc.find("front hair")
    assert back is not None
    assert (back.on_canvas(doc.size) == hair.on_canvas(doc.size)).all()


def test_split_alpha_puts_back_together_exactly() -> None:
    a = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, axis=1)
    s = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 256, axis=0)
    r = remaining_alpha(a, s)
    m = cut_alpha(a, r)
    colour = np.zeros((256, 256, 4), np.uint8)
    colour[..., :3] = (90, 160, 220)
    joined = over(with_alpha(colour, m), with_alpha(colour, r))
    assert (joined[..., 3] == a).all()
    assert (joined[a > 0][:, :3] == (90, 160, 220)).all()


def test_copy_to_new_layer_leaves_the_layer(doc: Document) -> None:
    irides = doc.find("irides")
    assert irides is not None
    _select(doc, shape="rect", box=list(irides.bbox))
    _do(doc, action="new-layer", layer="irides")
    assert doc.find("irides") is irides
    copy = doc.find("irides selection")
    assert copy is not None and copy.tag == "irides" and (copy.on_canvas(doc.size) == irides.on_canvas(doc.size)).all()


def test_fill_only_inside(doc: Document) -> None:
    _select(doc, shape="polygon", points=[[250, 600], [520, 600], [385, 760]])
    sel = doc.selection.on_canvas()  # type: ignore[union-attr]
    old = doc.find("topwear").on_canvas(doc.size)  # type: ignore[union-attr]
    _do(doc, action="fill", layer="topwear", color="#10ff80")
    new = doc.find("topwear").on_canvas(doc.size)  # type: ignore[union-attr]
    assert (new[sel == 0] == old[sel == 0]).all()
    assert (new[sel == 255] == (16, 255, 128, 255)).all()


def test_fill_grows_the_layer_where_it_had_no_pixels() -> None:
    layer = Layer("a", np.full((4, 4, 4), 255, np.uint8), (0, 0), depth=np.zeros((4, 4), np.float32), depth_value=0.2)
    doc = Document((20, 20), [layer])
    _select(doc, shape="rect", box=[10, 10, 14, 14])
    _do(doc, action="fill", layer="a", color="#ff0000")
    grown = doc.layers[0]
    assert grown.bbox == (0, 0, 14, 14) and grown.depth is not None
    assert (grown.depth[10:14, 10:14] == pytest.approx(0.2)) and (grown.depth[:4, :4] == 0).all()


def test_restore_puts_the_source_back_exactly_inside(doc: Document) -> None:
    _select(doc, shape="rect", box=[280, 340, 490, 450])  # the eyes
    sel = doc.selection.on_canvas()  # type: ignore[union-attr]
    old = doc.find("face").on_canvas(doc.size)  # type: ignore[union-attr]
    _do(doc, action="restore", layer="face")
    new = doc.find("face").on_canvas(doc.size)  # type: ignore[union-attr]
    assert doc.source is not None
    assert (new[sel == 255] == doc.source[sel == 255]).all()
    assert (new[sel == 0] == old[sel == 0]).all()


def test_restore_needs_a_source() -> None:
    doc = Document((10, 10), [Layer("a", np.full((4, 4, 4), 255, np.uint8))])
    _select(doc, shape="rect", box=[0, 0, 4, 4])
    with pytest.raises(BadInput, match="no source"):
        selection_command(doc, SelectionActionParams("restore", layer="a"))


def test_inpaint_fills_a_hole_from_around_it() -> None:
    rgba = np.zeros((60, 60, 4), np.uint8)
    rgba[...] = (30, 140, 220, 255)
    rgba[25:35, 25:35] = (250, 10, 10, 255)  # a smear
    rgba[:, :5] = 0  # a clear margin
    doc = Document((60, 60), [Layer("a", rgba, (0, 0), depth=np.full((60, 60), 0.4, np.float32))])
    _select(doc, shape="rect", box=[23, 23, 37, 37])
    _do(doc, action="inpaint", layer="a")
    out = doc.layers[0].on_canvas(doc.size)
    patch = out[25:35, 25:35].astype(int)
    assert np.abs(patch - (30, 140, 220, 255)).max() <= 2
    assert (out[:23] == rgba[:23]).all() and (out[:, :23] == rgba[:, :23]).all()  # outside untouched
    depth = doc.layers[0].depth_on_canvas(doc.size)
    assert np.allclose(depth[25:35, 25:35], 0.4, atol=1e-3)


def test_actions_need_a_selection_and_refuse_locked_layers(doc: Document) -> None:
    with pytest.raises(BadInput, match="nothing is selected"):
        selection_command(doc, SelectionActionParams("delete", layer="face"))
    _select(doc, shape="rect", box=HAIR_BOX)
    face = doc.find("face")
    assert face is not None
    from seethrough.core.commands import SetLayerProperty

    doc.history.push(SetLayerProperty(face.uid, "locked", True))
    before = snapshot(doc)
    for params in (
        SelectionActionParams("delete", layer="face"),
        SelectionActionParams("fill", layer="face", color="#000000"),
        SelectionActionParams("restore", layer="face"),
        SelectionActionParams("inpaint", layer="face"),
        SelectionActionParams("to-layer", layer="front hair", target="face"),
        SelectionActionParams("to-layer", layer="face", target="front hair"),
        SelectionActionParams("new-layer", layer="face", cut=True),
    ):
        with pytest.raises(LayerLocked, match="'face' is locked"):
            doc.history.push(selection_command(doc, params))
    assert snapshot(doc) == before
    doc.history.push(selection_command(doc, SelectionActionParams("new-layer", layer="face")))  # copying is fine


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"action": "fill", "layer": "a"}, "needs a color"),
        ({"action": "fill", "layer": "a", "color": "red"}, "#rrggbb"),
        ({"action": "to-layer", "layer": "a"}, "needs a target"),
        ({"action": "delete"}, "needs a layer"),
        ({"action": "smudge", "layer": "a"}, "action must be one of"),
    ],
)
def test_bad_action_parameters(params: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        SelectionActionParams.from_dict(params)


def test_moving_into_itself_or_nothing_is_refused(doc: Document) -> None:
    _select(doc, shape="rect", box=[0, 0, 5, 5])  # a corner with no pixels of the face
    with pytest.raises(BadInput, match="holds no pixels"):
        selection_command(doc, SelectionActionParams("to-layer", layer="face", target="front hair"))
    with pytest.raises(BadInput, match="both the layer and the target"):
        selection_command(doc, SelectionActionParams("to-layer", layer="face", target="face"))


def test_actions_with_everything_but_a_hole_selected(doc: Document) -> None:
    """Select the eyes, invert: deleting keeps only the eyes' box, and filling reaches the canvas's corners."""
    _select(doc, shape="rect", box=[280, 340, 490, 450])
    doc.history.push(select_action_command(doc, SelectActionParams("invert")))
    assert doc.selection is not None and doc.selection.outside == 255
    old = doc.find("face").on_canvas(doc.size)  # type: ignore[union-attr]
    _do(doc, action="delete", layer="face")
    face = doc.find("face")
    assert face is not None and face.bbox[0] >= 233  # the box is kept; what is left is the eyes' box
    new = face.on_canvas(doc.size)
    assert (new[340:450, 280:490] == old[340:450, 280:490]).all()
    new[340:450, 280:490, 3] = 0
    assert new[..., 3].max() == 0
    _do(doc, action="fill", layer="nose", color="#202020")
    nose = doc.find("nose")
    assert nose is not None and nose.bbox == (0, 0, doc.width, doc.height)
