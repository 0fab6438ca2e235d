"""Effects and other non-character meshes are left out of the labels with a reason (annotation/non_character.py):
the geometric rules on synthetic looks, the effect names on a synthetic part tree, a glowing flash added to a real
model at test time, the effects of the fixtures that have them (Mao's magic, Wanko's effects), and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seethrough.annotation.auto_label import LabelModel, MeshInfo, PartInfo, auto_label, from_live2d
from seethrough.annotation.labels import LabelStore
from seethrough.annotation.loader import load_model
from seethrough.annotation.name_rules import effect_in_chain, is_effect_name
from seethrough.annotation.non_character import (
    MeshLook,
    effect_parameter_reasons,
    geometric_reason,
    reason_counts,
    rule_of,
)
from seethrough.core.paths import fixtures_dir

TRUTH = Path(__file__).resolve().parents[1] / "data" / "labels"
BODY = 100_000  # the body's area in pixels


def _model(name: str):
    folder = fixtures_dir() / name
    if not folder.is_dir():
        pytest.skip(f"fixture {folder} missing")
    return load_model(folder)


def _truth(name: str) -> dict:
    return json.loads((TRUTH / f"{name}.json").read_text(encoding="utf-8"))["labels"]


# --- the geometric rules ----------------------------------------------------------------------------------------
def test_a_glow_is_left_out_unless_it_is_a_small_highlight_on_the_character() -> None:
    flash = MeshLook("flash", hidden=True, glow=True, area=500)
    assert rule_of(geometric_reason(flash, BODY) or "") == "glow-blend"
    halo = MeshLook("halo", glow=True, area=800, outside=0.6)
    assert rule_of(geometric_reason(halo, BODY) or "") == "glow-blend"
    big = MeshLook("rim light", glow=True, area=5_000, outside=0.0)
    assert rule_of(geometric_reason(big, BODY) or "") == "glow-blend"
    highlight = MeshLook("eye shine", glow=True, area=300, outside=0.0)
    assert geometric_reason(highlight, BODY) is None
    assert geometric_reason(MeshLook("arm B glint", hidden=True, alternate=True, glow=True, area=500), BODY) is None


def test_what_floats_far_from_the_body_is_left_out_but_what_touches_it_stays() -> None:
    heart = MeshLook("heart", hidden=True, area=2_000, far=0.8, outside=1.0)
    assert rule_of(geometric_reason(heart, BODY) or "") == "far-off-body"
    wand_tip = MeshLook("wand tip", area=2_000, far=0.3, outside=1.0)  # reaches away from a hand
    assert geometric_reason(wand_tip, BODY) is None
    second_arm = MeshLook("arm B", hidden=True, alternate=True, area=2_000, far=0.9, outside=1.0)
    assert geometric_reason(second_arm, BODY) is None  # a pose group's alternative is the character


def test_large_see_through_shapes_off_the_body_are_left_out_but_shading_on_it_stays() -> None:
    aura = MeshLook("aura", hidden=True, area=20_000, alpha=0.4, outside=0.5)
    assert rule_of(geometric_reason(aura, BODY) or "") == "large-translucent"
    shadow = MeshLook("jacket shadow", area=14_000, alpha=0.47, outside=0.0)
    assert geometric_reason(shadow, BODY) is None
    mist = MeshLook("small mist", area=1_000, alpha=0.3, outside=0.9)
    assert geometric_reason(mist, BODY) is None
    assert reason_counts({"a": "far-off-body: x", "b": "far-off-body: y", "c": "glow-blend: z"}) == {
        "far-off-body": 2, "glow-blend": 1}


# --- effect names -----------------------------------------------------------------------------------------------
def test_effect_names_and_the_nearest_name_deciding() -> None:
    for name in ("エフェクト", "爆発光", "煙", "ParamSmokeOn", "PartFx", "magic circle", "Glow"):
        assert is_effect_name(name), name
    for name in ("光沢", "Highlight", "前髪", "ParamHeartMissOn", ""):
        assert not is_effect_name(name), name
    assert effect_in_chain([["", "ArtMesh1"], ["ハート", "Part3"], ["光", "Part2"]]) == "光"
    assert effect_in_chain([["", "ArtMesh1"], ["手", "Part3"], ["エフェクト", "Part2"]]) is None  # a hand in it
    assert effect_in_chain([["", "ArtMesh1"], ["HairLight", "Part3"]]) is None  # hair first in the same name


def _tree() -> LabelModel:
    parts = {"Root": PartInfo("Root", ""), "PFx": PartInfo("PFx", "エフェクト", "Root"),
             "PHand": PartInfo("PHand", "手", "PFx"), "PHair": PartInfo("PHair", "前髪", "Root")}
    meshes = [MeshInfo("spark", "", ("Root", "PFx"), 3), MeshInfo("Mesh7", "", ("Root", "PFx", "PHand"), 2),
              MeshInfo("bang", "", ("Root", "PHair"), 1), MeshInfo("HitArea", "", ("Root",), 0)]
    return LabelModel(meshes, parts)


def test_meshes_named_as_effects_are_left_out_with_their_reason_and_names_ignored_leave_them_in() -> None:
    model = _tree()
    store = LabelStore(model.mesh_ids, autosave=False)
    store.apply({"spark": ("objects", "no-evidence", 0.1)})  # an earlier run baked the effect in
    rep = auto_label(model, store)
    assert rep.excluded == ["HitArea", "spark"]  # `excluded` keeps its meaning: sorted ids
    assert rep.excluded_reasons == {"HitArea": "excluded-name: HitArea", "spark": "effect-name: エフェクト"}
    assert store.tag("spark") is None and store.tag("Mesh7") == "handwear"  # cleared; the hand stays
    assert store.history.undo() and store.tag("spark") == "objects"  # one undo step with the labels
    assert rep.provider == "none" and rep.used_names

    nameless = LabelStore(model.mesh_ids, autosave=False)
    rep = auto_label(model, nameless, use_names=False)
    assert "spark" not in rep.excluded and rep.used_names is False


def test_a_person_labelling_an_effect_mesh_keeps_it() -> None:
    model = _tree()
    store = LabelStore(model.mesh_ids, autosave=False)
    store.set_tag(["spark"], "objects")
    rep = auto_label(model, store)
    assert "spark" not in rep.excluded and store.source("spark") == "human"


# --- on real models ---------------------------------------------------------------------------------------------
def test_a_glowing_flash_added_to_a_real_model_is_left_out_even_with_names_ignored() -> None:
    mark = _model("Mark")
    flash = mark.artmesh("EyeL4")  # an iris turned into a flash: additive and hidden in this pose
    flash.glow, flash.blend_mode = True, "additive"
    mark.update()
    flash.opacity = 0.0
    view = from_live2d(mark)
    store = LabelStore(view.mesh_ids, autosave=False)
    rep = auto_label(view, store, live=mark, provider="layout", size=256, use_names=False)
    assert rule_of(rep.excluded_reasons.get("EyeL4", "")) == "glow-blend"
    assert store.tag("EyeL4") is None and len(rep.excluded) == 1


@pytest.mark.parametrize("use_names", [True, False])
def test_the_effects_of_mao_are_left_out_and_nothing_of_the_character(use_names: bool) -> None:
    mao = _model("Mao")
    truth = _truth("Mao")
    before = mao.parameter_values()
    view = from_live2d(mao)
    store = LabelStore(view.mesh_ids, autosave=False)
    rep = auto_label(view, store, live=mao, provider="layout", use_names=use_names)
    assert mao.parameter_values() == before  # the parameter probe leaves the pose as it was
    effects = [m for m, t in truth.items() if t is None and not m.startswith("HitArea")]
    caught = [m for m in effects if m in rep.excluded]
    assert not [m for m in rep.excluded if truth.get(m)]  # no mesh the ground truth tags is left out
    assert all(store.tag(m) is None for m in rep.excluded)
    rules = reason_counts(rep.excluded_reasons)
    if use_names:
        assert len(caught) >= 80 and {"effect-name", "effect-parameter", "far-off-body"} <= set(rules)
        assert rep.excluded_reasons["ArtMesh143"] == "effect-parameter: ParamHeartLightOn (光\u3000表示)"
    else:  # geometry and blending alone: fewer, and no name among the reasons
        assert len(caught) >= 30 and {"glow-blend", "far-off-body", "large-translucent"} <= set(rules)
        assert not {"effect-name", "effect-parameter"} & set(rules)


def test_the_effects_of_wanko_are_left_out() -> None:
    wanko = _model("Wanko")
    view = from_live2d(wanko)
    rep = auto_label(view, LabelStore(view.mesh_ids, autosave=False), live=wanko, provider="layout")
    effects = {f"D_EFFECT_0{i}" for i in (0, 1, 3, 4, 5)}
    assert effects <= set(rep.excluded) and all(rule_of(rep.excluded_reasons[m]) == "effect-name" for m in effects)


def test_the_parameter_probe_names_the_parameter_and_restores_the_pose() -> None:
    mao = _model("Mao")
    mao.set_parameters({"ParamAngleX": 12.0})
    mao.update()
    before = mao.parameter_values()
    reasons = effect_parameter_reasons(mao, ["ArtMesh101", "ArtMesh251", "ArtMesh256"])
    assert reasons == {"ArtMesh101": "effect-parameter: ParamSmokeOn (煙\u3000表示)",
                       "ArtMesh251": "effect-parameter: ParamEyeEffect (目\u3000エフェクト)"}  # the blush: no effect
    assert mao.parameter_values() == before
