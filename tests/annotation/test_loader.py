"""Loading the Live2D fixture models through the Cubism Core (no GL): counts, hierarchy, pose, parameters,
and clear errors for broken models. Skipped when the fixtures are absent."""

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seethrough.core.errors import BadInput
from seethrough.core.paths import fixtures_dir

FIXTURES = fixtures_dir()
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")

EXPECTED = {"Hiyori": (134, 24, 70), "Haru": (84, 19, 42), "Mark": (30, 17, 21), "shizuku": (131, 39, 49)}


def _model_file(name):
    if name == "shizuku":
        return FIXTURES / "shizuku" / "shizuku.model.json"
    return FIXTURES / name / f"{name}.model3.json"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_hierarchy_and_orders(name):
    from seethrough.annotation.loader import load_model

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
    from seethrough.annotation.loader import load_model

    model = load_model(_model_file("Hiyori"))
    names = {p.name for p in model.parts.values()}
    assert any("髪" in n for n in names)
    assert any(p.name for p in model.parameters)


def test_pose_shows_one_arm_variant_of_hiyori():
    from seethrough.annotation.loader import load_model

    model = load_model(_model_file("Hiyori"))
    assert model.pose_groups
    shown, hidden = model.pose_groups[0][0], model.pose_groups[0][1]
    by_part = {}
    for mesh in model.artmeshes:
        by_part.setdefault(mesh.part_id, []).append(mesh.opacity)
    assert max(by_part.get(shown[0], [1.0])) > 0.5
    assert max(by_part.get(hidden[0], [0.0])) == 0.0


def _write_json(path, obj):
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_broken_models_give_clear_errors(tmp_path):
    """Broken copies of Mark's model3.json in tmp_path, linking to the real moc and textures (nothing copied).
    References are relative to the model's folder (a model file may not name a path outside it)."""
    from seethrough.annotation.loader import load_model

    src = FIXTURES / "Mark"
    spec = json.loads((src / "Mark.model3.json").read_text(encoding="utf-8-sig"))
    refs = spec["FileReferences"]
    (tmp_path / "real.moc3").symlink_to(src / refs["Moc"])
    textures = []
    for i, t in enumerate(refs["Textures"]):
        (tmp_path / f"tex{i}.png").symlink_to(src / t)
        textures.append(f"tex{i}.png")
    moc = "real.moc3"

    def model3(name, **changes):
        return _write_json(tmp_path / f"{name}.model3.json",
                           {"Version": 3, "FileReferences": {"Moc": moc, "Textures": textures, **changes}})

    assert len(load_model(model3("fine")).artmeshes) == 30  # the linked copy itself loads
    with pytest.raises(BadInput, match="absolute path"):
        load_model(model3("absolute", Moc=str(src / refs["Moc"])))
    with pytest.raises(BadInput, match="'..' is not allowed"):
        load_model(model3("dotdot", Moc="../" + refs["Moc"]))
    (tmp_path / "bad.model3.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_model(tmp_path / "bad.model3.json")
    with pytest.raises(BadInput, match="texture"):
        load_model(model3("notex", Textures=["missing.png"]))
    with pytest.raises(BadInput, match="texture #0"):
        load_model(model3("notexlist", Textures=[]))
    with pytest.raises(BadInput, match="moc file .* is missing"):
        load_model(model3("nomoc", Moc="absent.moc3"))
    with pytest.raises(BadInput, match="no FileReferences.Moc"):
        load_model(_write_json(tmp_path / "nofiles.model3.json", {"Version": 3}))
    garbage = tmp_path / "g.moc3"
    garbage.write_bytes(b"MOC3" + b"\x00" * 200)
    with pytest.raises(BadInput, match="moc"):
        load_model(model3("garbage", Moc=garbage.name))
    raw = bytearray((src / refs["Moc"]).read_bytes())
    newer = bytearray(raw)
    newer[4] = 99  # a moc version this Core does not know
    (tmp_path / "newer.moc3").write_bytes(newer)
    with pytest.raises(BadInput, match="unsupported"):
        load_model(model3("newer", Moc="newer.moc3"))
    # zero ArtMeshes: the counts table (its offset is the first section pointer) with the ArtMesh counts zeroed;
    # the Core's consistency check refuses such a moc before our own zero-drawable check could
    counts = struct.unpack_from("<I", raw, 64)[0]
    assert struct.unpack_from("<I", raw, counts + 16)[0] == 30
    empty = bytearray(raw)
    struct.pack_into("<I", empty, counts + 16, 0)
    (tmp_path / "empty.moc3").write_bytes(empty)
    with pytest.raises(BadInput, match="moc"):
        load_model(model3("empty", Moc="empty.moc3"))
    with pytest.raises(BadInput, match="no such"):
        load_model(tmp_path / "absent.model3.json")
    with pytest.raises(BadInput, match="not a Live2D model file"):
        load_model(garbage)
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(BadInput, match="holds no"):
        load_model(tmp_path / "empty_dir")


def test_broken_cubism2_models_give_clear_errors(tmp_path):
    from seethrough.annotation.loader import load_model

    src = FIXTURES / "shizuku"
    spec = json.loads((src / "shizuku.model.json").read_text(encoding="utf-8"))
    for rel in [spec["model"], *spec["textures"]]:  # linked, not copied; references stay relative
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).symlink_to(src / rel)
    base = {"model": spec["model"], "textures": list(spec["textures"])}
    with pytest.raises(BadInput, match="texture"):
        load_model(_write_json(tmp_path / "a.model.json", {**base, "textures": ["none.png"]}))
    with pytest.raises(BadInput, match="moc file .* is missing"):
        load_model(_write_json(tmp_path / "b.model.json", {**base, "model": "none.moc"}))
    (tmp_path / "bad.moc").write_bytes(b"not a moc at all")
    with pytest.raises(BadInput, match="not a Cubism 2 .moc"):
        load_model(_write_json(tmp_path / "c.model.json", {**base, "model": "bad.moc"}))
    (tmp_path / "cut.moc").write_bytes((src / spec["model"]).read_bytes()[:300])
    with pytest.raises(BadInput, match="could not be read"):
        load_model(_write_json(tmp_path / "d.model.json", {**base, "model": "cut.moc"}))
    with pytest.raises(BadInput, match="absolute path"):
        load_model(_write_json(tmp_path / "f.model.json", {**base, "model": str(src / spec["model"])}))
    (tmp_path / "e.model.json").write_text("{ broken", encoding="utf-8")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_model(tmp_path / "e.model.json")


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


