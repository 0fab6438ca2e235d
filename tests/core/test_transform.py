"""Transform: exact where pixels map onto pixels, premultiplied resampling elsewhere, selections float."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput, ImageTooLarge, LayerLocked
from seethrough.core.sample import build_sample_document
from seethrough.core.selection import SelectParams, select_command
from seethrough.core.transform import TransformParams, transform_command
from tests.core.helpers import snapshot


def _random_layer(size: tuple[int, int] = (10, 7), offset: tuple[int, int] = (3, 4), seed: int = 0) -> Layer:
    rng = np.random.default_rng(seed)
    w, h = size
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    rgba[..., 3] = np.maximum(rgba[..., 3], 1)  # content touches every side of the box
    return Layer("a", rgba, offset, depth=rng.random((h, w)).astype(np.float32), tag="face")


def _push(doc: Document, **params: object) -> None:
    doc.history.push(transform_command(doc, TransformParams(**params)))  # type: ignore[arg-type]


def _same(a: Layer, b: Layer) -> bool:
    return (a.offset == b.offset and a.rgba.shape == b.rgba.shape and (a.rgba == b.rgba).all()
            and a.depth is not None and b.depth is not None and (a.depth == b.depth).all())


def test_identity_is_exact() -> None:
    layer = _random_layer()
    doc = Document((40, 30), [layer])
    _push(doc, layer="a")
    assert _same(doc.layers[0], layer)


@pytest.mark.parametrize("size", [(10, 7), (8, 8), (9, 5), (6, 4)])
@pytest.mark.parametrize("angle", [90, -90, 270, 180])
def test_four_quarter_turns_give_the_layer_back(size: tuple[int, int], angle: int) -> None:
    layer = _random_layer(size)
    doc = Document((40, 30), [layer])
    turns = 4 if angle != 180 else 2
    for _ in range(turns):
        _push(doc, layer="a", rotate=angle)
    assert _same(doc.layers[0], layer)


def test_a_quarter_turn_is_numpys_rotation_about_the_centre() -> None:
    layer = _random_layer((10, 6), (20, 10))
    doc = Document((60, 40), [layer])
    _push(doc, layer="a", rotate=90)  # clockwise on the screen
    turned = doc.layers[0]
    assert (turned.rgba == np.rot90(layer.rgba, k=-1)).all()
    assert turned.depth is not None and (turned.depth == np.rot90(layer.depth, k=-1)).all()  # type: ignore[arg-type]
    assert turned.bbox == (22, 8, 28, 18)  # the centre (25, 13) stays


@pytest.mark.parametrize("flip", ["h", "v"])
def test_flip_twice_gives_the_layer_back_and_once_mirrors(flip: str) -> None:
    layer = _random_layer()
    doc = Document((40, 30), [layer])
    _push(doc, layer="a", flip=flip)
    mirrored = doc.layers[0]
    assert (mirrored.rgba == (layer.rgba[:, ::-1] if flip == "h" else layer.rgba[::-1])).all()
    assert mirrored.bbox == layer.bbox
    _push(doc, layer="a", flip=flip)
    assert _same(doc.layers[0], layer)


def test_whole_pixel_moves_are_exact_and_fractional_ones_resample() -> None:
    layer = _random_layer()
    doc = Document((40, 30), [layer])
    _push(doc, layer="a", translate=[5, -2])
    moved = doc.layers[0]
    assert moved.offset == (8, 2) and (moved.rgba == layer.rgba).all()
    _push(doc, layer="a", translate=[0.25, 0])
    assert doc.layers[0].rgba.shape[1] == layer.rgba.shape[1] + 1  # spread over one more column


def _soft_disc(colour: tuple[int, int, int], size: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    alpha = np.clip((size * 0.42 - np.hypot(xx - size / 2, yy - size / 2)) * 25, 0, 255).astype(np.uint8)
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = alpha
    rgba[alpha == 0, :3] = 0  # black under transparency: straight-alpha resampling would pull it in
    return rgba


@pytest.mark.parametrize(("scale", "rotate"), [(0.3, 0), (0.5, 30), (1.0, 45), (2.7, 0), (1.6, 117)])
def test_no_dark_fringe_after_scaling_a_soft_edged_layer(scale: float, rotate: float) -> None:
    colour = (200, 120, 40)
    rgba = _soft_disc(colour)
    doc = Document((200, 200), [Layer("s", rgba, (60, 60))])
    _push(doc, layer="s", scale=[scale, scale], rotate=rotate)
    out = doc.layers[0].rgba
    seen = out[..., 3] > 0
    assert seen.sum() > 0
    assert np.abs(out[seen][:, :3].astype(int) - colour).max() <= 1  # every visible pixel keeps the colour
    # premultiplied, the covered area scales with the square of the scale
    area = out[..., 3].sum() / 255.0
    assert area == pytest.approx(rgba[..., 3].sum() / 255.0 * scale * scale, rel=0.02)


def test_depth_is_resampled_nearest() -> None:
    rgba = np.full((20, 20, 4), 255, np.uint8)
    depth = np.zeros((20, 20), np.float32)
    depth[:, 10:] = 1.0
    doc = Document((100, 100), [Layer("d", rgba, (40, 40), depth=depth)])
    _push(doc, layer="d", scale=[1.5, 1.3], rotate=20)
    values = np.unique(doc.layers[0].depth)  # type: ignore[arg-type]
    assert set(values.tolist()) <= {0.0, 1.0}  # no depth in between the two surfaces


def test_a_selection_floats_the_selected_pixels_and_moves_with_them() -> None:
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[:, :20] = (255, 0, 0, 255)
    rgba[:, 20:] = (0, 0, 255, 255)
    doc = Document((100, 60), [Layer("a", rgba, (10, 10))])
    doc.history.push(select_command(doc, SelectParams("rect", box=(30, 10, 50, 30))))  # the blue half
    before = snapshot(doc)
    _push(doc, layer="a", translate=[0, 20])
    moved = doc.layers[0]
    assert moved.bbox == (10, 10, 50, 50)
    canvas = moved.on_canvas(doc.size)
    assert (canvas[10:30, 10:30] == (255, 0, 0, 255)).all()
    assert (canvas[30:50, 30:50] == (0, 0, 255, 255)).all() and (canvas[10:30, 30:50, 3] == 0).all()
    assert doc.selection is not None and doc.selection.box == (30, 30, 50, 50)
    assert doc.history.undo() and snapshot(doc) == before and doc.selection.box == (30, 10, 50, 30)


def test_rotating_a_selection_on_the_sample_keeps_the_rest() -> None:
    sample = build_sample_document()
    doc = Document(sample.size, sample.layers)
    doc.history.push(select_command(doc, SelectParams("ellipse", box=(330, 380, 440, 450))))
    sel = doc.selection.on_canvas()  # type: ignore[union-attr]
    old = doc.find("face").on_canvas(doc.size)  # type: ignore[union-attr]
    _push(doc, layer="face", rotate=180)
    new = doc.find("face").on_canvas(doc.size)  # type: ignore[union-attr]
    assert (new[sel == 0] == old[sel == 0]).all()  # 180° about the piece's centre: the piece maps onto its hole
    assert doc.selection is not None and doc.selection.area == pytest.approx(sel.sum() / 255.0)  # turned with it


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"layer": "a", "scale": [0, 1]}, "at least"),
        ({"layer": "a", "scale": [1, 100]}, "within"),
        ({"layer": "a", "rotate": float("inf")}, "finite"),
        ({"layer": "a", "translate": [1]}, "two numbers"),
        ({"layer": "a", "flip": "x"}, "flip must be one of"),
        ({"layer": "a", "shear": 3}, "unknown parameter"),
    ],
)
def test_bad_parameters(params: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        TransformParams.from_dict(params)


def test_output_cap_and_off_canvas_and_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = _random_layer((20, 20), (0, 0))
    doc = Document((40, 40), [layer])
    monkeypatch.setenv("SEETHROUGH_MAX_PIXELS", str(50 * 50))
    with pytest.raises(ImageTooLarge, match="over the limit"):
        transform_command(doc, TransformParams("a", scale=(3.0, 3.0)))
    with pytest.raises(BadInput, match="more than a canvas"):
        transform_command(doc, TransformParams("a", translate=(60, 0)))
    locked = Document((40, 40), [layer.copy(locked=True)])
    with pytest.raises(LayerLocked):
        transform_command(locked, TransformParams("a", rotate=90))


def test_moving_with_everything_selected_moves_the_whole_layer_and_the_selection() -> None:
    from seethrough.core.selection import SelectActionParams, select_action_command

    layer = _random_layer((10, 7), (3, 4))
    doc = Document((40, 30), [layer])
    doc.history.push(select_action_command(doc, SelectActionParams("all")))
    _push(doc, layer="a", translate=[6, 2])
    moved = doc.layers[0]
    assert moved.offset == (9, 6) and (moved.rgba == layer.rgba).all()
    sel = doc.selection
    assert sel is not None and sel.covers(6, 2) == 255 and sel.covers(5, 5) == 0 and sel.covers(39, 29) == 255
