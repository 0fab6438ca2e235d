"""2D seed providers: the registry, the paper's per-mesh vote, the `layout` prior on real fixtures, and the plumbing
of the `seethrough` (tiny random layer model through core.decompose) and `samhq` (tiny random SemanticSam)
providers: shapes, tags, several poses voting. Accuracy is measured in test_label_accuracy.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seethrough.annotation import seeds
from seethrough.annotation.auto_label import auto_label, excluded_meshes, from_live2d, name_tags
from seethrough.annotation.labels import LabelStore
from seethrough.annotation.layout_seeds import LayoutProvider
from seethrough.annotation.loader import load_model
from seethrough.annotation.mesh_features import mesh_features
from seethrough.annotation.render import content_frame, model_raster, to_uint8
from seethrough.annotation.seeds import (
    SeedContext,
    available_seed_providers,
    default_seed_provider,
    get_seed_provider,
    register_seed_provider,
    vote,
)
from seethrough.core.errors import BadInput
from seethrough.core.paths import fixtures_dir
from seethrough.core.taxonomy import taxonomy

BODY_BELOW_FACE = {"neck", "neckwear", "topwear", "handwear", "bottomwear", "legwear", "footwear"}


def _model(name: str):
    folder = fixtures_dir() / name
    if not folder.is_dir():
        pytest.skip(f"fixture {folder} missing")
    return load_model(folder)


def _context(model, size: int = 256) -> SeedContext:
    view = from_live2d(model)
    excluded = excluded_meshes(view)
    raster = model_raster(model, content_frame(model, size, 0.02))
    vis = {m: v for m, v in raster.visibility_masks().items() if m not in excluded}
    known = {m: t for m, t in name_tags(view).items() if m not in excluded}
    return SeedContext(to_uint8(raster.composite()), vis, "v3", known, mesh_features(raster),
                       {m.id: m.part_path for m in view.meshes}, frozenset(excluded))


@pytest.fixture(autouse=True)
def _registry_restored(monkeypatch):
    """A provider a test registers lives only for that test: the suite runs in random order."""
    available_seed_providers()  # built-ins first, so the copy holds them
    monkeypatch.setattr(seeds, "_REGISTRY", dict(seeds._REGISTRY))


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "none"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


def test_registry_defaults_to_layout_without_weights(no_models) -> None:
    assert {"layout", "seethrough", "samhq"} <= set(available_seed_providers())
    assert available_seed_providers(installed_only=True) == ["layout"]
    assert default_seed_provider() == "layout"
    with pytest.raises(BadInput, match="unknown seed provider"):
        get_seed_provider("gradcam")
    with pytest.raises(BadInput, match="not installed"):
        get_seed_provider("samhq")


def test_vote_is_visible_fraction_summed_over_poses() -> None:
    a = np.zeros((4, 4), bool)
    a[:, :2] = True  # mesh "a": 8 visible pixels, left half
    b = np.zeros((4, 4), bool)
    b[0, 3] = True  # mesh "b": 1 pixel
    hair = np.zeros((4, 4), np.float32)
    hair[:, 0] = 1.0  # covers a quarter of the image: half of a
    face = np.zeros((4, 4), np.float32)
    face[:3, 1] = 1.0  # 3 of a's 8 pixels
    one = vote([({"hair": hair, "face": face}, {"a": a, "b": b})], ["a", "b"], min_pixels=1)
    assert one["a"].tag == "hair" and one["a"].scores == {"hair": 0.5, "face": 0.375}
    assert one["a"].confidence == pytest.approx(0.5 - 0.5 * 0.375)
    assert "b" not in one  # no map responds on b: no vote rather than an arbitrary tag
    # a second pose where mesh a moved under the face map: the sums decide (4 + 8 hair vs 3 + 8 face of 16)
    a2 = np.zeros((4, 4), bool)
    a2[:, 1:3] = True
    face2 = np.zeros((4, 4), np.float32)
    face2[:, 1:3] = 1.0
    two = vote([({"hair": hair, "face": face}, {"a": a}), ({"hair": hair * 0, "face": face2}, {"a": a2})], ["a"])
    assert two["a"].tag == "face" and two["a"].scores["face"] == pytest.approx(11 / 16)
    with pytest.raises(ValueError, match="seed map"):
        vote([({"hair": np.zeros((2, 2), np.float32)}, {"a": a})], ["a"])


def test_layout_maps_paint_visible_meshes_and_leave_a_dog_without_a_body() -> None:
    wanko = _model("Wanko")
    ctx = _context(wanko)
    maps = LayoutProvider().maps(ctx)
    assert maps and all(m.shape == ctx.image.shape[:2] and m.dtype == np.float32 for m in maps.values())
    assert all(float(m.min()) >= 0.0 and float(m.max()) <= 1.0 for m in maps.values())
    votes = vote([(maps, ctx.visibility)], list(ctx.visibility))
    tags = {mid: v.tag for mid, v in votes.items()}
    # a dog in a bowl: no human body layout is invented (no legs, skirt, shoes, neck), the bowl is a prop
    assert not {"legwear", "bottomwear", "footwear", "neck", "neckwear"} & set(tags.values())
    assert tags["D_BOWL_01"] == "objects" and tags["D_FACE_00"] == "face"


def test_layout_without_names_finds_a_face_by_shape_but_never_invents_one() -> None:
    """Nothing named: Mark's face is found by its shape, the pieces over it parsed (annotation/face_parts.py) and the
    head laid out around it; the white dog Wanko has
    no skin-coloured face with eyes, so it gets no face (nor body) layout at all."""
    from seethrough.annotation.body_layout import find_face

    mark = _model("Mark")
    ctx = _context(mark)
    anonymous = SeedContext(ctx.image, ctx.visibility, "v3", {}, ctx.features, ctx.parts, ctx.excluded)
    maps = LayoutProvider().maps(anonymous)
    votes = {m: v.tag for m, v in vote([(maps, ctx.visibility)], list(ctx.visibility)).items()}
    assert votes["Face"] == "face"  # the face-shaped skin region near the top, with eyes drawn over it
    assert {votes[m] for m in ("EyeL4", "EyeR4")} == {"irides"}  # the mirrored pair of dark compact pieces
    assert {votes[m] for m in ("EyeL5", "EyeR5")} == {"eyewhite"}  # white under them
    assert {votes[m] for m in ("EyeL3", "EyeR3")} == {"eyelash"}  # dark outlines around them
    assert {votes[m] for m in ("Hair1", "Hair2")} == {"hair"}  # around the head (front/back split comes later)

    wanko = _model("Wanko")  # a white dog: no skin-coloured face with eyes: no face layout at all
    wctx = _context(wanko)
    silhouette = np.zeros(wctx.image.shape[:2], bool)
    for v in wctx.visibility.values():
        silhouette |= v
    ys, xs = np.nonzero(silhouette)
    assert find_face(wctx.features, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), int(silhouette.sum())) is None
    bare = SeedContext(wctx.image, wctx.visibility, "v3", {}, wctx.features, wctx.parts, wctx.excluded)
    assert set(LayoutProvider().maps(bare)) <= {"objects"}


def test_auto_label_records_rule_and_confidence_and_keeps_humans(tmp_path: Path) -> None:
    hiyori = _model("Hiyori")
    view = from_live2d(hiyori)
    store = LabelStore.open(tmp_path / "h.json", view.mesh_ids)
    store.set_tag(["ArtMesh100"], "topwear")  # a person says the skirt is topwear: it stays so
    auto_label(view, store, live=hiyori, provider="layout", size=256)
    assert store.tag("ArtMesh100") == "topwear" and store.source("ArtMesh100") == "human"
    assert store.confidence("ArtMesh100") == 1.0
    assert store.tag("ArtMesh106") == "footwear" and store.source("ArtMesh106") == "feet-line"
    assert store.tag("ArtMesh104") == "legwear"
    for mid in store.entries:
        c = store.confidence(mid)
        assert c is not None and 0.0 < c <= 1.0
    reopened = LabelStore.open(tmp_path / "h.json", view.mesh_ids)
    assert reopened.confidence("ArtMesh106") == store.confidence("ArtMesh106") < 1.0


@pytest.mark.slow  # building the tiny layer model folder takes ~30 s here; the two decompositions ~10 s
def test_seethrough_provider_plumbing_on_a_tiny_layer_model(tmp_path: Path) -> None:
    from seethrough.annotation.seethrough_seeds import SeeThroughProvider
    from seethrough.core.decompose.options import DecomposeOptions
    from tests.support.tiny_models import build_layer_model

    folder = build_layer_model(tmp_path / "layers", "v3")
    provider = SeeThroughProvider(DecomposeOptions(layer_model=folder, resolution=64, steps=1, depth=False,
                                                   device="cpu"))
    mark = _model("Mark")
    ctx = _context(mark, size=64)
    maps = provider.maps(ctx)
    assert maps and set(maps) <= set(taxonomy().v3)
    assert all(m.shape == ctx.image.shape[:2] and 0.0 <= float(m.min()) <= float(m.max()) <= 1.0
               for m in maps.values())
    # a second pose votes too: the same engine is reused, sums run over both poses' visible regions
    mark.set_parameters({"ParamAngleX": 30.0})
    mark.update()
    ctx2 = _context(mark, size=64)
    mark.reset_parameters()
    mark.update()
    maps2 = provider.maps(ctx2)
    votes = vote([(maps, ctx.visibility), (maps2, ctx2.visibility)], list(ctx.visibility))
    assert votes and all(v.tag in maps for v in votes.values())
    seen = {m: int(ctx.visibility[m].sum()) + int(ctx2.visibility.get(m, np.zeros(1, bool)).sum())
            for m in ctx.visibility}
    assert set(votes) <= {m for m, n in seen.items() if n >= 4}  # seen on ≥ 4 pixels over both poses


def test_samhq_provider_plumbing_and_labels_through_the_registry(tmp_path: Path) -> None:
    import torch

    from seethrough.annotation.samhq_seeds import SamHQProvider
    from tests.support.tiny_sam import tiny_semantic_sam

    torch.manual_seed(0)
    tiny = tiny_semantic_sam()
    mark = _model("Mark")
    ctx = _context(mark, size=64)
    maps = SamHQProvider(tiny).maps(ctx)
    assert list(maps) == list(taxonomy().v2)  # the paper's 19 classes, in order
    assert all(m.shape == ctx.image.shape[:2] and set(np.unique(m)) <= {0.0, 1.0} for m in maps.values())

    register_seed_provider("samhq-tiny", lambda: SamHQProvider(tiny))
    view = from_live2d(mark)
    store = LabelStore(view.mesh_ids, autosave=False)
    auto_label(view, store, live=mark, provider="samhq-tiny", size=64,
               poses=[{"ParamAngleX": 30.0}])
    voted = [m for m in store.entries if store.source(m) == "seed-samhq-tiny"]
    named = [m for m in store.entries if store.source(m) == "name-match"]
    assert named  # the mesh's own name (Face, EyeL4…) is never overridden by the parser
    for mid in voted:
        assert store.tag(mid) in set(taxonomy().v3) and 0.0 <= (store.confidence(mid) or 0.0) <= 1.0
