"""Square framing, head crop and post-processing of the decomposition (no models involved)."""

import numpy as np
import pytest

from seethrough.core.decompose.geometry import SquareFrame, alpha_box, head_crop_box, paste
from seethrough.core.decompose.postprocess import FACE_EPSILON, build_document


def _image(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (height, width, 4), dtype=np.uint8)
    img[..., 3] = 255
    return img


@pytest.mark.parametrize("size", [(300, 200), (200, 300), (256, 256)])
def test_square_frame_round_trip(size):
    width, height = size
    frame = SquareFrame(width, height, 128)
    img = _image(width, height)
    canvas = frame.to_canvas(img)
    assert canvas.shape == (128, 128, 4)
    back = frame.to_original(canvas)
    assert back.shape == img.shape
    # the padding is transparent black, the image region is opaque
    if width != height:
        assert canvas[..., 3].min() == 0
    # low-pass content survives the round trip: compare blurred means per quadrant
    assert abs(float(back.mean()) - float(img.mean())) < 3.0


def test_square_frame_places_a_dot_back_where_it_was():
    frame = SquareFrame(400, 100, 200)
    img = np.zeros((100, 400, 4), np.uint8)
    img[40:60, 300:320] = 255
    back = frame.to_original(frame.to_canvas(img))
    box = alpha_box(back, threshold=127)
    assert box is not None
    x0, y0, x1, y1 = box
    assert abs(x0 - 300) <= 2 and abs(y0 - 40) <= 2 and abs(x1 - 320) <= 2 and abs(y1 - 60) <= 2


def test_canvas_box_maps_to_original():
    frame = SquareFrame(400, 200, 200)  # pad y = 100 on the 400 square, scale 0.5
    assert frame.pad == (0, 100)
    assert frame.canvas_box_to_original((10, 60, 30, 80)) == (20, 20, 60, 60)


def test_head_crop_margin_like_the_authors():
    # head 100 wide in a 1000-wide image: margin = min(left space 300, right space 600, 100 // 5 = 20)
    assert head_crop_box((300, 50, 400, 150), 1000, 1000) == (280, 30, 420, 170)
    # near the border: the margin is limited by the space left
    assert head_crop_box((5, 50, 105, 150), 1000, 1000)[0] == 0


def test_paste_clips():
    canvas = np.zeros((10, 10), np.uint8)
    paste(canvas, np.ones((4, 4), np.uint8), (8, -2))
    assert canvas.sum() == 4 and canvas[0:2, 8:10].all()


def _full(h, w, box, value=200):
    rgba = np.zeros((h, w, 4), np.uint8)
    x0, y0, x1, y1 = box
    rgba[y0:y1, x0:x1] = value
    return rgba


def test_build_document_orders_and_fixes_face_relations():
    h, w = 64, 64
    source = np.zeros((h, w, 4), np.uint8)
    source[..., :3] = 77
    source[..., 3] = 255
    layers = {
        "face": _full(h, w, (10, 10, 50, 50)),
        "nose": _full(h, w, (28, 28, 32, 34)),
        "ears": _full(h, w, (5, 20, 10, 30)),
        "back hair": _full(h, w, (5, 5, 60, 60)),
        "tail": _full(h, w, (0, 0, 1, 2)),  # 2 pixels: dropped
    }
    depths = {
        "face": np.full((h, w), 0.5, np.float32),
        "nose": np.full((h, w), 0.7, np.float32),  # predicted behind the face: must be pulled in front
        "ears": np.full((h, w), 0.2, np.float32),  # predicted in front: must go just behind the face
        "back hair": np.full((h, w), 0.9, np.float32),
    }
    doc = build_document(source, layers, depths)
    names = [layer.name for layer in doc.layers]
    assert "tail" not in names
    assert names == ["back hair", "ears", "face", "nose"]
    by = {layer.name: layer for layer in doc.layers}
    assert by["nose"].depth_value == pytest.approx(0.5 - FACE_EPSILON)
    assert by["ears"].depth_value == pytest.approx(0.5 + FACE_EPSILON)
    assert by["face"].bbox == (10, 10, 50, 50)
    # nose colour comes from the source image, alpha from the prediction
    assert (by["nose"].rgba[..., :3] == 77).all() and (by["nose"].rgba[..., 3] == 200).all()
    assert doc.size == (w, h)
