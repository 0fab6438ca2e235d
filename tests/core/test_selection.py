"""Selections: every shape, mode and modifier on the sample character and on known shapes; undo; parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput
from seethrough.core.sample import build_sample_document
from seethrough.core.selection import (
    SelectActionParams,
    SelectParams,
    select_action_command,
    select_command,
    selection_of,
    shapes,
)
from seethrough.core.selection.value import Selection, combine, dilate_disc, feather, from_region, grow, invert, shrink


@pytest.fixture(scope="module")
def sample() -> Document:
    return build_sample_document()


def _select(doc: Document, **params: object) -> Selection | None:
    doc.history.push(select_command(doc, SelectParams(**params)))  # type: ignore[arg-type]
    return doc.selection


def _act(doc: Document, action: str, px: int = 0) -> Selection | None:
    doc.history.push(select_action_command(doc, SelectActionParams(action, px)))
    return doc.selection


def _canvas(sel: Selection | None, size: tuple[int, int]) -> np.ndarray:
    return np.zeros((size[1], size[0]), np.uint8) if sel is None else sel.on_canvas()


# --- shapes ----------------------------------------------------------------------------------------------------
def test_rectangle_is_the_pixels_of_its_box_clipped_to_the_canvas() -> None:
    doc = Document((40, 30))
    sel = _select(doc, shape="rect", box=[35, 25, 5, 10])  # corners in any order
    assert sel is not None and sel.box == (5, 10, 35, 25) and (sel.alpha == 255).all()
    sel = _select(doc, shape="rect", box=[-10, -10, 10.4, 5.6])  # rounded to pixel edges, clipped
    assert sel is not None and sel.box == (0, 0, 10, 6)
    assert _select(doc, shape="rect", box=[50, 50, 60, 60]) is None  # wholly off the canvas: nothing


@pytest.mark.parametrize("radius", [3, 17, 120])
def test_ellipse_area_and_inside(radius: int) -> None:
    size = (300, 300)
    sel = shapes.ellipse(size, (150 - radius, 150 - radius, 150 + radius, 150 + radius))
    assert sel is not None
    assert sel.area == pytest.approx(math.pi * radius * radius, rel=0.02, abs=1.0)
    full = sel.on_canvas()
    ys, xs = np.mgrid[0:300, 0:300] + 0.5
    dist = np.hypot(xs - 150, ys - 150)
    assert (full[dist < radius - 1] == 255).all() and (full[dist > radius + 1] == 0).all()


def test_polygon_is_exact_on_pixel_edges_and_antialiased_between() -> None:
    size = (40, 40)
    square = shapes.polygon(size, [(10, 10), (20, 10), (20, 20), (10, 20)])
    assert square is not None and square.box == (10, 10, 20, 20) and (square.alpha == 255).all()
    shifted = shapes.polygon(size, [(10.5, 10.5), (20.5, 10.5), (20.5, 20.5), (10.5, 20.5)])
    assert shifted is not None and shifted.area == pytest.approx(100, abs=0.2)
    assert shifted.covers(10, 15) == 128 and shifted.covers(10, 10) == 64  # half and quarter pixels
    triangle = shapes.polygon(size, [(0, 0), (30, 0), (0, 30)])
    assert triangle is not None and triangle.area == pytest.approx(450, abs=0.5)


def test_freehand_lasso_that_crosses_itself_fills_both_loops() -> None:
    bowtie = shapes.polygon((40, 40), [(0, 0), (20, 20), (20, 0), (0, 20)])
    assert bowtie is not None and bowtie.area == pytest.approx(200, abs=1)
    assert bowtie.covers(10, 3) == 0 and bowtie.covers(10, 17) == 0  # between the loops: outside
    assert bowtie.covers(3, 10) == 255 and bowtie.covers(17, 10) == 255  # the loops, wound opposite ways


def test_wand_contiguous_and_global_on_a_synthetic_image() -> None:
    image = np.zeros((50, 60, 4), np.uint8)
    image[5:20, 5:20] = (200, 40, 40, 255)
    image[30:45, 30:50] = (205, 45, 35, 255)  # within 5 of the first square, elsewhere
    image[22:28, 5:20] = (200, 40, 40, 128)  # the same colour half transparent: premultiplied it differs
    image[0:2, 0:2] = (17, 99, 3, 0)  # a colour hidden under alpha 0
    near = shapes.wand(image, (10, 10), tolerance=5, contiguous=True)
    assert near is not None and near.box == (5, 5, 20, 20) and near.area == 225
    both = shapes.wand(image, (10, 10), tolerance=5, contiguous=False)
    assert both is not None and both.area == 225 + 300
    exact = shapes.wand(image, (10, 10), tolerance=0, contiguous=False)
    assert exact is not None and exact.area == 225
    clear = shapes.wand(image, (59, 49), tolerance=0, contiguous=False)  # every clear pixel, whatever it hides
    assert clear is not None and clear.covers(0, 0) == 255 and clear.area == 50 * 60 - 225 - 300 - 90
    assert shapes.wand(image, (10, 10), tolerance=255, contiguous=False).area == 3000  # type: ignore[union-attr]


def test_wand_fast_path_agrees_with_premultiplying_everything() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    image[..., 3] = rng.choice([0, 255, 40, 200], size=(64, 64), p=[0.4, 0.5, 0.05, 0.05])
    seed = shapes.premultiply_pixels(image[7, 9])
    pre = shapes.premultiply_pixels(image)
    expected = (np.abs(pre - seed) <= 60).all(axis=2)
    assert ((shapes.matching_pixels(image, seed, 60) == 255) == expected).all()
    image[..., 3] = 100  # mostly partial: the whole-image path
    pre = shapes.premultiply_pixels(image)
    seed = pre[7, 9]
    assert ((shapes.matching_pixels(image, seed, 60) == 255) == (np.abs(pre - seed) <= 60).all(axis=2)).all()


def test_wand_on_the_composite_and_on_a_layer(sample: Document) -> None:
    doc = Document(sample.size, sample.layers, source=sample.source)
    face = doc.find("face")
    assert face is not None
    x, y = 384, 300  # on the forehead
    on_layer = _select(doc, shape="wand", at=[x, y], tolerance=8, layer="face")
    assert on_layer is not None and on_layer.covers(x, y) == 255
    # on its own layer the face is selected through the hair that covers it in the composite
    face_alpha = face.on_canvas(doc.size)[..., 3]
    inside = on_layer.on_canvas() == 255
    assert (face_alpha[inside] > 0).all()
    on_composite = _select(doc, shape="wand", at=[x, y], tolerance=8)
    assert on_composite is not None
    hidden = (on_layer.on_canvas() == 255) & (on_composite.on_canvas() == 0)
    assert hidden.sum() > 1000  # the face under the front hair: selected on the layer, not in the composite
    image = composite(doc)
    seed = image[y, x].astype(int)
    picked = image[on_composite.on_canvas() == 255].astype(int)
    assert (np.abs(picked - seed) <= 8).all()


def test_layer_alpha_and_tag(sample: Document) -> None:
    doc = Document(sample.size, sample.layers)
    hair = doc.find("front hair")
    assert hair is not None
    sel = _select(doc, shape="layer-alpha", layer="front hair")
    assert sel is not None and (sel.on_canvas() == hair.on_canvas(doc.size)[..., 3]).all()
    left = Layer("glove l", np.full((10, 10, 4), 255, np.uint8), (0, 0), tag="handwear-l")
    right = Layer("glove r", np.full((10, 10, 4), 255, np.uint8), (30, 0), tag="handwear-r")
    gloves = Document((50, 20), [left, right])
    sel = _select(gloves, shape="tag", tag="handwear")
    assert sel is not None and sel.area == 200 and sel.box == (0, 0, 40, 10)
    with pytest.raises(BadInput, match="no layer has the tag"):
        select_command(gloves, SelectParams("tag", tag="eyewhite"))


# --- modes -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["replace", "add", "subtract", "intersect"])
def test_modes_are_the_set_operations(mode: str, sample: Document) -> None:
    doc = Document(sample.size, sample.layers)
    first = _canvas(_select(doc, shape="layer-alpha", layer="face"), doc.size).astype(int)
    second_sel = shapes.ellipse(doc.size, (250, 250, 520, 480))
    second = _canvas(second_sel, doc.size).astype(int)
    result = _canvas(_select(doc, shape="ellipse", box=[250, 250, 520, 480], mode=mode), doc.size)
    expected = {"replace": second, "add": np.maximum(first, second),
                "subtract": np.minimum(first, 255 - second), "intersect": np.minimum(first, second)}[mode]
    assert (result == expected).all()


def test_subtracting_everything_deselects() -> None:
    doc = Document((20, 20))
    _select(doc, shape="rect", box=[2, 2, 8, 8])
    assert _select(doc, shape="rect", box=[0, 0, 10, 10], mode="subtract") is None
    assert combine(None, None, "intersect") is None


# --- modifiers ---------------------------------------------------------------------------------------------------
def test_invert_select_all_and_deselect() -> None:
    doc = Document((30, 20))
    everything = _act(doc, "all")
    assert everything is not None and everything.area == 600
    _select(doc, shape="rect", box=[5, 5, 10, 10])
    inverted = _act(doc, "invert")
    assert inverted is not None and inverted.area == 600 - 25 and inverted.covers(6, 6) == 0
    assert _act(doc, "invert").area == 25  # type: ignore[union-attr]
    assert _act(doc, "none") is None
    assert _act(doc, "invert").area == 600  # type: ignore[union-attr]  # inverting nothing selects all


def test_reselect_brings_back_what_the_last_deselect_removed_and_undo_forgets_it() -> None:
    doc = Document((30, 20))
    with pytest.raises(BadInput, match="nothing was deselected"):
        _act(doc, "reselect")
    first = _select(doc, shape="rect", box=[5, 5, 10, 10])
    assert _act(doc, "none") is None and doc.deselected is first
    assert _act(doc, "reselect") is first and doc.history.undo_text == "Reselect"
    second = _select(doc, shape="ellipse", box=[0, 0, 20, 20])
    _select(doc, shape="rect", box=[0, 0, 30, 20], mode="subtract")  # subtracting everything deselects too
    assert doc.selection is None and doc.deselected is second
    assert doc.history.undo() and doc.selection is second and doc.deselected is first  # undo: as it was
    snap = doc.snapshot()
    assert snap.deselected is first  # a snapshot keeps it, so an operation planned on it reselects the same


def test_grow_a_point_gives_a_disc_and_shrink_takes_it_back() -> None:
    canvas = (101, 101)
    dot = from_region(canvas, np.full((1, 1), 255, np.uint8), (50, 50))
    disc = grow(dot, 20)
    assert disc is not None
    ys, xs = np.mgrid[0:101, 0:101]
    expected = (np.hypot(xs - 50, ys - 50) <= 20).astype(np.uint8) * 255
    assert (disc.on_canvas() == expected).all()
    back = shrink(disc, 20)
    assert back is not None and back.box == (50, 50, 51, 51)


def test_grow_and_shrink_a_rectangle_round_its_corners() -> None:
    canvas = (100, 100)
    rect = shapes.rectangle(canvas, (30, 30, 70, 60))
    grown = grow(rect, 5)
    assert grown is not None and grown.box == (25, 25, 75, 65)
    assert grown.covers(25, 45) == 255 and grown.covers(25, 25) == 0  # sides straight, corners rounded
    disc = sum(1 for dy in range(-5, 6) for dx in range(-5, 6) if dx * dx + dy * dy <= 25)
    assert grown.area == 40 * 30 + 2 * 5 * (40 + 30) + (disc - 1 - 4 * 5)  # sides + four quarter discs
    shrunk = shrink(rect, 5)
    assert shrunk is not None and shrunk.box == (35, 35, 65, 55) and shrunk.area == 30 * 20
    assert shrink(rect, 15) is None  # nothing is 15 px inside a 30 px tall box


def test_shrink_counts_outside_the_canvas_as_unselected() -> None:
    doc = Document((40, 30))
    _act(doc, "all")
    sel = _act(doc, "shrink", 4)
    assert sel is not None and sel.box == (4, 4, 36, 26)


def test_grey_dilation_is_the_max_over_the_disc() -> None:
    rng = np.random.default_rng(5)
    alpha = rng.integers(0, 256, (30, 40), dtype=np.uint8) * (rng.random((30, 40)) < 0.05)
    radius = 4
    got = dilate_disc(alpha.astype(np.uint8), radius)
    padded = np.pad(alpha, radius)
    expected = np.zeros_like(alpha)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy <= radius * radius:
                shifted = padded[radius + dy : radius + dy + 30, radius + dx : radius + dx + 40]
                expected = np.maximum(expected, shifted)
    assert (got == expected).all()


def test_feather_softens_the_edge_and_keeps_the_area() -> None:
    canvas = (200, 200)
    rect = shapes.rectangle(canvas, (50, 50, 150, 150))
    soft = feather(rect, 10)
    assert soft is not None and soft.box[0] < 50 and soft.box[2] > 150
    assert soft.area == pytest.approx(rect.area, rel=0.01)  # type: ignore[union-attr]
    assert soft.covers(100, 100) == 255 and 100 < soft.covers(50, 100) < 155  # the edge at about half
    values = soft.on_canvas()[100, 30:70]
    assert (np.diff(values.astype(int)) >= 0).all()  # a ramp up


def test_modifiers_need_a_selection_except_invert_all_none() -> None:
    doc = Document((10, 10))
    for action in ("grow", "shrink", "feather"):
        with pytest.raises(BadInput, match="nothing is selected"):
            select_action_command(doc, SelectActionParams(action, 3))


# --- undo and parameters ------------------------------------------------------------------------------------------
def test_each_selection_change_is_one_undo_step_and_snapshots_keep_theirs() -> None:
    doc = Document((30, 30))
    first = _select(doc, shape="rect", box=[0, 0, 10, 10])
    snap = doc.snapshot()
    _select(doc, shape="ellipse", box=[5, 5, 25, 25], mode="add")
    assert doc.history.undo_text == "Add to selection: ellipse" and doc.history.index == 2
    assert selection_of(snap) is first  # a snapshot keeps the selection it was taken with
    assert doc.history.undo() and doc.selection is first
    assert doc.history.undo() and doc.selection is None
    assert doc.history.redo() and doc.selection is first
    events: list[str] = []
    doc.subscribe(lambda event, payload: events.append(event))
    _act(doc, "none")
    assert "selection" in events


def test_replacing_the_document_forgets_what_was_deselected_and_undo_brings_it_back() -> None:
    from seethrough.core.commands import ReplaceDocument

    doc = Document((30, 20))
    first = _select(doc, shape="rect", box=[5, 5, 10, 10])
    _act(doc, "none")
    doc.history.push(ReplaceDocument.of(Document((30, 20))))
    with pytest.raises(BadInput, match="nothing was deselected"):
        _act(doc, "reselect")
    assert doc.history.undo() and doc.deselected is first


def test_replacing_the_document_drops_the_selection_and_undo_brings_it_back() -> None:
    from seethrough.core.commands import ReplaceDocument

    doc = Document((30, 30))
    sel = _select(doc, shape="rect", box=[0, 0, 10, 10])
    doc.history.push(ReplaceDocument.of(Document((60, 40)), "Decompose"))
    assert doc.selection is None
    doc.history.undo()
    assert doc.selection is sel


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"shape": "star"}, "shape must be one of"),
        ({"shape": "rect"}, "needs a box"),
        ({"shape": "rect", "box": [0, 0, 0, 5]}, "is empty"),
        ({"shape": "rect", "box": [0, 0, float("nan"), 5]}, "finite"),
        ({"shape": "polygon", "points": [[0, 0], [1, 1]]}, "3 to"),
        ({"shape": "wand"}, "needs a point"),
        ({"shape": "wand", "at": [1, 1], "tolerance": 256}, "tolerance"),
        ({"shape": "wand", "at": [1, 1], "tolerance": 2.5}, "whole number"),
        ({"shape": "rect", "box": [0, 0, 4, 4], "mode": "xor"}, "mode must be one of"),
        ({"shape": "layer-alpha"}, "needs a layer"),
        ({"shape": "tag", "tag": ""}, "non-empty"),
    ],
)
def test_bad_parameters_are_one_line(params: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message) as info:
        SelectParams.from_dict({"op": "select", **params})
    assert "\n" not in str(info.value)


def test_unknown_keys_and_bad_radius_are_refused() -> None:
    with pytest.raises(BadInput, match="unknown parameter 'radius'"):
        SelectParams.from_dict({"shape": "rect", "box": [0, 0, 1, 1], "radius": 2})
    with pytest.raises(BadInput, match="px"):
        SelectActionParams("grow", 0)
    with pytest.raises(BadInput, match="px"):
        SelectActionParams("feather", 10_000)
    assert SelectActionParams.from_dict({"op": "select", "action": "grow", "px": 3}).px == 3
    params = SelectParams.from_dict({"shape": "polygon", "points": [[0, 0], [5, 0], [5, 5]]})
    assert params.points == ((0.0, 0.0), (5.0, 0.0), (5.0, 5.0))  # lists become tuples: the value is hashable
    hash(params)


def test_wand_outside_the_canvas_is_refused() -> None:
    doc = Document((10, 10), [Layer("a", np.full((10, 10, 4), 255, np.uint8))])
    with pytest.raises(BadInput, match="outside the canvas"):
        select_command(doc, SelectParams("wand", at=(10, 3)))
    with pytest.raises(BadInput, match="no layer named"):
        select_command(doc, SelectParams("wand", at=(1, 3), layer="nope"))


def test_invert_of_a_soft_selection() -> None:
    soft = from_region((4, 1), np.array([[0, 100, 255, 30]], np.uint8))
    inverted = invert(soft, (4, 1))
    assert inverted is not None and inverted.on_canvas().tolist() == [[255, 155, 0, 225]]


# --- everything but a hole: `outside` --------------------------------------------------------------------------
def test_select_all_and_an_inverted_hole_store_only_their_box() -> None:
    canvas = (4000, 3000)
    everything = select_action_command(Document(canvas), SelectActionParams("all")).selection
    assert everything is not None and everything.alpha.size == 0 and everything.area == 4000 * 3000
    hole = shapes.rectangle(canvas, (100, 100, 140, 120))
    inverted = invert(hole, canvas)
    assert inverted is not None and inverted.alpha.nbytes == 40 * 20 and inverted.outside == 255
    assert inverted.area == 4000 * 3000 - 800 and inverted.covers(0, 0) == 255 and inverted.covers(110, 110) == 0
    assert inverted.covers(-1, 5) == 0 and inverted.covers(4000, 5) == 0  # outside the canvas: never selected
    back = invert(inverted, canvas)
    assert back is not None and back.outside == 0 and back.box == hole.box  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["add", "subtract", "intersect"])
def test_modes_agree_with_dense_masks_when_the_rest_is_selected(mode: str) -> None:
    canvas = (120, 90)
    hole = invert(shapes.ellipse(canvas, (20, 10, 70, 60)), canvas)
    other = shapes.polygon(canvas, [(50, 30), (110, 40), (80, 85)])
    for first, second in ((hole, other), (other, hole), (hole, invert(other, canvas))):
        a = _canvas(first, canvas).astype(int)
        b = _canvas(second, canvas).astype(int)
        expected = {"add": np.maximum(a, b), "subtract": np.minimum(a, 255 - b), "intersect": np.minimum(a, b)}[mode]
        assert (_canvas(combine(first, second, mode), canvas) == expected).all()


@pytest.mark.parametrize("modifier", [grow, shrink, feather])
def test_modifiers_agree_with_dense_masks_when_the_rest_is_selected(modifier: object) -> None:
    canvas = (90, 70)
    hole = shapes.ellipse(canvas, (30, 20, 60, 50))
    inverted = invert(hole, canvas)
    assert inverted is not None
    dense = from_region(canvas, inverted.on_canvas())  # the same mask stored whole, 0 outside its box
    assert dense is not None and dense.outside == 0
    got = modifier(inverted, 6)  # type: ignore[operator]
    want = modifier(dense, 6)  # type: ignore[operator]
    assert (_canvas(got, canvas) == _canvas(want, canvas)).all()
