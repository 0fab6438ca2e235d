"""Model-free parts of the decomposition engine: passes, the V3→V2 depth frames, compositing."""

import numpy as np

from seethrough.core.decompose.engine import depth_frames, layer_passes, over
from seethrough.core.taxonomy import taxonomy


def test_v3_runs_body_then_head_with_group_indices():
    body, head = layer_passes("v3")
    assert (body.name, body.group_index, len(body.tags)) == ("body", 0, 13)
    assert (head.name, head.group_index, len(head.tags)) == ("head", 1, 11)
    assert "head" in body.tags
    v2 = layer_passes("v2")
    assert len(v2) == 1 and v2[0].group_index is None and len(v2[0].tags) == 19


def test_over_is_porter_duff_for_two_pixels():
    bottom = np.zeros((1, 1, 4), np.uint8)
    bottom[...] = (0, 0, 255, 255)
    top = np.zeros((1, 1, 4), np.uint8)
    top[...] = (255, 0, 0, 128)
    out = over([bottom, top])[0, 0]
    a = 128 / 255
    assert tuple(out) == (round(255 * a), 0, round(255 * (1 - a)), 255)


def test_depth_frames_merge_v3_sublayers_into_paper_classes():
    shape = (8, 8)
    front = np.zeros((*shape, 4), np.uint8)
    front[:4, :, :] = 200
    back = np.zeros((*shape, 4), np.uint8)
    back[4:, :, :] = 100
    faint = np.zeros((*shape, 4), np.uint8)
    faint[..., 3] = 10  # below the authors' alpha 15 cut: becomes empty
    names, frames = depth_frames({"front hair": front, "back hair": back, "face": faint}, shape)
    assert names == list(taxonomy().v2) and frames.shape == (19, 8, 8, 4)
    hair = frames[names.index("hair")]
    assert (hair[..., 3] > 0).all()  # union of both sub-layers
    assert frames[names.index("face")].max() == 0
    assert frames[names.index("tail")].max() == 0
