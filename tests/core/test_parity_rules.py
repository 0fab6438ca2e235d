"""The authors' rules reproduced for parity, on small hand-made arrays (the goldens check them end to end)."""

from __future__ import annotations

import numpy as np

from seethrough.core.colour_padding import pad_colours_training
from seethrough.core.decompose.depth_stage import additive_composite, sub_layer_depths
from seethrough.core.decompose.geometry import SquareFrame, head_crop
from seethrough.core.decompose.postprocess import authors_parts, keep_part
from seethrough.core.stratify import lr_split_pair


def test_training_padding_keeps_opaque_colours_and_fills_from_them():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[8:16, 8:16] = (200, 40, 10, 255)
    rgba[20:28, 20:28] = (10, 40, 200, 255)
    out = pad_colours_training(rgba)
    np.testing.assert_allclose(out[8:16, 8:16], np.broadcast_to(np.array([200, 40, 10]) / 255, (8, 8, 3)), atol=1e-6)
    # a transparent pixel next to the red square is reddish, next to the blue one bluish
    assert out[12, 17, 0] > out[12, 17, 2] and out[24, 19, 2] > out[24, 19, 0]


def test_additive_composite_sums_alpha_and_stays_premultiplied():
    a = np.zeros((1, 2, 4), np.uint8)
    a[..., :] = (200, 0, 0, 128)
    b = np.zeros((1, 2, 4), np.uint8)
    b[0, 0] = (0, 0, 200, 200)
    out = additive_composite([a, b])
    assert out[0, 0, 3] == 255 and out[0, 1, 3] == 128  # 128 + 200 clipped; alone
    assert out[0, 1, 0] == int(200 * 128 / 255)  # premultiplied, truncated


def test_hidden_pixels_take_the_visible_median_and_a_fully_hidden_layer_keeps_the_composite():
    depth = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10
    top = np.zeros((4, 4, 4), np.uint8)
    top[:, :2, 3] = 255
    middle = np.zeros((4, 4, 4), np.uint8)
    middle[:, 1:3, 3] = 255
    hidden = np.zeros((4, 4, 4), np.uint8)
    hidden[:, :1, 3] = 255
    maps = sub_layer_depths(depth, [hidden, middle, top], ["hidden", "middle", "top"])
    np.testing.assert_array_equal(maps["top"][:, :2], depth[:, :2])
    visible = depth[:, 2]
    assert (maps["middle"][:, 1] == int(np.median(visible))).all() and (maps["middle"][:, 2] == visible).all()
    assert (maps["middle"][:, 3] == 255).all()
    np.testing.assert_array_equal(maps["hidden"][:, 0], depth[:, 0])  # no NaN: the composite's depth


def test_drop_rule_ignores_the_bottom_right_strip():
    alpha = np.zeros((100, 100), np.uint8)
    alpha[92:, 92:] = 255  # only in the strip
    assert not keep_part(alpha)
    alpha[50, 40:45] = 255  # five pixels outside it
    assert keep_part(alpha)
    alpha[50, 40] = 10  # alpha must be above 10
    assert not keep_part(alpha)


def test_head_crop_uses_the_canvas_box_and_integer_mapping():
    frame = SquareFrame(150, 102, 128)  # scale 150/128, pad y = 24
    head = np.zeros((128, 128, 4), np.uint8)
    head[30:50, 50:78, 3] = 200
    crop = head_crop(head, frame)
    scale = 150 / 128
    x, y, w, h = int(50 * scale), int(30 * scale) - 24, int(28 * scale), int(20 * scale)
    mx, my = min(150 - x - w, x, w // 5), min(102 - y - h, y, h // 5)
    assert crop.box == (x - mx, y - my, x + w + mx, y + h + my)
    assert crop.origin == (int((x - mx) / scale), int((y - my) / scale + 24 / scale))
    assert head_crop(np.zeros_like(head), frame) is None


def test_lr_split_pair_keeps_the_two_largest_and_names_by_box_centre():
    rgba = np.zeros((20, 60, 4), np.uint8)
    rgba[5:15, 40:55] = 255  # the larger, on the image right → "-l"
    rgba[5:12, 5:15] = 255  # image left → "-r"
    rgba[2:4, 28:30] = 255  # a speck: dropped
    depth = np.full((20, 60), 0.25, np.float32)
    pieces = lr_split_pair(rgba, depth)
    assert [p[0] for p in pieces] == ["r", "l"]
    (_, r, r_depth, r_off), (_, left, _, l_off) = pieces
    assert r_off == (5, 5) and r.shape[:2] == (7, 10) and l_off == (40, 5) and left.shape[:2] == (10, 15)
    assert (r_depth == 0.25).all()


def test_parts_follow_the_authors_order_and_face_rules():
    canvas = np.full((64, 64, 4), 90, np.uint8)
    layers, depths = {}, {}
    for tag, box, d in (("face", (10, 10, 40, 40), 100), ("nose", (20, 20, 26, 26), 150), ("ears", (5, 10, 9, 20), 50),
                        ("topwear", (10, 40, 50, 56), 200)):
        rgba = np.zeros((64, 64, 4), np.uint8)
        x0, y0, x1, y1 = box
        rgba[y0:y1, x0:x1] = 255
        layers[tag] = rgba
        depths[tag] = np.full((64, 64), d, np.uint8)
    parts = authors_parts(canvas, layers, depths, ["face", "ears", "nose", "topwear"])
    names = [p.name for p in parts]
    assert names == ["topwear", "ears", "face", "nose"]  # far first; ears just behind, nose just in front of the face
    face = parts[2].depth_median
    assert abs(parts[1].depth_median - (face + 0.001)) < 1e-9 and abs(parts[3].depth_median - (face - 0.001)) < 1e-9
    assert (parts[3].rgba[..., :3] == 90).all()  # nose colours from the canvas
    assert parts[0].offset == (10, 40) and parts[0].rgba.shape[:2] == (16, 40)
