"""The preview's motion model: parallax by depth, sway, breathing and the hair spring (no Qt)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seethrough.core.commands import SetLayerProperty
from seethrough.core.document import Document, Layer
from seethrough.core.parallax import SPRING_STEP, LayerTransform, MotionSettings, ParallaxRig, batch_runs


def _blob(w: int, h: int, color: tuple[int, int, int]) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2 <= 1
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[inside] = (*color, 255)
    return rgba


def _character() -> Document:
    """A tiny character: back hair, body, topwear, face, eyes, front hair, an object in front."""
    spec = [
        ("back hair", (20, 10), (60, 70), 0.9),
        ("legwear", (35, 80), (30, 40), 0.7),
        ("topwear", (30, 50), (40, 40), 0.6),
        ("neck", (45, 45), (10, 10), 0.58),
        ("face", (30, 15), (40, 35), 0.5),
        ("irides", (40, 28), (20, 6), 0.45),
        ("front hair", (25, 8), (50, 25), 0.3),
        ("objects", (70, 60), (20, 20), 0.1),
    ]
    layers = [
        Layer(name=tag, tag=tag, rgba=_blob(w, h, (200, 100, 50)), offset=off, depth_value=d)
        for tag, off, (w, h), d in spec
    ]
    return Document((100, 120), layers)


def _by_tag(doc: Document, rig: ParallaxRig, **kw: object) -> dict[str, LayerTransform]:
    return {doc.layer(tr.uid).tag: tr for tr in rig.pose(**kw)}  # type: ignore[arg-type]


def test_zero_pointer_at_t0_is_identity() -> None:
    doc = _character()
    rig = ParallaxRig(doc)
    pose = rig.pose(pointer=(0.0, 0.0), t=0.0)
    assert len(pose) == len(doc)
    assert all(tr.is_identity for tr in pose)
    for tr in pose:
        assert tr.map(13.0, 57.0) == pytest.approx((13.0, 57.0))


def test_pose_is_far_to_near_and_skips_hidden_layers() -> None:
    doc = _character()
    doc.history.push(SetLayerProperty(doc.layers[3].uid, "visible", False))
    rig = ParallaxRig(doc)
    uids = [tr.uid for tr in rig.pose()]
    assert uids == [layer.uid for layer in doc.layers_by_depth() if layer.visible]
    assert len(rig.pose(include_hidden=True)) == len(doc)


def test_near_layers_move_more_along_the_pointer() -> None:
    doc = _character()
    rig = ParallaxRig(doc, MotionSettings(sway=False, breathing=False, hair_spring=False))
    pointer = (0.8, -0.5)
    moved = []
    for layer in doc.layers_by_depth():  # far → near
        tr = next(t for t in rig.pose(pointer=pointer) if t.uid == layer.uid)
        cx = layer.offset[0] + layer.width / 2
        cy = layer.offset[1] + layer.height / 2
        x, y = tr.map(cx, cy)
        moved.append((x - cx) * pointer[0] + (y - cy) * pointer[1])  # displacement along the pointer direction
    assert moved == sorted(moved), "displacement along the pointer must grow from far to near"
    assert moved[-1] > 0 > moved[0]
    # the object in front (depth 0.1) moves more than the legs (0.7) in absolute terms too
    tags = _by_tag(doc, rig, pointer=pointer)
    assert math.hypot(tags["objects"].dx, tags["objects"].dy) > math.hypot(tags["legwear"].dx, tags["legwear"].dy)


def test_parallax_scales_with_strength_and_follows_formula() -> None:
    doc = _character()
    settings = MotionSettings(strength=0.1, sway=False, breathing=False, hair_spring=False)
    rig = ParallaxRig(doc, settings)
    tags = _by_tag(doc, rig, pointer=(1.0, 0.0))
    # (0.5 - depth) * strength * canvas size (max side 120)
    assert tags["objects"].dx == pytest.approx((0.5 - 0.1) * 0.1 * 120)
    settings.strength = 0.2
    assert _by_tag(doc, rig, pointer=(1.0, 0.0))["objects"].dx == pytest.approx((0.5 - 0.1) * 0.2 * 120)


def test_head_sways_around_the_neck_and_body_does_not() -> None:
    doc = _character()
    rig = ParallaxRig(doc, MotionSettings(breathing=False, hair_spring=False))
    tags = _by_tag(doc, rig, pointer=(0.0, 0.0), t=1.25)  # a quarter period of 0.2 Hz: full swing
    assert tags["face"].angle == pytest.approx(2.0)
    assert tags["irides"].angle == pytest.approx(2.0) and tags["front hair"].angle == pytest.approx(2.0)
    assert tags["face"].pivot == rig.neck
    assert tags["legwear"].is_identity and tags["topwear"].is_identity
    # the neck pivot is the bottom centre of the head parts (face, irides)
    assert rig.neck == pytest.approx((50.0, 50.0))


def test_breathing_is_periodic_and_anchored_at_the_waist() -> None:
    doc = _character()
    rig = ParallaxRig(doc, MotionSettings(sway=False, hair_spring=False))
    period = 1 / rig.settings.breath_hz
    for t in (0.3, 1.1, 2.7):
        a = _by_tag(doc, rig, t=t)
        b = _by_tag(doc, rig, t=t + period)
        c = _by_tag(doc, rig, t=t + 3 * period)
        for tag in a:
            assert a[tag].affine() == pytest.approx(b[tag].affine(), abs=1e-9)
            assert a[tag].affine() == pytest.approx(c[tag].affine(), abs=1e-9)
    peak = _by_tag(doc, rig, t=period / 4)["topwear"]
    assert peak.scale_y == pytest.approx(1.01)
    waist = rig.waist
    assert peak.map(*waist) == pytest.approx(waist)  # the waist does not move
    assert peak.map(waist[0], waist[1] - 40)[1] < waist[1] - 40  # the chest rises
    # the head rises by as much as the top of the torso
    face = _by_tag(doc, rig, t=period / 4)["face"]
    assert face.dy == pytest.approx(-(rig.waist[1] - rig.neck[1]) * 0.01)


def test_hair_spring_trails_then_converges_to_rest() -> None:
    doc = _character()
    rig = ParallaxRig(doc, MotionSettings(sway=False, breathing=False))
    rig.set_pointer(1.0, 0.0)  # a sudden pointer jump: the head follows at once, the hair lags
    rig.step(1 / 60)
    early = _by_tag(doc, rig)
    rigid = ParallaxRig(doc, MotionSettings(sway=False, breathing=False, hair_spring=False))
    target = _by_tag(doc, rigid, pointer=(1.0, 0.0))
    assert abs(early["back hair"].dx - target["back hair"].dx) > 0.5
    energies = []
    for _ in range(10):
        rig.step(1.0)
        energies.append(rig.spring_energy())
    assert energies[-1] < 1e-8
    assert energies[-1] < energies[0]
    late = _by_tag(doc, rig)
    for tag in ("back hair", "front hair"):
        assert late[tag].affine() == pytest.approx(target[tag].affine(), abs=1e-4)


def test_spring_overshoots_a_little_because_it_is_underdamped() -> None:
    doc = _character()
    rig = ParallaxRig(doc, MotionSettings(sway=False, breathing=False))
    rig.set_pointer(1.0, 0.0)
    target = _by_tag(
        doc, ParallaxRig(doc, MotionSettings(sway=False, breathing=False, hair_spring=False)), pointer=(1.0, 0.0)
    )["front hair"].dx
    start = _by_tag(doc, rig)["front hair"].dx
    peak = start
    for _ in range(120):
        rig.step(1 / 60)
        peak = max(peak, _by_tag(doc, rig)["front hair"].dx)
    assert peak > target > start


def test_spring_is_deterministic_regardless_of_frame_slicing() -> None:
    doc = _character()
    a, b = ParallaxRig(doc), ParallaxRig(doc)
    a.set_pointer(0.7, 0.3)
    b.set_pointer(0.7, 0.3)
    for _ in range(90):  # 1.5 s as 60 Hz frames
        a.step(1 / 60)
    for _ in range(360):  # the same 1.5 s as fixed-step-sized slices
        b.step(SPRING_STEP)
    assert a.t == pytest.approx(b.t)
    for ta, tb in zip(a.pose(), b.pose(), strict=True):
        assert ta.affine() == pytest.approx(tb.affine(), abs=1e-9)
    c = ParallaxRig(doc)
    c.set_pointer(0.7, 0.3)
    for _ in range(90):
        c.step(1 / 60)
    assert [t.affine() for t in c.pose()] == [t.affine() for t in a.pose()]


def test_update_document_keeps_clock_and_reset_returns_to_identity() -> None:
    doc = _character()
    rig = ParallaxRig(doc)
    rig.set_pointer(-0.5, 0.5)
    rig.step(0.5)
    t = rig.t
    doc.history.push(SetLayerProperty(doc.layers[0].uid, "depth_value", 0.95))
    rig.update_document(doc)
    assert rig.t == t
    assert any(not tr.is_identity for tr in rig.pose())
    rig.reset()
    assert all(tr.is_identity for tr in rig.pose())
    with pytest.raises(ValueError):
        rig.step(-1.0)


def test_affine_matches_rotation_about_pivot() -> None:
    tr = LayerTransform("x", dx=3.0, dy=-2.0, angle=90.0, pivot=(10.0, 10.0))
    # (20, 10) is 10 px right of the pivot; +90° (clockwise on a y-down screen) puts it 10 px below
    assert tr.map(20.0, 10.0) == pytest.approx((13.0, 18.0))


def test_pre_shift_then_shared_linear_map_equals_the_full_map() -> None:
    tr = LayerTransform("x", dx=7.5, dy=-3.25, angle=-2.5, scale_x=1.0, scale_y=1.01, pivot=(40.0, 90.0))
    ex, ey = tr.pre_shift()
    shared = LayerTransform("x", angle=tr.angle, scale_x=tr.scale_x, scale_y=tr.scale_y, pivot=tr.pivot)
    for x, y in ((0.0, 0.0), (100.0, 20.0), (-30.0, 250.0)):
        assert shared.map(x + ex, y + ey) == pytest.approx(tr.map(x, y))


def test_batch_runs_group_neighbours_sharing_rotation_and_keep_order() -> None:
    doc = _character()
    rig = ParallaxRig(doc, MotionSettings(breathing=True, sway=True, hair_spring=True))
    rig.set_pointer(0.5, 0.2)
    rig.step(1.3)
    pose = rig.pose()
    runs = batch_runs(pose)
    assert [tr.uid for run in runs for tr in run] == [tr.uid for tr in pose]
    tags = [[doc.layer(tr.uid).tag for tr in run] for run in runs]
    assert ["topwear", "neck"] in tags  # the torso breathes as one
    assert ["face", "irides"] in tags  # the head sways as one
    assert ["front hair"] in tags and ["back hair"] in tags  # each hair stratum has its own spring
    assert all(len(run) == 1 for run in runs if run[0].linear_key is None)
