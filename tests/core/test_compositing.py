"""Compositing maths against hand-computed "over" results, and the three drawing orders."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from seethrough.core.compositing import composite, composite_region
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput
from tests.core.helpers import solid


def over_reference(pixels: list[tuple[tuple[int, int, int, int], float]]) -> tuple[float, ...]:
    """Straight-alpha "over" of (rgba, opacity) pixels bottom→top, in float64 with the textbook formula."""
    out_c = np.zeros(3)
    out_a = 0.0
    for rgba, opacity in pixels:
        a = rgba[3] / 255 * opacity
        c = np.asarray(rgba[:3]) / 255
        new_a = a + out_a * (1 - a)
        out_c = (c * a + out_c * out_a * (1 - a)) / new_a if new_a > 0 else np.zeros(3)
        out_a = new_a
    return (*(out_c * 255), out_a * 255)


def test_two_semi_transparent_pixels_with_opacity() -> None:
    red = solid("red", (1, 1), (255, 0, 0, 128))
    blue = solid("blue", (1, 1), (0, 0, 255, 64), opacity=0.5)
    out = composite([red, blue], size=(1, 1))[0, 0]
    # by hand: a_top = 64/255*0.5 = 0.12549, a = 0.12549 + 0.50196*(1-0.12549) = 0.56446 → 144
    # R = 0.50196*0.87451/0.56446 = 0.7777 → 198; B = 0.12549/0.56446 = 0.2223 → 57
    assert tuple(out) == (198, 0, 57, 144)
    ref = over_reference([((255, 0, 0, 128), 1.0), ((0, 0, 255, 64), 0.5)])
    assert np.allclose(out, ref, atol=0.51)


def test_random_stack_matches_reference() -> None:
    rng = np.random.default_rng(1)
    pixels = [(tuple(int(v) for v in rng.integers(0, 256, 4)), float(rng.uniform(0.2, 1))) for _ in range(6)]
    layers = [solid(f"l{i}", (1, 1), rgba, opacity=op) for i, (rgba, op) in enumerate(pixels)]
    out = composite(layers, size=(1, 1))[0, 0]
    assert np.allclose(out, over_reference(pixels), atol=0.51)


def test_hidden_layer_and_zero_opacity_are_skipped() -> None:
    base = solid("base", (2, 2), (10, 20, 30, 255))
    hidden = solid("hidden", (2, 2), (255, 255, 255, 255), visible=False)
    clear = solid("clear", (2, 2), (255, 0, 0, 255), opacity=0.0)
    out = composite([base, hidden, clear], size=(2, 2))
    assert (out == (10, 20, 30, 255)).all()
    every = composite([base, hidden, clear], size=(2, 2), only_visible=False)
    assert (every == (255, 255, 255, 255)).all()  # opacity 0 still contributes nothing


def test_offsets_partly_and_fully_outside_canvas() -> None:
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0] = [(255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255)]
    partly = Layer("partly", rgba, offset=(-1, 1))
    outside = solid("outside", (2, 2), (255, 255, 255, 255), offset=(5, 5))
    below = solid("below", (2, 2), (9, 9, 9, 255), offset=(-3, -3))
    out = composite([partly, outside, below], size=(3, 3))
    assert tuple(out[1, 0]) == (0, 255, 0, 255)
    assert tuple(out[1, 1]) == (0, 0, 255, 255)
    assert out[1, 2, 3] == 0 and out[0].max() == 0 and out[2].max() == 0


def test_background_colour_and_image() -> None:
    black_half = solid("b", (2, 1), (0, 0, 0, 128))
    out = composite([black_half], size=(2, 1), background=(255, 255, 255))
    assert tuple(out[0, 0]) == (127, 127, 127, 255)
    bg = np.zeros((1, 2, 3), np.uint8)
    bg[0, 1] = (0, 200, 0)
    out = composite([], size=(2, 1), background=bg)
    assert tuple(out[0, 1]) == (0, 200, 0, 255)
    with pytest.raises(BadInput):
        composite([], size=(3, 3), background=bg)


def test_list_needs_size_and_unknown_mode() -> None:
    with pytest.raises(BadInput):
        composite([solid("a", (1, 1), (0, 0, 0, 255))])
    with pytest.raises(BadInput):
        composite(Document((2, 2)), mode="nope")


def test_depth_mode_orders_by_representative_depth() -> None:
    near = solid("near", (2, 2), (255, 0, 0, 255), depth=0.1)
    far = solid("far", (2, 2), (0, 0, 255, 255), depth=0.9)
    doc = Document((2, 2), [near, far])
    assert tuple(composite(doc, mode="stack")[0, 0]) == (0, 0, 255, 255)
    assert tuple(composite(doc, mode="depth")[0, 0]) == (255, 0, 0, 255)


def test_zbuffer_flips_when_depths_swap() -> None:
    a = solid("a", (2, 2), (255, 0, 0, 200), depth=np.full((2, 2), 0.2, np.float32))
    b = solid("b", (2, 2), (0, 0, 255, 200), depth=np.full((2, 2), 0.8, np.float32))
    first = composite([a, b], size=(2, 2), mode="zbuffer")
    assert first[0, 0, 0] > first[0, 0, 2]  # a (near) on top
    a = replace(a, depth=np.full((2, 2), 0.9, np.float32))
    second = composite([a, b], size=(2, 2), mode="zbuffer")
    assert second[0, 0, 2] > second[0, 0, 0]
    # the per-pixel result equals the stack composite in the per-pixel order
    assert np.array_equal(first, composite([b, a], size=(2, 2)))
    assert np.array_equal(second, composite([a, b], size=(2, 2)))


def test_zbuffer_sandwich_per_pixel() -> None:
    depth = np.array([[0.1, 0.9]], np.float32)
    hair = solid("hair", (2, 1), (255, 0, 0, 255), depth=depth)
    face = solid("face", (2, 1), (0, 255, 0, 255), depth=0.5)  # no map: depth_value everywhere
    out = composite([hair, face], size=(2, 1), mode="zbuffer")
    assert tuple(out[0, 0]) == (255, 0, 0, 255)
    assert tuple(out[0, 1]) == (0, 255, 0, 255)


def test_zbuffer_over_many_tiles_matches_stack_when_sorted() -> None:
    rng = np.random.default_rng(3)
    layers = []
    for i in range(5):
        rgba = rng.integers(0, 256, (150, 40, 4), dtype=np.uint8)
        layers.append(Layer(f"l{i}", rgba, (i * 7, i * 3), depth_value=1.0 - i * 0.2))
    z = composite(layers, size=(80, 160), mode="zbuffer")
    s = composite(layers, size=(80, 160), mode="stack")
    assert np.array_equal(z, s)


def test_region_equals_crop_of_full_composite() -> None:
    rng = np.random.default_rng(4)
    layers = [Layer(f"l{i}", rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), (i * 5 - 3, i * 4)) for i in range(4)]
    full = composite(layers, size=(40, 40))
    for mode in ("stack", "zbuffer"):
        assert np.array_equal(
            composite_region(layers, (5, 7, 33, 29), mode=mode), composite(layers, size=(40, 40), mode=mode)[7:29, 5:33]
        )
    assert np.array_equal(composite_region(layers, (5, 7, 33, 29)), full[7:29, 5:33])


@pytest.mark.parametrize("mode", ["stack", "zbuffer"])
def test_thin_and_odd_shapes_match_reference(mode: str) -> None:
    rng = np.random.default_rng(7)
    shapes = [(1, 1), (1, 5), (5, 1), (3, 4), (6, 6)]
    layers = []
    for i, (w, h) in enumerate(shapes):
        rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        depth = np.full((h, w), 1.0 - i * 0.1, np.float32)  # later layers nearer: z-order equals list order
        layers.append(Layer(f"l{i}", rgba, (i % 3, i % 2), depth=depth, opacity=0.8))
    out = composite(layers, size=(7, 7), mode=mode)
    for y in range(7):
        for x in range(7):
            pixels = []
            for layer in layers:
                lx, ly = x - layer.offset[0], y - layer.offset[1]
                if 0 <= lx < layer.width and 0 <= ly < layer.height:
                    pixels.append((tuple(int(v) for v in layer.rgba[ly, lx]), layer.opacity))
            ref = over_reference(pixels)
            if ref[3] < 0.5:
                assert out[y, x, 3] == 0
            else:
                assert np.allclose(out[y, x], ref, atol=0.51 + 255 / max(ref[3], 1) * 0.51), (x, y)
