"""Automatic labelling rules on synthetic part trees with known answers (no Live2D needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seethrough.annotation.auto_label import (
    LabelModel,
    MeshInfo,
    PartInfo,
    agreement,
    auto_label,
    hair_split_index,
    seed_tags,
)
from seethrough.annotation.labels import LabelStore
from seethrough.annotation.name_rules import is_excluded_name, match_name, normalize


def _tree() -> LabelModel:
    parts = {
        "PartRoot": PartInfo("PartRoot", "コア"),
        "PartHead": PartInfo("PartHead", "頭部", "PartRoot"),
        "PartFace": PartInfo("PartFace", "顔", "PartHead"),
        "PartAcc": PartInfo("PartAcc", "なにか", "PartHead"),
        "PartMisc": PartInfo("PartMisc", "グループ", "PartRoot"),
        "PartBG": PartInfo("PartBG", "背景", "PartRoot"),
    }
    meshes = [
        MeshInfo("m_face", "", ("PartRoot", "PartHead", "PartFace"), 10),
        MeshInfo("m_face2", "", ("PartRoot", "PartHead", "PartFace"), 11),
        MeshInfo("m_x1", "", ("PartRoot", "PartHead", "PartAcc"), 12),  # parent vote → face
        MeshInfo("m_y1", "", ("PartRoot", "PartMisc"), 3),  # sibling vote from m_y2, m_y3
        MeshInfo("m_y2", "skirt_a", ("PartRoot", "PartMisc"), 4),
        MeshInfo("m_y3", "スカート", ("PartRoot", "PartMisc"), 5),
        MeshInfo("m_y4", "腕", ("PartRoot", "PartMisc"), 6),
        MeshInfo("m_bg", "", ("PartRoot", "PartBG"), 0),
    ]
    return LabelModel(meshes, parts)


def test_keywords_english_japanese_and_priority() -> None:
    assert normalize("Part01HairFront001") == "part 01 hair front 001"
    cases = {
        "PartHairFront": "front hair", "PartHairBack": "back hair", "PartHairSide": "hair", "前髪": "front hair",
        "後ろ髪": "back hair", "もみあげ": "hair", "髪": "hair", "アホ毛": "front hair", "髪飾り": "headwear",
        "白目": "eyewhite", "左白目": "eyewhite", "目": "eyes", "瞳": "irides", "黒目": "irides", "まつげ": "eyelash",
        "睫毛": "eyelash", "眉": "eyebrow", "PartEyeBallL": "irides", "PartEyeWhiteR": "eyewhite", "PartEyeL": "eyes",
        "PartBrow": "eyebrow", "口": "mouth", "歯": "mouth", "PartMouth": "mouth", "輪郭": "face", "頬": "face",
        "鼻": "nose", "耳": "ears", "首": "neck", "体": "topwear", "腕 A": "handwear", "PartArmL": "handwear",
        "手": "handwear", "スカート": "bottomwear", "脚": "legwear", "靴": "footwear", "靴下": "legwear",
        "リボン": "neckwear", "帽子": "headwear", "眼鏡": "eyewear", "尻尾": "tail", "羽": "wings",
        "PartEar": "ears", "PartNeck": "neck", "PartBody": "topwear", "eyebrow_L": "eyebrow", "コア": None,
    }
    for name, tag in cases.items():
        assert match_name(name) == tag, name
    for name in ("背景", "[ 下絵 ]", "PartSketch", "PartBackground", "BG", "ラフ", "ガイド"):
        assert is_excluded_name(name), name
    assert not is_excluded_name("PartBody") and not is_excluded_name("Bangs")


def test_propagation_known_answers(tmp_path: Path) -> None:
    model = _tree()
    store = LabelStore.open(tmp_path / "l.json", model.mesh_ids)
    store.set_tag(["m_y4"], "objects")  # human, contradicts the name 腕 → must stay
    rep = auto_label(model, store)
    assert store.tags() == {
        "m_face": "face", "m_face2": "face", "m_x1": "face", "m_y1": "bottomwear", "m_y2": "bottomwear",
        "m_y3": "bottomwear", "m_y4": "objects",
    }
    assert store.source("m_y4") == "human"
    assert store.source("m_face") == "name-match" and store.source("m_y2") == "name-match"
    assert store.source("m_y1") == "sibling-vote" and store.source("m_x1") == "parent-vote"
    assert "m_bg" not in store.entries and rep.excluded == ["m_bg"]
    assert rep.total == 7 and rep.coverage == 1.0 and rep.unlabelled == []
    assert rep.counts == {"name-match": 4, "sibling-vote": 1, "parent-vote": 1}
    assert store.history.undo() and store.tags() == {"m_y4": "objects"}  # the whole run is one undo step
    assert agreement(store, {"m_y4": "objects", "m_face": "face"}) == 0.5


def test_excluded_setting_and_tie_and_v2(tmp_path: Path) -> None:
    model = _tree()
    store = LabelStore(model.mesh_ids)
    store.set_excluded_parts(["PartMisc"])
    rep = auto_label(model, store, tagset="v2")
    assert rep.total == 3 and set(store.tags()) == {"m_face", "m_face2", "m_x1"}


def _head() -> LabelModel:
    parts = {
        "PartHairBack": PartInfo("PartHairBack", "後ろ髪"),
        "PartSide": PartInfo("PartSide", "横髪"),
        "PartFace": PartInfo("PartFace", "顔"),
        "PartNose": PartInfo("PartNose", "鼻"),
        "PartMouth": PartInfo("PartMouth", "口"),
        "PartEye": PartInfo("PartEye", "目"),
        "PartEyeBall": PartInfo("PartEyeBall", "目玉", "PartEye"),
        "PartHairFront": PartInfo("PartHairFront", "PartHairFront"),
    }
    meshes = [
        MeshInfo("side_under", "", ("PartSide",), 1),
        MeshInfo("face", "", ("PartFace",), 5),
        MeshInfo("face_shadow", "", ("PartFace",), 9),
        MeshInfo("nose", "", ("PartNose",), 7),
        MeshInfo("mouth", "", ("PartMouth",), 6),
        MeshInfo("m_lower", "", ("PartEye",), 10),
        MeshInfo("iris", "", ("PartEye", "PartEyeBall"), 11),
        MeshInfo("m_upper", "", ("PartEye",), 12),
        MeshInfo("brow", "眉", ("PartEye",), 13),
        MeshInfo("side_over", "", ("PartSide",), 14),
        MeshInfo("back", "", ("PartHairBack",), 0),
        MeshInfo("bangs", "", ("PartHairFront",), 15),
    ]
    return LabelModel(meshes, parts)


def test_hair_split_by_draw_order_and_eye_split() -> None:
    model = _head()
    store = LabelStore(model.mesh_ids)
    rep = auto_label(model, store, tagset="v3")
    tags = store.tags()
    # split index = max(min(5, 7, 6), min(9, 7, 6)) = 6: side hair at 1 is back, at 14 is front
    assert hair_split_index(model, {"face": "face", "face_shadow": "face", "nose": "nose", "mouth": "mouth"}) == 6
    assert tags["side_under"] == "back hair" and store.source("side_under") == "hair-split"
    assert tags["side_over"] == "front hair" and store.source("side_over") == "hair-split"
    assert tags["back"] == "back hair" and tags["bangs"] == "front hair" and store.source("bangs") == "name-match"
    assert tags["iris"] == "irides" and tags["brow"] == "eyebrow"
    assert tags["m_lower"] == "eyewhite" and tags["m_upper"] == "eyelash" and store.source("m_upper") == "eye-split"
    assert rep.coverage == 1.0 and rep.counts["hair-split"] == 2 and rep.counts["eye-split"] == 2
    v2 = LabelStore(model.mesh_ids)
    auto_label(model, v2, tagset="v2")
    assert v2.tag("side_over") == "hair" and v2.tag("bangs") == "hair" and v2.tag("m_upper") == "eyes"


def test_2d_seeds_on_synthetic_masks(tmp_path: Path) -> None:
    h, w = 40, 60
    yy, xx = np.mgrid[:h, :w]
    seeds = {"topwear": ((xx < 30) * 230).astype(np.uint8), "legwear": ((xx >= 30) * 200).astype(np.uint8)}
    vis = {
        "a": (xx < 20) & (yy < 10),  # fully in the topwear seed
        "b": (xx >= 35),  # in legwear
        "c": (xx >= 25) & (xx < 35),  # half/half: mean < 0.5 in both → no label
        "d": np.zeros((h, w), bool),  # invisible
    }
    got = seed_tags(seeds, vis, ["a", "b", "c", "d"], threshold=0.5)
    assert got == {"a": "topwear", "b": "legwear"}
    model = LabelModel([MeshInfo(k, "", ("P",), i) for i, k in enumerate("abcd")], {"P": PartInfo("P", "group")})
    store = LabelStore(model.mesh_ids)
    store.set_tag(["b"], "handwear")  # a human label is never overwritten by a seed
    rep = auto_label(model, store, seeds=seeds, visibility=vis)
    assert store.tag("a") == "topwear" and store.source("a") == "2d-seed" and store.tag("b") == "handwear"
    assert store.source("c") == "sibling-vote" and rep.coverage == 1.0


def test_generic_mesh_name_refined_by_specific_part_and_hit_areas_excluded() -> None:
    parts = {
        "PartEyeL": PartInfo("PartEyeL", "左目"),
        "PartEyeBallL": PartInfo("PartEyeBallL", "左目玉", "PartEyeL"),
        "PartHairFront": PartInfo("PartHairFront", "前髪"),
        "Core": PartInfo("Core", "コア"),
    }
    model = LabelModel(
        [
            MeshInfo("EyeL4", "", ("PartEyeL", "PartEyeBallL"), 3),
            MeshInfo("Hair1", "", ("PartHairFront",), 4),
            MeshInfo("HitArea", "", ("Core",), 5),
        ],
        parts,
    )
    store = LabelStore(model.mesh_ids)
    rep = auto_label(model, store)
    assert store.tag("EyeL4") == "irides" and store.tag("Hair1") == "front hair"
    assert store.source("Hair1") == "name-match" and rep.excluded == ["HitArea"] and rep.coverage == 1.0


class _FakeArtMesh:
    """Duck-typed like annotation.model.ArtMesh: draw_order is Cubism's shared sort key, render_order the index."""

    def __init__(self, id: str, part_path: tuple[str, ...], draw_order: int, render_order: int) -> None:
        self.id, self.name, self.part_path = id, id, part_path
        self.draw_order, self.render_order = draw_order, render_order


def test_adapter_uses_render_order() -> None:
    from types import SimpleNamespace

    from seethrough.annotation.auto_label import from_live2d

    parts = {"P": SimpleNamespace(id="P", name="顔", parent_id=None, children=[])}
    live = SimpleNamespace(artmeshes=[_FakeArtMesh("a", ("P",), 500, 7)], parts=parts, parameters=[])
    view = from_live2d(live)
    assert view.meshes == [MeshInfo("a", "a", ("P",), 7)] and view.parts["P"].name == "顔"
