"""The built-in sample is a usable test character: complete layers, a hair layer with two depth modes, pairs."""

import cv2
import numpy as np
import pytest

from core.commands import ReorderLayers
from core.compositing import composite
from core.layer_ops import sort_by_depth_command
from core.metrics import psnr
from core.sample import BACK_HAIR_DEPTH, FRONT_HAIR_DEPTH, build_sample_document
from core.stratify import kmeans_thresholds, stratify_command
from core.taxonomy import taxonomy


@pytest.fixture()
def doc():
    return build_sample_document()


def test_enough_tagged_layers_inside_the_canvas(doc):
    assert len(doc.layers) >= 12
    known = set(taxonomy().all_tags)
    for layer in doc.layers:
        assert layer.tag in known
        assert not layer.is_empty and layer.depth is not None
        x0, y0, x1, y1 = layer.bbox
        assert 0 <= x0 < x1 <= doc.width and 0 <= y0 < y1 <= doc.height
    depths = [layer.depth_value for layer in doc.layers]
    assert depths == sorted(depths, reverse=True)  # far to near


def test_hair_has_two_depth_modes_that_kmeans_finds(doc):
    hair = doc.find("hair")
    (threshold,) = kmeans_thresholds(hair, k=2)
    assert FRONT_HAIR_DEPTH < threshold < BACK_HAIR_DEPTH
    d = hair.depth[hair.mask]
    assert (d < threshold).mean() > 0.1 and (d > threshold).mean() > 0.3


def test_pairs_are_separate_blobs(doc):
    for name in ("handwear", "ears"):
        mask = doc.find(name).mask.astype(np.uint8)
        count, _ = cv2.connectedComponents(mask, connectivity=8)
        assert count - 1 == 2, name


def test_face_is_complete_under_the_fringe(doc):
    face, hair = doc.find("face"), doc.find("hair")
    face_canvas = face.on_canvas(doc.size)[..., 3] > 0
    front = (hair.depth_on_canvas(doc.size) < 0.5) & (hair.on_canvas(doc.size)[..., 3] > 0)
    hidden = face_canvas & front
    assert hidden.sum() > 2000  # the fringe covers part of the face, and the face is there underneath


def test_source_is_reproduced_once_the_hair_is_stratified(doc):
    before = psnr(composite(doc), doc.source)
    doc.history.push(stratify_command(doc, doc.find("hair").uid, k=2, inpaint="none"))
    doc.history.push(sort_by_depth_command(doc))
    after = psnr(composite(doc), doc.source)
    assert before < 30 < after
    names = [layer.name for layer in doc.layers]
    assert names.index("hair-1") < names.index("face") < names.index("hair-0")


def test_copies_are_independent(doc):
    other = build_sample_document()
    doc.layers[0].rgba[...] = 0
    assert other.layers[0].rgba.any()
    doc.history.push(ReorderLayers([layer.uid for layer in reversed(doc.layers)]))
    assert not other.history.can_undo
