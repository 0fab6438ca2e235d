"""K-Means stratification, thresholds, inpainting and the left/right split, with their commands."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput
from seethrough.core.stratify import (
    kmeans_strata,
    kmeans_thresholds,
    lr_split,
    lr_split_command,
    split_by_thresholds,
    stratify_command,
)
from tests.core.helpers import check_undo_redo, solid


def two_mode_hair(seed: int = 0) -> tuple[Layer, np.ndarray]:
    """A 60×50 hair layer whose strands (every other 4-px column band) are near (≈0.2), the rest far (≈0.7)."""
    rng = np.random.default_rng(seed)
    h, w = 50, 60
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[5:45, 4:56] = (120, 60, 20, 255)
    near = np.zeros((h, w), bool)
    for x0 in range(4, 56, 8):
        near[5:45, x0 : x0 + 4] = True
    rgba[near] = (240, 200, 40, 255)
    depth = np.where(near, 0.2, 0.7).astype(np.float32) + rng.uniform(-0.04, 0.04, (h, w)).astype(np.float32)
    return Layer("Hair", rgba, offset=(10, 7), tag="hair", depth=depth), near


def test_kmeans_recovers_two_depth_modes() -> None:
    layer, near = two_mode_hair()
    strata = kmeans_strata(layer, k=2)
    assert [s.name for s in strata] == ["hair-0", "hair-1"]
    assert all(s.tag == "hair" and s.provenance == "stratify" for s in strata)
    front, back = strata
    assert abs(front.depth_value - 0.2) < 0.02 and abs(back.depth_value - 0.7) < 0.02
    # pixel sets: each stratum covers exactly its mode (compared on the original box)
    opaque = layer.alpha > 0
    for stratum, expected in ((front, near & opaque), (back, ~near & opaque)):
        got = np.zeros(layer.alpha.shape, bool)
        x, y = stratum.offset[0] - layer.offset[0], stratum.offset[1] - layer.offset[1]
        got[y : y + stratum.height, x : x + stratum.width] = stratum.alpha > 0
        assert np.array_equal(got, expected)
    assert front.uid != layer.uid and front.uid != back.uid
    # strata cropped to content: the near strands start at column 4 of the box
    assert front.offset == (14, 12)
    # deterministic
    again = kmeans_strata(layer, k=2)
    assert all(np.array_equal(a.rgba, b.rgba) for a, b in zip(strata, again, strict=True))


def test_thresholds_round_trip() -> None:
    layer, _ = two_mode_hair()
    thresholds = kmeans_thresholds(layer, 2)
    assert len(thresholds) == 1 and 0.3 < thresholds[0] < 0.6
    by_threshold = split_by_thresholds(layer, thresholds)
    by_kmeans = kmeans_strata(layer, 2)
    for a, b in zip(by_threshold, by_kmeans, strict=True):
        assert a.name == b.name and a.offset == b.offset and np.array_equal(a.rgba, b.rgba)
    # a dragged threshold moves pixels between strata; a threshold beyond all depths leaves one stratum
    assert len(kmeans_strata(layer, thresholds=[0.99])) == 1


def test_three_modes_and_too_few_values() -> None:
    depth = np.repeat(np.array([0.1, 0.5, 0.9], np.float32), 10)[None, :].repeat(6, axis=0)
    layer = solid("topwear", (30, 6), (50, 50, 50, 255), depth=depth)
    thresholds = kmeans_thresholds(layer, 3)
    assert np.allclose(thresholds, [0.3, 0.7], atol=1e-6)
    strata = kmeans_strata(layer, 3)
    assert [s.name for s in strata] == ["topwear-0", "topwear-1", "topwear-2"]
    assert [round(s.depth_value, 3) for s in strata] == [0.1, 0.5, 0.9]
    flat = solid("flat", (4, 4), (1, 2, 3, 255), depth=np.full((4, 4), 0.5, np.float32))
    assert kmeans_thresholds(flat, 2) == [] and len(kmeans_strata(flat, 2)) == 1


def test_stratify_needs_depth_map() -> None:
    with pytest.raises(BadInput):
        kmeans_strata(solid("x", (3, 3), (1, 1, 1, 255), depth=0.4))


def test_inpainting_fills_uncovered_region() -> None:
    # far blue sheet with a near red square in the middle
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[:] = (30, 60, 220, 255)
    rgba[14:26, 14:26] = (250, 10, 10, 255)
    depth = np.full((40, 40), 0.8, np.float32)
    depth[14:26, 14:26] = 0.2
    layer = Layer("topwear", rgba, tag="topwear", depth=depth)
    _, far = kmeans_strata(layer, 2, inpaint="opencv")
    assert far.offset == (0, 0) and far.rgba.shape == rgba.shape
    centre = far.rgba[16:24, 16:24]
    assert (centre[..., 3] == 255).all()  # alpha of the original layer there
    assert (centre[..., 2].astype(int) - centre[..., 0] > 100).all()  # bluish, not the occluder's red
    assert np.allclose(far.depth[14:26, 14:26], 0.8, atol=1e-6)
    # without inpainting the hole stays transparent
    _, bare = kmeans_strata(layer, 2, inpaint="none")
    assert (bare.rgba[14:26, 14:26, 3] == 0).all()
    with pytest.raises(BadInput):
        kmeans_strata(layer, 2, inpaint="no-such-inpainter")


def test_inpainting_never_extends_beyond_the_layer() -> None:
    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[5:25, 5:15] = (0, 0, 255, 255)
    rgba[5:25, 15:20] = (255, 0, 0, 255)  # near strip on the right edge of the layer
    depth = np.where(np.arange(30)[None, :] >= 15, 0.1, 0.9).astype(np.float32).repeat(30, axis=0)
    layer = Layer("hair", rgba, tag="hair", depth=depth)
    _, far = kmeans_strata(layer, 2, inpaint="opencv")
    canvas = np.zeros((30, 30), np.uint8)
    canvas[far.offset[1] : far.bbox[3], far.offset[0] : far.bbox[2]] = far.alpha
    assert canvas[rgba[..., 3] == 0].max() == 0
    assert (canvas[5:25, 5:20] == 255).all()


def test_stratify_command_places_strata_far_to_near_and_undoes() -> None:
    hair, _ = two_mode_hair()
    below = solid("face", (10, 10), (200, 180, 160, 255), depth=0.5)
    above = solid("headwear", (10, 10), (0, 0, 0, 255), depth=0.1)
    doc = Document((80, 70), [below, hair, above])
    check_undo_redo(doc, stratify_command(doc, hair.uid, k=2, inpaint="opencv"))
    assert [layer.name for layer in doc.layers] == ["face", "hair-1", "hair-0", "headwear"]


def two_blobs() -> Layer:
    rgba = np.zeros((30, 60, 4), np.uint8)
    depth = np.ones((30, 60), np.float32)
    rgba[5:25, 2:20] = (255, 0, 0, 255)  # image left, bigger: the character's right hand
    depth[5:25, 2:20] = 0.3
    rgba[8:20, 40:55] = (0, 0, 255, 255)  # image right
    depth[8:20, 40:55] = 0.6
    rgba[2, 57] = (0, 255, 0, 255)  # a speck near the right blob
    depth[2, 57] = 0.6
    return Layer("handwear", rgba, offset=(100, 50), tag="handwear", depth=depth)


def test_lr_split_two_blobs() -> None:
    right, left = lr_split(two_blobs())
    assert (right.name, left.name) == ("handwear-r", "handwear-l")
    assert right.bbox == (102, 55, 120, 75)
    assert (right.rgba[..., 0] == 255).all()
    assert left.bbox == (140, 52, 158, 70)  # includes the speck at x=157, y=2 (kept, not dropped)
    assert tuple(left.rgba[0, -1]) == (0, 255, 0, 255)
    assert right.depth_value == pytest.approx(0.3) and left.depth_value == pytest.approx(0.6)
    assert right.provenance == "lrsplit" and right.tag == "handwear"
    total = int((two_blobs().alpha > 0).sum())
    assert int((right.alpha > 0).sum() + (left.alpha > 0).sum()) == total


def test_lr_split_single_component_is_unchanged() -> None:
    layer = solid("ears", (5, 5), (1, 2, 3, 255), depth=0.4)
    assert lr_split(layer) == [layer]
    doc = Document((10, 10), [layer])
    with pytest.raises(BadInput):
        lr_split_command(doc, layer.uid)


def test_lr_split_command_orders_far_to_near_and_undoes() -> None:
    layer = two_blobs()
    doc = Document((200, 100), [solid("topwear", (5, 5), (9, 9, 9, 255)), layer])
    check_undo_redo(doc, lr_split_command(doc, layer.uid))
    assert [x.name for x in doc.layers] == ["topwear", "handwear-l", "handwear-r"]


def test_kmeans_on_more_pixels_than_the_fit_sample() -> None:
    rng = np.random.default_rng(5)
    depth = np.where(np.arange(200)[None, :] < 80, 0.15, 0.85).astype(np.float32).repeat(200, axis=0)
    depth += rng.uniform(-0.05, 0.05, depth.shape).astype(np.float32)
    layer = solid("bottomwear", (200, 200), (10, 200, 10, 255), depth=depth, tag="bottomwear")
    first = kmeans_thresholds(layer, 2, seed=0)
    assert first == kmeans_thresholds(layer, 2, seed=0)
    near, far = kmeans_strata(layer, 2)
    assert near.bbox == (0, 0, 80, 200) and far.bbox == (80, 0, 200, 200)


def test_inpainted_far_stratum_of_the_sample_has_no_black_fill():
    from seethrough.core.sample import build_sample_document
    from seethrough.core.stratify import kmeans_strata

    doc = build_sample_document()
    hair = doc.find("front hair")
    strata = kmeans_strata(hair, k=2, inpaint="opencv")
    far = strata[-1]
    opaque = far.rgba[..., 3] > 128
    dark = far.rgba[..., :3].max(axis=-1) < 40
    assert (dark & opaque).sum() < 0.01 * opaque.sum()
