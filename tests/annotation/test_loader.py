"""Loading the Live2D fixture models through the Cubism Core (no GL): counts, hierarchy, pose, parameters,
and clear errors for broken models. Skipped when the fixtures are absent."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import BadInput
from core.paths import fixtures_dir

FIXTURES = fixtures_dir()
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")

EXPECTED = {"Hiyori": (134, 24, 70), "Haru": (84, 19, 42), "Mark": (30, 17, 21)}


def _model_file(name):
    return FIXTURES / name / f"{name}.model3.json"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_hierarchy_and_orders(name):
    from annotation.loader import load_model

    model = load_model(_model_file(name))
    meshes, parts, params = EXPECTED[name]
    assert (len(model.artmeshes), len(model.parts), len(model.parameters)) == (meshes, parts, params)
    renders = sorted(m.render_order for m in model.artmeshes)
    assert renders == list(range(meshes))  # a permutation
    for mesh in model.artmeshes:
        if mesh.part_id is not None:
            assert mesh.part_path[-1] == mesh.part_id
            assert all(pid in model.parts for pid in mesh.part_path)
    tree = model.part_tree()
    counted = []

    def walk(node):
        counted.extend(node["artmeshes"])
        for child in node["children"]:
            walk(child)

    walk(tree)
    assert sorted(counted) == sorted(m.id for m in model.artmeshes)


def test_display_names_from_cdi3():
    from annotation.loader import load_model

    model = load_model(_model_file("Hiyori"))
    names = {p.name for p in model.parts.values()}
    assert any("髪" in n for n in names)
    assert any(p.name for p in model.parameters)


def test_pose_shows_one_arm_variant_of_hiyori():
    from annotation.loader import load_model

    model = load_model(_model_file("Hiyori"))
    assert model.pose_groups
    shown, hidden = model.pose_groups[0][0], model.pose_groups[0][1]
    by_part = {}
    for mesh in model.artmeshes:
        by_part.setdefault(mesh.part_id, []).append(mesh.opacity)
    assert max(by_part.get(shown[0], [1.0])) > 0.5
    assert max(by_part.get(hidden[0], [0.0])) == 0.0


def test_parameters_deform_the_model():
    from annotation.loader import load_model, vertices_in_pixels

    model = load_model(_model_file("Mark"))
    before = [vertices_in_pixels(model, m).copy() for m in model.artmeshes]
    angle = next(p for p in model.parameters if p.id == "ParamAngleX")
    model.set_parameters({"ParamAngleX": angle.max})
    model.update()
    after = [vertices_in_pixels(model, m) for m in model.artmeshes]
    moved = sum(not np.allclose(a, b) for a, b in zip(before, after))
    assert moved >= 5
    assert model.parameter_values()["ParamAngleX"] == pytest.approx(angle.max)


def test_broken_models_give_clear_errors(tmp_path):
    from annotation.loader import load_model

    src = FIXTURES / "Mark"
    spec = json.loads((src / "Mark.model3.json").read_text(encoding="utf-8-sig"))
    bad_json = tmp_path / "bad.model3.json"
    bad_json.write_text("{ not json", encoding="utf-8")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_model(bad_json)
    copy = tmp_path / "mark"
    shutil.copytree(src, copy)
    (copy / spec["FileReferences"]["Textures"][0]).unlink()
    with pytest.raises(BadInput, match="texture"):
        load_model(copy / "Mark.model3.json")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "g.moc3").write_bytes(b"MOC3" + b"\x00" * 200)
    (garbage / "g.model3.json").write_text(json.dumps({"Version": 3, "FileReferences": {"Moc": "g.moc3"}}))
    with pytest.raises(BadInput, match="moc"):
        load_model(garbage / "g.model3.json")
    with pytest.raises(BadInput, match="Cubism 2"):
        load_model(FIXTURES / "shizuku" / "shizuku.model.json")
    with pytest.raises(BadInput, match="no such"):
        load_model(tmp_path / "absent.model3.json")


def test_label_cli_covers_hiyori_and_excludes_the_underdrawing(tmp_path):
    copy = tmp_path / "Hiyori"
    shutil.copytree(FIXTURES / "Hiyori", copy)
    out = tmp_path / "labels.json"
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "live2d", "label", str(copy / "Hiyori.model3.json"),
                             "-o", str(out), "--json"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["coverage"] >= 0.9 and report["excluded"] >= 1
    assert report["counts"]["name-match"] > 80
    labels = json.loads(out.read_text(encoding="utf-8"))
    assert labels["schema_version"] >= 1
