"""Padded-Gaussian colour filling under transparent pixels."""

import numpy as np

from seethrough.core.colour_padding import pad_transparent_colours


def test_opaque_pixels_keep_their_colour_and_holes_take_the_nearest_colour():
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[:, :20] = (255, 0, 0, 255)  # red, opaque, left
    rgba[:, 44:] = (0, 0, 255, 255)  # blue, opaque, right
    out = pad_transparent_colours(rgba)
    np.testing.assert_allclose(out[:, :20], np.broadcast_to([1, 0, 0], (64, 20, 3)), atol=1e-6)
    np.testing.assert_allclose(out[:, 44:], np.broadcast_to([0, 0, 1], (64, 20, 3)), atol=1e-6)
    # the transparent gap is filled with red near the red side and blue near the blue side, never black
    assert out[32, 22, 0] > out[32, 22, 2]
    assert out[32, 41, 2] > out[32, 41, 0]
    assert out[:, 20:44].sum(axis=-1).min() > 0.5


def test_fully_transparent_is_black_and_float_input_accepted():
    out = pad_transparent_colours(np.zeros((8, 8, 4), np.float32))
    assert out.shape == (8, 8, 3) and out.max() == 0
