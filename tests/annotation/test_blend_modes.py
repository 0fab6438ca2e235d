"""Cubism 5.3 blending: the codes are read from the Core and agree with the older constant flags on real models;
the new modes are reported as approximated, 'out' drawables are not drawn, and older models report nothing."""

from __future__ import annotations

import pytest

from seethrough.annotation.blend_modes import blend_report, lightens, nearest_mode, split_code
from seethrough.annotation.loader import load_model
from seethrough.annotation.render import mesh_areas
from seethrough.core.paths import fixtures_dir

CUBISM3 = ("Haru", "Hiyori", "Mao", "Mark", "Wanko")
PATHS = {"face": ("PartAll", "PartFace"), "shadow": ("PartAll", "PartHair", "PartShadow", "PartShadowOut"),
         "glow": ("PartAll", "PartFx"), "hair": ("PartAll", "PartHair")}


def test_codes_split_into_colour_and_alpha_blend() -> None:
    assert split_code(0x0) == (0, 0)
    assert split_code(0x106) == (6, 1)
    assert split_code(0x200) == (0, 2)


def test_each_code_is_drawn_with_the_nearest_mode_the_renderer_has() -> None:
    assert [nearest_mode(c) for c in (0, 1, 2)] == ["normal", "additive", "multiply"]  # Cubism 3–5.2
    assert [nearest_mode(c) for c in (3, 4, 6)] == ["additive", "additive", "multiply"]  # add, add-glow, multiply
    assert nearest_mode(0x104) == "additive"  # add-glow drawn atop: the colour blend decides
    assert [nearest_mode(c) for c in (5, 10, 0x10E, 0x111)] == ["normal"] * 4  # darken, screen, hard light, colour


def test_legacy_modes_are_exact_and_report_nothing() -> None:
    report = blend_report({"face": 0, "glow": 1, "hair": 2}, PATHS, {"PartAll": 0, "PartHair": 0})
    assert not report.approximated and not report.cut_out and report.warning is None


def test_new_modes_are_approximated_and_out_cuts_the_mesh_or_its_offscreen_group() -> None:
    # the face draws normally; the glow uses a new colour blend; the hair sits in an offscreen drawn 'atop';
    # the shadow's own code is normal but its offscreen part is drawn 'out'
    report = blend_report({"face": 0, "glow": 0x6, "hair": 0, "shadow": 0},
                          PATHS, {"PartHair": 0x100, "PartShadowOut": 0x200})
    assert report.approximated == {"glow", "hair"}
    assert report.cut_out == {"shadow"}
    assert "3 ArtMeshes" in report.warning and "1 that cut their group not drawn" in report.warning
    assert blend_report({"face": 0x200}, PATHS, {}).cut_out == {"face"}  # its own alpha blend 'out'


def test_lightening_blends_mark_glows_drawn_so_or_inside_an_offscreen_drawn_so() -> None:
    assert [lightens(c) for c in (1, 3, 4, 9, 10, 11, 0x103)] == [True] * 7  # add, add-glow, lighten, screen, dodge
    assert [lightens(c) for c in (0, 2, 5, 6, 12, 0x200)] == [False] * 6  # normal, multiply, darken, overlay, out
    report = blend_report({"face": 0, "glow": 0x4, "hair": 0, "shadow": 0},
                          PATHS, {"PartFx": 0x0, "PartShadowOut": 0xA})
    assert report.lightening == {"glow", "shadow"}  # its own add-glow; an offscreen drawn 'screen'


def _model(name: str):
    folder = fixtures_dir() / name
    if not folder.is_dir():
        pytest.skip(f"fixture {folder} missing")
    return load_model(folder)


@pytest.mark.parametrize("name", CUBISM3)
def test_the_cores_blend_codes_agree_with_the_constant_flags_on_real_models(name: str) -> None:
    model = _model(name)
    codes = model.core.blend_modes()
    if codes is None:
        pytest.skip("this Cubism Core predates 5.3")
    assert len(codes) == len(model.artmeshes)
    flags = model.core.drawable_flags()  # bit 0 additive, bit 1 multiply: what Cores before 5.3 give
    for mesh in model.artmeshes:
        colour, alpha = split_code(int(codes[mesh.index]))
        assert (int(flags[mesh.index]) & 0b11, alpha) == (colour, 0), mesh.id
        assert mesh.blend_mode == {0: "normal", 1: "additive", 2: "multiply"}[colour], mesh.id
    assert model.core.offscreens() == []  # made before Cubism 5.3: no part offscreens
    assert not any(m.cut_out for m in model.artmeshes)
    assert not any("Cubism 5.3" in w for w in model.warnings)


def test_a_mesh_that_cuts_its_group_is_never_drawn() -> None:
    model = _model("Hiyori")
    areas = mesh_areas(model, 256)
    mesh = max(model.artmeshes, key=lambda m: areas[m.id][1])  # the most visible mesh
    mesh.cut_out = True
    model.update()  # re-reads the Core's state (refresh_dynamic_state) and invalidates cached renders
    assert not mesh.visible_flag
    assert mesh_areas(model, 256)[mesh.id][1] == 0


@pytest.mark.parametrize("name", ["Mao", "koharu"])
def test_additive_meshes_are_glows_on_real_models(name: str) -> None:
    model = _model(name)
    glows = {m.id for m in model.artmeshes if m.glow}
    assert glows == {m.id for m in model.artmeshes if m.blend_mode == "additive"}
    assert len(glows) == (15 if name == "Mao" else 0)  # Mao: 15 additive effects; koharu (Cubism 2) none
