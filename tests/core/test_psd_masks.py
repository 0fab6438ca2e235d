"""PSD layer masks and clipping masks on import (issue 22: they were ignored without a word, the composite 7.5 dB
from GIMP's and psd-tools'). A document layer has no mask yet, so import applies them to the pixels — a layer mask
multiplies the layer's alpha, a clipping layer is drawn only where its base is — says so in the import warnings,
and the composite matches psd-tools' own. The test PSDs are written with psd-tools' public API (`create_mask`,
`clipping`), random pixels from a seeded generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage

from seethrough.core.compositing import composite
from seethrough.core.io.psd_import import import_psd

W, H = 64, 48


def _random_rgba(rng: np.random.Generator, h: int, w: int, binary_alpha: bool = False) -> np.ndarray:
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    if binary_alpha:  # a clipping base opaque inside its shape (psd-tools paints onto it; we mix by its alpha)
        rgba[..., 3] = np.where(rng.random((h, w)) < 0.7, 255, 0).astype(np.uint8)
    return rgba


def _masked_and_clipped(path: Path, seed: int, background: int = 0) -> None:
    rng = np.random.default_rng(seed)
    psd = PSDImage.new("RGBA", (W, H))
    psd.create_pixel_layer(Image.fromarray(_random_rgba(rng, H, W), "RGBA"), name="paper", top=0, left=0)
    masked = psd.create_pixel_layer(Image.fromarray(_random_rgba(rng, 30, 40), "RGBA"), name="masked", top=5,
                                    left=8)
    mask = rng.integers(0, 256, (20, 28), dtype=np.uint8)  # soft values, smaller than the layer, offset
    masked.create_mask(Image.fromarray(mask, "L"), top=12, left=14)
    if background:
        masked._record.mask_data.background_color = background  # outside the mask's box: shown (no API setter)
    psd.create_pixel_layer(Image.fromarray(_random_rgba(rng, 28, 36, binary_alpha=True), "RGBA"), name="skin",
                           top=14, left=20)
    for name, top, left in (("shade", 4, 10), ("light", 16, 26)):
        clip = psd.create_pixel_layer(Image.fromarray(_random_rgba(rng, 30, 40), "RGBA"), name=name, top=top,
                                      left=left)
        clip.clipping = True
    psd.create_pixel_layer(Image.fromarray(_random_rgba(rng, 10, 12), "RGBA"), name="on top", top=2, left=2)
    psd.save(path)


def _psd_tools_composite(path: Path) -> np.ndarray:
    return np.asarray(PSDImage.open(path).composite(force=True).convert("RGBA")).astype(int)


def _difference(ours: np.ndarray, ref: np.ndarray) -> tuple[float, int]:
    """(largest premultiplied colour difference, largest alpha difference), in 1/255: colour is compared as it
    shows, weighted by alpha (an 8-bit colour under a tiny alpha carries little precision)."""
    a, b = ours.astype(float), ref.astype(float)
    premultiplied = np.abs(a[..., :3] * a[..., 3:] - b[..., :3] * b[..., 3:]) / 255.0
    return float(premultiplied.max()), int(np.abs(a[..., 3] - b[..., 3]).max())


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("background", [0, 255])
def test_masks_and_clipping_are_applied_and_the_composite_matches_psd_tools(tmp_path, seed, background):
    path = tmp_path / "m.psd"
    _masked_and_clipped(path, seed, background)
    doc = import_psd(path, companions=False)
    colour, alpha = _difference(composite(doc), _psd_tools_composite(path))
    assert alpha <= 1 and colour <= 2, (colour, alpha)
    warnings = doc.metadata["import_warnings"]
    masked = doc.find("masked")
    assert masked.layer_mask is not None and masked.layer_mask.enabled  # kept as the layer's mask, not baked in
    assert not any("'masked'" in w for w in warnings)
    assert "layer 'shade': clipped to 'skin' (the clipping was applied to its pixels)" in warnings
    assert "layer 'light': clipped to 'skin' (the clipping was applied to its pixels)" in warnings
    assert [layer.name for layer in doc.layers] == ["paper", "masked", "skin", "shade", "light", "on top"]


def test_a_clipped_layer_never_shows_outside_its_base_and_hides_with_it(tmp_path):
    path = tmp_path / "c.psd"
    psd = PSDImage.new("RGBA", (W, H))
    base = np.zeros((20, 20, 4), np.uint8)
    base[5:15, 5:15] = (200, 40, 40, 255)
    psd.create_pixel_layer(Image.fromarray(base, "RGBA"), name="base", top=10, left=10)
    clip = psd.create_pixel_layer(Image.fromarray(np.full((H, W, 4), 255, np.uint8), "RGBA"), name="clip",
                                  top=0, left=0)
    clip.clipping = True
    psd.save(path)
    doc = import_psd(path, companions=False)
    clipped = doc.find("clip")
    assert clipped.bbox == (15, 15, 25, 25)  # cropped to the base's shape
    psd = PSDImage.open(path)
    psd[0].visible = False
    psd.save(path)
    assert not import_psd(path, companions=False).find("clip").visible  # a hidden base hides what clips to it


def test_a_disabled_mask_is_left_alone(tmp_path):
    path = tmp_path / "d.psd"
    psd = PSDImage.new("RGBA", (W, H))
    layer = psd.create_pixel_layer(Image.fromarray(np.full((20, 20, 4), 200, np.uint8), "RGBA"), name="a", top=4,
                                   left=4)
    layer.create_mask(Image.fromarray(np.zeros((20, 20), np.uint8), "L"))
    layer.mask.disabled = True
    psd.save(path)
    doc = import_psd(path, companions=False)
    assert doc.find("a").bbox == (4, 4, 24, 24) and not doc.metadata["import_warnings"]
    assert doc.find("a").layer_mask is not None and not doc.find("a").layer_mask.enabled  # kept, and off
    colour, alpha = _difference(composite(doc), _psd_tools_composite(path))
    assert alpha <= 1 and colour <= 1
