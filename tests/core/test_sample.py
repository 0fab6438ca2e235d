"""The built-in sample: layers, tags, depth modes, completeness, composite — measured on the real document."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.commands import SetLayerPixels
from seethrough.core.compositing import composite
from seethrough.core.sample import HEIGHT, WIDTH, build_sample_document
from seethrough.core.taxonomy import taxonomy


@pytest.fixture(scope="module")
def doc():
    return build_sample_document()


def _components(layer) -> int:
    import cv2

    count, _ = cv2.connectedComponents(layer.mask.astype(np.uint8), connectivity=8)
    return count - 1


def test_layers_tags_and_order(doc):
    assert doc.size == (WIDTH, HEIGHT) == (768, 1024)
    assert len(doc.layers) >= 12
    v3 = set(taxonomy().v3)
    tags = [layer.tag for layer in doc.layers]
    assert all(tag in v3 for tag in tags)
    assert len(set(tags)) == len(tags)
    for needed in ("back hair", "front hair", "face", "ears", "handwear", "topwear", "irides", "eyewhite", "mouth"):
        assert needed in tags
    depths = [layer.depth_value for layer in doc.layers]
    assert depths == sorted(depths, reverse=True)  # far → near


def test_every_layer_nonempty_in_canvas_with_depth(doc):
    for layer in doc.layers:
        assert not layer.is_empty, layer.name
        x0, y0, x1, y1 = layer.bbox
        assert 0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT, layer.name
        assert layer.depth is not None and layer.depth.shape == layer.rgba.shape[:2]
        assert layer.depth.dtype == np.float32 and 0 <= layer.depth.min() and layer.depth.max() <= 1
        assert layer.depth_value == pytest.approx(float(np.median(layer.depth[layer.mask])))
        assert layer.provenance == "sample"


def test_front_hair_has_two_depth_modes(doc):
    from sklearn.cluster import KMeans

    hair = doc.find("front hair")
    values = hair.depth[hair.mask].reshape(-1, 1).astype(np.float64)
    centres = np.sort(KMeans(n_clusters=2, n_init=3, random_state=0).fit(values).cluster_centers_.ravel())
    assert centres[0] == pytest.approx(0.2, abs=0.05)
    assert centres[1] == pytest.approx(0.8, abs=0.05)
    # both modes are substantial parts of the layer, not a few stray pixels
    near = (values < 0.5).mean()
    assert 0.2 < near < 0.8


def _hair_over_face(doc):
    hair, face = doc.find("front hair"), doc.find("face")
    size = doc.size
    hair_a, face_a = hair.on_canvas(size)[..., 3] > 128, face.on_canvas(size)[..., 3] > 128
    overlap = hair_a & face_a
    return overlap, hair.depth_on_canvas(size), face.depth_on_canvas(size)


def test_front_hair_is_in_front_of_the_face_and_its_locks_beside_it(doc):
    overlap, hair_d, face_d = _hair_over_face(doc)
    assert (overlap & (hair_d < face_d)).sum() > 1000  # fringe over the forehead
    assert (overlap & (hair_d > face_d)).sum() == 0  # the side locks hang beside the face, never over it
    hair = doc.find("front hair")
    assert (hair.depth[hair.mask] > 0.5).sum() > 5000  # yet they are there, behind the face's plane


def test_the_tucked_variant_is_the_sandwich_case():
    overlap, hair_d, face_d = _hair_over_face(build_sample_document(tucked_locks=True))
    assert (overlap & (hair_d < face_d)).sum() > 1000  # fringe over the forehead
    assert (overlap & (hair_d > face_d)).sum() > 200  # side locks tucked behind the cheeks


def test_the_sample_reconstructs_its_source_and_its_check_is_clean(doc, capsys):
    """Issue 22: a newcomer's first `check sample` was all warnings (27.9 dB at the eyes, order conflicts)."""
    from seethrough.cli import run
    from seethrough.core.metrics import psnr
    from seethrough.core.quality import run_checks

    assert psnr(composite(doc), doc.source) > 60  # the plain stack is the source (a few pixels off by 1/255)
    assert run_checks(doc) == []
    assert run(["check", "sample"]) == 0
    assert capsys.readouterr().out.strip() == "sample: no findings"


