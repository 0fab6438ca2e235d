"""Augmentation keeps layers, composite and depth aligned, and is reproducible from the seed."""

import numpy as np

from seethrough.training.augment import Backgrounds, TrainSample, augment, over_background


def _sample():
    h, w = 40, 60
    comp = np.zeros((h, w, 4), np.uint8)
    comp[10:20, 5:15] = (255, 0, 0, 255)
    layer = comp.copy()
    depth = np.ones((h, w), np.float32)
    depth[10:20, 5:15] = 0.25
    return TrainSample(comp, {"face": layer}, {"face": depth})


def test_same_geometry_for_everything_and_reproducible():
    s = _sample()
    a = augment(s, 32, np.random.default_rng(7), flip_p=1.0, crop_p=0.0)
    b = augment(s, 32, np.random.default_rng(7), flip_p=1.0, crop_p=0.0)
    np.testing.assert_array_equal(a.composite, b.composite)
    assert a.composite.shape == (32, 32, 4) and a.depths["face"].shape == (32, 32)
    np.testing.assert_array_equal(a.layers["face"], a.composite)
    opaque = a.composite[..., 3] > 200
    assert opaque.any()
    assert np.allclose(a.depths["face"][opaque], 0.25, atol=0.05)
    # flipped: the red block, on the left of a 60-wide canvas padded to 60², ends up on the right
    xs = np.nonzero(opaque)[1]
    assert xs.mean() > 16


def test_flat_colour_backgrounds_and_compositing():
    rng = np.random.default_rng(0)
    bg = Backgrounds().sample((8, 4), rng)
    assert bg.shape == (4, 8, 3) and (bg == bg[0, 0]).all()
    rgba = np.zeros((4, 8, 4), np.uint8)
    rgba[0, 0] = (200, 100, 50, 255)
    out = over_background(rgba, bg)
    assert tuple(out[0, 0]) == (200, 100, 50) and (out[1:] == bg[1:]).all()


def test_backgrounds_from_a_folder(tmp_path):
    import cv2

    img = np.zeros((50, 80, 3), np.uint8)
    img[..., 1] = 255  # green (BGR)
    cv2.imwrite(str(tmp_path / "g.png"), img)
    bg = Backgrounds(tmp_path).sample((32, 16), np.random.default_rng(1))
    assert bg.shape == (16, 32, 3) and (bg[..., 1] == 255).all() and bg[..., 0].max() == 0


def test_malformed_datasets_are_refused_clearly(tmp_path):
    import json

    import pytest

    from seethrough.core.errors import BadInput
    from seethrough.training.data import LayerDataset

    (tmp_path / "dataset.json").write_text("{ broken")
    with pytest.raises(BadInput, match="not valid JSON"):
        LayerDataset(tmp_path)
    (tmp_path / "dataset.json").write_text(json.dumps({"schema_version": 1, "samples": [{"split": "train"}]}))
    with pytest.raises(BadInput, match=r"samples\[0\]\.id"):
        LayerDataset(tmp_path)
    (tmp_path / "dataset.json").write_text(json.dumps({"schema_version": 9, "samples": []}))
    with pytest.raises(BadInput, match="newer version"):
        LayerDataset(tmp_path)
    sample = {"id": "a", "model": "m", "split": "test", "canvas": [64, 64], "tags": ["face"]}
    (tmp_path / "dataset.json").write_text(json.dumps({"schema_version": 1, "samples": [sample]}))
    with pytest.raises(BadInput, match="no samples in the 'train' split"):
        LayerDataset(tmp_path)
    (tmp_path / "dataset.json").write_text(json.dumps({"schema_version": 1, "samples": [{**sample, "split": "train"}]}))
    with pytest.raises(BadInput, match="missing"):
        LayerDataset(tmp_path).load(0)
