"""The transform tool's handle geometry (app/tools/transform_geometry.py): a dragged handle lands where the pointer
is while the opposite side stays, at any rotation; the affine is the core's, so the previewed box is the box the
operation transforms."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.app.tools.transform_geometry import HANDLES, Placement, angle_at
from seethrough.core import edit_limits as lim
from seethrough.core.transform import TransformParams, transform_affine

BOX = (10, 20, 110, 80)  # 100 × 60, centre (60, 50)


@pytest.mark.parametrize("rotate", [0.0, 30.0, 90.0, 211.5])
@pytest.mark.parametrize("handle", [(1, 1), (-1, 1), (1, -1), (-1, -1)])
def test_a_corner_lands_on_the_pointer_and_the_opposite_one_stays(rotate, handle):
    start = Placement((5.0, -3.0), (1.2, 0.8), rotate)
    opposite = (-handle[0], -handle[1])
    fixed = start.handle_point(BOX, opposite)
    target = np.add(start.handle_point(BOX, handle), (17.0, -9.0))
    moved = start.dragged(BOX, handle, tuple(target))
    assert moved.handle_point(BOX, handle) == pytest.approx(tuple(target), abs=0.02)
    assert moved.handle_point(BOX, opposite) == pytest.approx(fixed, abs=0.02)
    assert moved.rotate == start.rotate


@pytest.mark.parametrize("handle", [(1, 0), (0, -1)])
def test_an_edge_scales_one_axis(handle):
    start = Placement((0.0, 0.0), (1.0, 1.0), 45.0)
    opposite = (-handle[0], -handle[1])
    fixed = start.handle_point(BOX, opposite)
    moved = start.dragged(BOX, handle, (200.0, -40.0))
    changed = 0 if handle[0] else 1
    assert moved.scale[1 - changed] == 1.0 and moved.scale[changed] != 1.0
    assert moved.handle_point(BOX, opposite) == pytest.approx(fixed, abs=0.02)


def test_keep_aspect_scales_both_axes_alike_and_dragging_past_flips():
    moved = Placement().dragged(BOX, (1, 1), (160.0, 90.0), keep_aspect=True)
    assert moved.scale[0] == moved.scale[1] == 1.5  # x asked 1.5, y asked 7/6: the larger wins
    flipped = Placement().dragged(BOX, (1, 0), (-40.0, 50.0))  # the right edge dragged past the left one
    assert flipped.scale == (-0.5, 1.0)
    tiny = Placement().dragged(BOX, (1, 0), (10.0, 50.0))  # onto the opposite edge: the smallest scale allowed
    assert tiny.scale[0] == pytest.approx(lim.MIN_SCALE, abs=2e-4)
    TransformParams(layer="x", scale=tiny.scale)  # which the operation accepts


def test_the_affine_is_the_operations():
    placement = Placement((3.25, -7.5), (1.5, -0.75), 33.0)
    params = TransformParams(layer="x", translate=placement.translate, scale=placement.scale, rotate=placement.rotate)
    core = transform_affine(params, (60.0, 50.0))
    mine = placement.affine(BOX)
    assert np.allclose(mine.linear, core.linear) and np.allclose(mine.shift, core.shift)
    for handle in HANDLES:
        point = placement.handle_point(BOX, handle)
        assert placement.unmap(BOX, point) == pytest.approx((60 + handle[0] * 50, 50 + handle[1] * 30))
    assert placement.contains(BOX, placement.centre_point(BOX))
    assert not placement.contains(BOX, (500.0, 500.0))


def test_values_are_rounded_as_the_log_writes_them_and_flips_mirror_in_the_box():
    placement = Placement((1.23456, 2.0), (1.234567, 1.0), 10.006)
    assert placement.translate == (1.23, 2.0) and placement.scale == (1.2346, 1.0) and placement.rotate == 10.01
    assert Placement().is_identity and Placement(rotate=360.0).is_identity
    assert not Placement(scale=(-1.0, 1.0)).is_identity
    assert Placement().flipped("h").scale == (-1.0, 1.0) and Placement().flipped("v").scale == (1.0, -1.0)
    assert angle_at((0.0, 0.0), (0.0, 5.0)) == 90.0  # down is clockwise on the screen