def test_paired_parts_have_two_components(doc):
    assert _components(doc.find("handwear")) == 2
    assert _components(doc.find("ears")) == 2
    hands = doc.find("handwear").on_canvas(doc.size)[..., 3] > 10
    cols = np.nonzero(hands.any(axis=0))[0]
    assert cols.min() < WIDTH / 2 - 100 and cols.max() > WIDTH / 2 + 100
    assert not hands[:, WIDTH // 2 - 100 : WIDTH // 2 + 100].any()  # well separated


def test_face_is_complete_under_the_fringe(doc):
    face = doc.find("face")
    alpha = face.on_canvas(doc.size)[..., 3]
    hair = doc.find("front hair").on_canvas(doc.size)[..., 3]
    # the fringe covers the forehead, yet the face layer is opaque there: a filled oval, no holes
    forehead = (hair > 250) & (np.arange(HEIGHT)[:, None] > 260) & (np.abs(np.arange(WIDTH) - 384)[None] < 100)
    assert forehead.sum() > 1000
    assert (alpha[forehead] == 255).all()
    import cv2

    filled = alpha > 10
    contours, _ = cv2.findContours(filled.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    assert len(contours) == 1


def test_source_is_the_zbuffer_composite_and_stratify_fixes_the_stack_of_the_sandwich(doc):
    from seethrough.core.stratify import stratify_command

    assert np.array_equal(doc.source, composite(doc, mode="zbuffer"))
    doc = build_sample_document(tucked_locks=True)
    assert np.array_equal(doc.source, composite(doc, mode="zbuffer"))
    # the plain stack shows the side locks over the cheeks; after the K=2 split the stack matches the source
    before = np.abs(composite(doc).astype(int) - doc.source.astype(int)).sum()
    copy = build_sample_document(tucked_locks=True)
    hair = copy.find("front hair")
    copy.history.push(stratify_command(copy, hair.uid, k=2, inpaint="none"))
    names = [layer.name for layer in copy.layers]
    assert "front hair-0" in names and "front hair-1" in names
    after = np.abs(composite(copy, mode="depth").astype(int) - copy.source.astype(int)).sum()
    assert before > 0 and after < before / 4


def test_copies_are_independent():
    a, b = build_sample_document(), build_sample_document()
    with pytest.raises(ValueError, match="read-only"):
        a.layers[0].rgba[...] = 0  # the shared cached pixels cannot be written
    a.history.push(SetLayerPixels(a.layers[0].uid, np.zeros_like(a.layers[0].rgba)))
    assert not a.layers[0].rgba.any() and b.layers[0].rgba.any()
    assert [layer.uid for layer in a.layers] == [layer.uid for layer in b.layers]


def test_kmeans_threshold_lies_between_the_hair_modes(doc):
    from seethrough.core.sample import BACK_HAIR_DEPTH, FRONT_HAIR_DEPTH
    from seethrough.core.stratify import kmeans_thresholds

    (threshold,) = kmeans_thresholds(doc.find("front hair"), k=2)
    assert FRONT_HAIR_DEPTH < threshold < BACK_HAIR_DEPTH


def test_stratified_and_sorted_stack_reproduces_the_source():
    from seethrough.core.layer_ops import sort_by_depth_command
    from seethrough.core.metrics import psnr
    from seethrough.core.stratify import stratify_command

    doc = build_sample_document(tucked_locks=True)
    before = psnr(composite(doc), doc.source)
    with doc.history.transaction("stratify hair"):
        doc.history.push(stratify_command(doc, doc.find("front hair").uid, k=2, inpaint="none"))
        doc.history.push(sort_by_depth_command(doc))
    after = psnr(composite(doc), doc.source)
    assert before < after and after > 40
    names = [layer.name for layer in doc.layers]
    assert names.index("front hair-1") < names.index("face") < names.index("front hair-0")
    doc.history.undo()
    assert [layer.name for layer in doc.layers] == [layer.name for layer in build_sample_document(True).layers]
