"""The brush engine: dabs, spacing, pressure, smoothing, and each tool on the sample character (core/brush/)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from seethrough.core.brush import STROKE_LIMITS, StrokeEngine, StrokeParams, stroke_command
from seethrough.core.brush.apply import paint_value, stroke_preview
from seethrough.core.brush.dabs import Dab, dab_window, stroke_dabs
from seethrough.core.brush.engine import StrokeMask
from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput, LayerLocked
from seethrough.core.io.project import load_project, save_project
from seethrough.core.sample import build_sample_document
from seethrough.core.tiles import TILE, TiledPlane


def _profile(rho: float, diameter: float, hardness: float) -> float:
    """The dab profile as docs/painting.md defines it, one pixel at a time."""
    r = diameter / 2
    outer, inner = r + 0.5, max(0.0, min(hardness * r, r - 0.5))
    if rho <= inner:
        return 1.0
    if rho >= outer:
        return 0.0
    return 0.5 * (1 + math.cos(math.pi * (rho - inner) / (outer - inner)))


def _coverage(engine: StrokeEngine, doc: Document) -> np.ndarray:
    return engine.mask.coverage((0, 0, doc.width, doc.height))


# --- dabs -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("diameter", "hardness"), [(40.0, 1.0), (25.3, 0.5), (9.0, 0.0), (100.0, 0.8)])
def test_dab_alpha_follows_its_analytic_profile(diameter: float, hardness: float) -> None:
    dab = Dab(x=50.3, y=61.7, diameter=diameter, opacity=1.0)
    x0, y0, alpha = dab_window(dab, hardness)
    for j in range(alpha.shape[0]):
        for i in range(alpha.shape[1]):
            rho = math.hypot(x0 + i + 0.5 - dab.x, y0 + j + 0.5 - dab.y)
            assert alpha[j, i] == pytest.approx(_profile(rho, diameter, hardness), abs=1e-5)
    outer = diameter / 2 + 0.5  # the window holds every pixel centre closer than the outer radius
    assert x0 <= dab.x - outer + 0.5 and x0 + alpha.shape[1] >= dab.x + outer - 0.5


def test_hard_dab_covers_its_disc_area_and_a_soft_one_less() -> None:
    for diameter in (20.0, 60.0):
        area = math.pi * (diameter / 2) ** 2
        hard = dab_window(Dab(30.0, 30.0, diameter, 1.0), 1.0)[2].sum()
        soft = dab_window(Dab(30.0, 30.0, diameter, 1.0), 0.2)[2].sum()
        assert hard == pytest.approx(area, rel=0.01)  # anti-aliased rim, no more, no less
        assert soft < 0.8 * area
    half = dab_window(Dab(30.0, 30.0, 20.0, 0.5), 1.0)[2]
    assert half.max() == pytest.approx(0.5)  # the dab's opacity scales it


# --- spacing, pressure, smoothing -------------------------------------------------------------------------------------
def _line(length: float, pressure: float = 1.0, **brush: object) -> StrokeParams:
    return StrokeParams("l", "paint", points=((10.0, 20.0, pressure), (10.0 + length, 20.0, pressure)), **brush)


def test_spacing_gives_the_expected_dab_count() -> None:
    assert len(stroke_dabs(_line(1003, size=100, spacing=0.1))) == 1003 // 10 + 1
    assert len(stroke_dabs(_line(1003, size=100, spacing=0.25))) == 1003 // 25 + 1
    assert len(stroke_dabs(_line(1003, size=100, spacing=2.0))) == 1003 // 200 + 1
    dabs = stroke_dabs(_line(1003, size=100, spacing=0.1))
    assert [round(d.x - 10) for d in dabs[:4]] == [0, 10, 20, 30]  # evenly along the path
    assert len(stroke_dabs(_line(0, size=100))) == 1  # a click lays one dab


def test_pressure_drives_size_and_opacity_through_the_curve() -> None:
    curve = ((0.0, 0.0), (0.5, 0.2), (1.0, 1.0))
    sized = stroke_dabs(_line(1003, 0.5, size=100, spacing=0.1, pressure_curve=curve))
    assert all(d.diameter == pytest.approx(20.0) and d.opacity == 1.0 for d in sized)
    assert len(sized) == 1003 // 2 + 1  # spacing follows the smaller dab: every 2 px
    faded = stroke_dabs(_line(1003, 0.75, size=100, spacing=0.1, flow=0.5, pressure_curve=curve,
                              pressure_size=False, pressure_opacity=True))
    assert all(d.diameter == 100.0 and d.opacity == pytest.approx(0.5 * 0.6) for d in faded)
    assert len(faded) == 1003 // 10 + 1
    ramp = stroke_dabs(StrokeParams("l", "paint", size=50, points=((0, 0, 0.2), (400, 0, 1.0))))
    diameters = [d.diameter for d in ramp]
    assert diameters == sorted(diameters) and diameters[0] == pytest.approx(10.0)
    assert diameters[-1] == pytest.approx(50 * (0.2 + 0.8 * ramp[-1].x / 400))


def test_pressure_changes_what_a_stroke_paints() -> None:
    doc = Document((200, 100), [Layer("l", np.zeros((100, 200, 4), np.uint8))])
    widths = []
    for pressure in (0.3, 1.0):
        engine = StrokeEngine.run(_line(150, pressure, size=40, hardness=1.0), doc.size)
        column = _coverage(engine, doc)[:, 80]
        widths.append(float(column.sum()))
    assert widths[0] == pytest.approx(12, abs=1.0) and widths[1] == pytest.approx(40, abs=1.0)


def test_smoothing_stabilises_a_shaky_line_and_ends_at_the_pen() -> None:
    shaky = tuple((10.0 + 5 * i, 50.0 + (6 if i % 2 else -6), 1.0) for i in range(60))
    raw = stroke_dabs(StrokeParams("l", "paint", size=10, points=shaky))
    smooth = stroke_dabs(StrokeParams("l", "paint", size=10, points=shaky, smoothing=0.8))
    deviation = [float(np.std([d.y for d in dabs if 60 < d.x < 290])) for dabs in (raw, smooth)]
    assert deviation[1] < 0.5 * deviation[0]
    step = 0.1 * 10  # spacing × diameter
    assert math.dist((smooth[-1].x, smooth[-1].y), shaky[-1][:2]) <= step  # the stroke ends where the pen left
    assert math.dist((raw[-1].x, raw[-1].y), shaky[-1][:2]) <= step


# --- parameters -------------------------------------------------------------------------------------------------------
def test_params_use_the_operation_format_and_refuse_bad_values() -> None:
    op = {"op": "stroke", "layer": "face", "tool": "move-to-layer", "target": "front hair", "size": 30,
          "hardness": 0.5, "opacity": 0.9, "color": "#A0b0C0", "value": 0.3, "points": [[1, 2, 0.5], [3, 4]]}
    params = StrokeParams.from_mapping(op)
    assert params.points == ((1.0, 2.0, 0.5), (3.0, 4.0, 1.0)) and params.color == "#a0b0c0"
    assert StrokeParams.from_mapping(params.to_mapping()) == params
    bad = [
        {"size": 0}, {"size": STROKE_LIMITS["size"][1] + 1}, {"hardness": 1.5}, {"opacity": -0.1},
        {"color": "red"}, {"value": float("nan")}, {"points": []}, {"points": [[1, 2, 3]]}, {"points": [[1]]},
        {"tool": "smudge"}, {"target": None}, {"target": "face"}, {"spacing": 0}, {"flow": 0},
        {"pressure_curve": [[0.5, 0], [0.2, 1]]}, {"pressure_size": "yes"}, {"brush": 1},
    ]
    for change in bad:
        with pytest.raises(BadInput) as info:
            StrokeParams.from_mapping({**op, **change})
        assert info.value.args[0].startswith("stroke: ") and "\n" not in info.value.args[0]


# --- tools on the sample character ------------------------------------------------------------------------------------
def _sample() -> Document:
    return build_sample_document()


def _stroke(doc: Document, **fields: object) -> Layer:
    params = StrokeParams(**fields)  # type: ignore[arg-type]
    doc.history.push(stroke_command(doc, params))
    return doc.layers[doc.index_of(doc.find(str(fields["layer"])).uid)]  # type: ignore[union-attr]


def test_paint_lays_the_colour_under_the_stroke_and_changes_nothing_else() -> None:
    doc = _sample()
    before = doc.find("face")
    assert before is not None
    params = StrokeParams("face", "paint", size=30, hardness=0.7, color="#123456",
                          points=((300, 300, 1.0), (420, 330, 1.0)))
    engine = StrokeEngine.run(params, doc.size)
    doc.history.push(stroke_command(doc, params, engine))
    after = doc.find("face")
    assert after is not None and after.uid == before.uid
    coverage = _coverage(engine, doc)
    old, new = before.on_canvas(doc.size), after.on_canvas(doc.size)
    assert (new[coverage >= 1] == (0x12, 0x34, 0x56, 255)).all()
    assert np.array_equal(new[coverage == 0], old[coverage == 0])
    partial = (coverage > 0) & (coverage < 1)
    assert (new[partial][:, 3] >= old[partial][:, 3]).all()  # paint never lowers alpha
    assert after.depth_plane is before.depth_plane  # inside an opaque layer: no pixel appeared, depth untouched


def test_a_stroke_replaces_only_the_tiles_it_changes_and_undo_restores_the_layer() -> None:
    doc = _sample()
    before = doc.find("back hair")
    assert before is not None
    after = _stroke(doc, layer="back hair", tool="erase", size=24, points=((250, 300, 1.0), (330, 420, 1.0)))
    old, new = before.rgba, after.rgba
    changed = {
        (tx, ty)
        for ty in range(0, before.height, TILE)
        for tx in range(0, before.width, TILE)
        if not np.array_equal(old[ty : ty + TILE, tx : tx + TILE], new[ty : ty + TILE, tx : tx + TILE])
    }
    replaced = {key for key, tile in after.pixels.tiles.items() if before.pixels.tile(key) is not tile}
    assert replaced == {(tx // TILE, ty // TILE) for tx, ty in changed} and 0 < len(replaced) < 12
    assert after.pixels.shared_tiles(before.pixels) == len(before.pixels.tiles) - len(replaced)
    assert doc.history.undo() and doc.find("back hair") is before
    assert doc.history.redo() and doc.find("back hair").pixels is after.pixels  # type: ignore[union-attr]


def test_erase_lowers_alpha_and_keeps_colour() -> None:
    doc = _sample()
    before = doc.find("topwear")
    assert before is not None
    params = StrokeParams("topwear", "erase", size=40, hardness=0.3, opacity=0.8,
                          points=((300, 650, 1.0), (470, 700, 1.0)))
    engine = StrokeEngine.run(params, doc.size)
    doc.history.push(stroke_command(doc, params, engine))
    old, new = before.on_canvas(doc.size), doc.find("topwear").on_canvas(doc.size)  # type: ignore[union-attr]
    coverage = _coverage(engine, doc) * 0.8
    assert (new[..., 3] <= old[..., 3]).all() and np.array_equal(new[..., :3], old[..., :3])
    hit = (coverage > 0.05) & (old[..., 3] > 100)
    assert hit.sum() > 1000 and (new[..., 3][hit] < old[..., 3][hit]).all()
    expected = old[..., 3] * (1 - coverage)
    assert np.abs(new[..., 3].astype(np.float32) - expected).max() <= 1.0
    assert (new[..., 3][coverage == 0] == old[..., 3][coverage == 0]).all()


def test_restore_reproduces_the_source_inside_the_stroke_and_nowhere_else() -> None:
    doc = _sample()
    face = doc.find("face")
    assert face is not None
    hole = _stroke(doc, layer="face", tool="erase", size=60, hardness=1.0, points=((380, 300, 1.0),))
    assert hole.on_canvas(doc.size)[300, 380, 3] == 0
    params = StrokeParams("face", "restore", size=50, hardness=0.6, points=((350, 300, 1.0), (410, 300, 1.0)))
    engine = StrokeEngine.run(params, doc.size)
    doc.history.push(stroke_command(doc, params, engine))
    restored = doc.find("face").on_canvas(doc.size)  # type: ignore[union-attr]
    coverage, source, old = _coverage(engine, doc), doc.source, hole.on_canvas(doc.size)
    assert source is not None
    inside, outside = coverage >= 1, coverage == 0
    assert inside.sum() > 1000
    visible = inside & (source[..., 3] > 0)
    assert np.array_equal(restored[visible], source[visible])
    assert (restored[inside & (source[..., 3] == 0)][:, 3] == 0).all()
    assert np.array_equal(restored[outside], old[outside])


def test_move_to_layer_conserves_the_pixels_between_the_two_layers() -> None:
    sample = _sample()
    face, hair = sample.find("face"), sample.find("front hair")
    assert face is not None and hair is not None
    doc = Document(sample.size, [face, hair], source=sample.source)  # face below, front hair above
    params = StrokeParams("face", "move-to-layer", target="front hair", size=40, hardness=0.5,
                          points=((260, 420, 1.0), (330, 470, 1.0), (420, 480, 1.0)))
    engine = StrokeEngine.run(params, doc.size)
    before = composite(doc)
    doc.history.push(stroke_command(doc, params, engine))
    new_face, new_hair = doc.layers
    moved = (_coverage(engine, doc) >= 0.5) & (face.on_canvas(doc.size)[..., 3] > 0)
    assert moved.sum() > 1000
    old_f, old_h = face.on_canvas(doc.size), hair.on_canvas(doc.size)
    new_f, new_h = new_face.on_canvas(doc.size), new_hair.on_canvas(doc.size)
    assert (new_f[..., 3][moved] == 0).all() and np.array_equal(new_f[~moved], old_f[~moved])
    joined = moved & (old_h[..., 3] == 0)
    assert joined.sum() > 500 and np.array_equal(new_h[joined], old_f[joined])  # the pixels themselves moved
    assert np.array_equal(new_h[~moved], old_h[~moved])
    assert np.abs(composite(doc).astype(int) - before.astype(int)).max() <= 1  # the picture did not change
    depth = new_hair.depth_on_canvas(doc.size)
    old_depth = hair.depth_on_canvas(doc.size)
    assert np.allclose(depth[joined], hair.depth_value) and np.array_equal(depth[~joined], old_depth[~joined])
    assert new_face.depth_plane is face.depth_plane


def test_move_into_a_lower_layer_keeps_the_stacking() -> None:
    sample = _sample()
    face, hair = sample.find("face"), sample.find("front hair")
    assert face is not None and hair is not None
    doc = Document(sample.size, [face, hair])
    before = composite(doc)
    doc.history.push(stroke_command(doc, StrokeParams("front hair", "move-to-layer", target="face", size=60,
                                                      points=((300, 250, 1.0), (450, 260, 1.0)))))
    assert not np.array_equal(doc.layers[1].rgba, hair.rgba)
    assert np.abs(composite(doc).astype(int) - before.astype(int)).max() <= 1


def test_depth_paint_changes_only_depth() -> None:
    doc = _sample()
    before = doc.find("face")
    assert before is not None
    params = StrokeParams("face", "depth", size=40, value=0.1, points=((300, 300, 1.0), (400, 320, 1.0)))
    engine = StrokeEngine.run(params, doc.size)
    doc.history.push(stroke_command(doc, params, engine))
    after = doc.find("face")
    assert after is not None and after.pixels is before.pixels and after.bbox == before.bbox
    coverage = _coverage(engine, doc)
    old, new = before.depth_on_canvas(doc.size), after.depth_on_canvas(doc.size)
    inside_box = np.zeros(coverage.shape, bool)
    x0, y0, x1, y1 = before.bbox
    inside_box[y0:y1, x0:x1] = True
    assert np.allclose(new[(coverage >= 1) & inside_box], 0.1)
    assert np.array_equal(new[coverage == 0], old[coverage == 0])
    flat = Layer("flat", np.full((50, 50, 4), 255, np.uint8), (10, 10), depth_value=0.7)
    doc = Document((100, 100), [flat])
    painted = _stroke(doc, layer="flat", tool="depth", size=10, value=0.0, points=((20, 20, 1.0),))
    assert painted.depth is not None and painted.depth[10, 10] == 0 and painted.depth[40, 40] == pytest.approx(0.7)
    assert len(painted.depth_plane.tiles) == 1  # type: ignore[union-attr]  # a flat map stores nothing but the dab


def test_mask_plane_painting() -> None:
    mask = TiledPlane.constant((0, 0, 300, 200), 255, np.uint8)  # a layer mask that shows everything
    engine = StrokeEngine.run(StrokeParams("l", "mask", size=30, hardness=1.0, value=0.0,
                                           points=((100, 100, 1.0), (250, 100, 1.0))), (400, 300))
    hidden = paint_value(mask, engine.mask, (-20, -10), 0.0)  # the layer's planes start at canvas (20, 10)
    dense = hidden.to_dense()
    coverage = engine.mask.coverage((20, 10, 320, 210))
    assert (dense[coverage >= 1] == 0).all() and (dense[coverage == 0] == 255).all()
    assert hidden.box == mask.box  # clipped to the mask's box
    half = paint_value(hidden, engine.mask, (-20, -10), 1.0, opacity=0.5)
    assert abs(int(half.to_dense()[90, 150]) - 128) <= 1


def test_a_layer_grows_when_painted_outside_and_saves_cropped(tmp_path) -> None:
    doc = _sample()
    before = doc.find("mouth")
    assert before is not None
    x0, y0, x1, y1 = before.bbox
    after = _stroke(doc, layer="mouth", tool="paint", size=12, hardness=0.5, color="#ff0000",
                    points=((x1 + 30, y1 + 40, 1.0), (x1 + 80, y1 + 45, 1.0)))
    canvas = after.on_canvas(doc.size)
    ys, xs = np.nonzero(canvas[..., 3])
    painted = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    assert after.bbox == (x0, y0, max(x1, painted[2]), max(y1, painted[3]))  # grown to the paint, no further
    assert painted[2] > x1 + 80 and after.depth is not None and after.depth.shape == (after.height, after.width)
    assert np.array_equal(canvas[y0:y1, x0:x1], before.rgba)  # nothing moved
    assert np.allclose(after.depth_on_canvas(doc.size)[y1 + 43, x1 + 50], before.depth_value)
    save_project(doc, tmp_path / "grown.seethrough")
    loaded = load_project(tmp_path / "grown.seethrough").find("mouth")
    assert loaded is not None and loaded.bbox == after.bbox and np.array_equal(loaded.rgba, after.rgba)
    assert np.array_equal(loaded.depth, after.depth)  # type: ignore[arg-type]


def test_locked_layers_refuse_strokes_and_bad_strokes_are_refused() -> None:
    doc = _sample()
    face = doc.find("face")
    assert face is not None
    doc.history.push(stroke_command(doc, StrokeParams("face", "paint", points=((300, 300, 1.0),))))
    from seethrough.core.commands import SetLayerProperty

    doc.history.push(SetLayerProperty(face.uid, "locked", True))
    count = doc.history.count
    for params in (StrokeParams("face", "paint", points=((300, 300, 1.0),)),
                   StrokeParams("eyebrow", "move-to-layer", target="face", points=((300, 330, 1.0),))):
        with pytest.raises(LayerLocked):
            stroke_command(doc, params)
    with pytest.raises(BadInput, match="no layer named"):
        stroke_command(doc, StrokeParams("nobody", "paint", points=((1, 1, 1.0),)))
    with pytest.raises(BadInput, match="has no layer mask"):
        stroke_command(doc, StrokeParams("eyebrow", "mask", points=((1, 1, 1.0),)))
    bare = Document(doc.size, list(doc.layers))
    with pytest.raises(BadInput, match="no source"):
        stroke_command(bare, StrokeParams("eyebrow", "restore", points=((1, 1, 1.0),)))
    assert doc.history.count == count


def test_live_engine_matches_the_replay_and_its_preview() -> None:
    doc = _sample()
    params = StrokeParams("face", "paint", size=25, color="#00ff00", smoothing=0.5, spacing=0.2,
                          points=tuple((300 + 7 * i, 300 + 3 * (i % 5), 0.4 + 0.01 * i) for i in range(40)))
    live = StrokeEngine(dataclasses.replace(params, points=params.points[:1]), doc.size)
    dirty = (0, 0, 0, 0)
    for x, y, p in params.points:
        rect = live.add(x, y, p)
        if rect is not None:
            dirty = (min(dirty[0] or rect[0], rect[0]), min(dirty[1] or rect[1], rect[1]),
                     max(dirty[2], rect[2]), max(dirty[3], rect[3]))
    live.finish()
    live_params = dataclasses.replace(params, points=tuple(live.points))
    from_live = stroke_command(doc, live_params, live).edits[0].pixels.to_dense()
    replayed = stroke_command(doc, params).edits[0].pixels.to_dense()
    assert np.array_equal(from_live, replayed)
    face = doc.find("face")
    assert face is not None
    preview = stroke_preview(face, live.mask, params, live.mask.bbox)
    doc.history.push(stroke_command(doc, live_params, live))
    x0, y0, x1, y1 = live.mask.bbox
    assert np.array_equal(preview, doc.find("face").on_canvas(doc.size)[y0:y1, x0:x1])  # type: ignore[union-attr]


def test_a_stroke_off_the_canvas_changes_nothing() -> None:
    doc = _sample()
    face = doc.find("face")
    command = stroke_command(doc, StrokeParams("face", "paint", size=20, points=((-100, -100, 1.0), (-50, -60, 1.0))))
    assert command.edits[0].pixels.shared_tiles(face.pixels) == len(face.pixels.tiles)  # type: ignore[union-attr]
    assert StrokeMask(doc.size).coverage((0, 0, 10, 10)).sum() == 0


def test_a_save_started_before_a_stroke_lands_writes_the_state_before_it(tmp_path) -> None:
    doc = _sample()
    before = doc.find("face")
    assert before is not None
    snapshot = doc.snapshot()  # what a save job takes when it starts
    _stroke(doc, layer="face", tool="paint", size=40, color="#ff00ff", points=((300, 300, 1.0), (420, 330, 1.0)))
    assert not np.array_equal(doc.find("face").rgba, before.rgba)  # type: ignore[union-attr]
    save_project(snapshot, tmp_path / "during.seethrough")  # the job writes while the stroke has landed
    saved = load_project(tmp_path / "during.seethrough").find("face")
    assert saved is not None and np.array_equal(saved.rgba, before.rgba) and saved.bbox == before.bbox