def test_cubism2_model_loads_through_the_pure_python_runtime():
    from seethrough.annotation.loader import load_model

    model = load_model(FIXTURES / "shizuku")  # a folder works too
    assert model.version == 2 and model.path.name == "shizuku.model.json"
    assert model.canvas_size == (1280.0, 1380.0)
    assert all(m.part_path == (m.part_id,) for m in model.artmeshes)  # Cubism 2 parts are flat
    by_part = {}
    for mesh in model.artmeshes:
        by_part.setdefault(mesh.part_id, []).append(mesh.opacity)
    # shizuku.pose.json: the first arm variant of each group is shown, the second hidden
    assert model.pose_groups and max(by_part["PARTS_01_ARM_L_01"]) > 0.5
    assert max(by_part["PARTS_01_ARM_L_02"]) == 0.0
    ids = {p.id for p in model.parameters}
    assert {"PARAM_ANGLE_X", "PARAM_ANGLE_Y"} <= ids
    visible = [m for m in model.artmeshes if m.opacity > 0 and m.visible_flag]
    assert len(visible) > 80
    for mesh in visible[:10]:
        vertices, uvs, tris = model.geometry(mesh)
        assert vertices.shape == uvs.shape and tris.max() < len(vertices)
        assert 0.0 <= uvs.min() and uvs.max() <= 1.0


@pytest.mark.parametrize("name", ["Mark", "shizuku"])
def test_pose_parameters_move_meshes_and_reset(name):
    from seethrough.annotation.loader import load_model, vertices_in_pixels

    model = load_model(_model_file(name))
    angle = next(p for p in model.parameters if p.id in ("ParamAngleX", "PARAM_ANGLE_X"))
    before = [vertices_in_pixels(model, m).copy() for m in model.artmeshes]
    model.set_parameters({angle.id: angle.max * 0.7})
    model.update()
    assert model.pose_summary() == {angle.id: pytest.approx(angle.max * 0.7, abs=1e-3)}
    moved = sum(not np.allclose(a, vertices_in_pixels(model, m)) for a, m in zip(before, model.artmeshes))
    assert moved >= 5
    model.reset_parameters()
    model.update()
    assert model.pose_summary() == {}
    assert all(np.allclose(a, vertices_in_pixels(model, m)) for a, m in zip(before, model.artmeshes))
