"""A missing or broken optional file (expression, motion, physics, pose, display info) never stops a model from
loading: it is reported on `Live2DModel.warnings` (and by `live2d info`) and the meshes load."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.annotation.loader import load_model
from seethrough.core.paths import fixtures_dir

FIXTURES = fixtures_dir()
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


def _mark_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "Mark"
    shutil.copytree(FIXTURES / "Mark", folder)
    return folder


@pytest.mark.skipif(not (FIXTURES / "tsumiki").is_dir(), reason="tsumiki fixture absent")
def test_tsumiki_loads_although_its_expressions_are_not_shipped():
    model = load_model(FIXTURES / "tsumiki" / "tsumiki.model.json")
    assert len(model.artmeshes) == 89
    missing = [w for w in model.warnings if "exp/f01.exp.json" in w]
    assert missing and "missing" in missing[0] and "F01.exp.json" in missing[0]  # the case-only near miss
    assert all(w.startswith(("expression file", "motion file")) for w in model.warnings)


def test_mark_without_physics_loads_with_a_warning(tmp_path):
    folder = _mark_copy(tmp_path)
    (folder / "Mark.physics3.json").unlink()
    model = load_model(folder / "Mark.model3.json")
    assert len(model.artmeshes) == 30
    assert model.warnings == ["physics file Mark.physics3.json missing; ignored"]


def test_mark_with_broken_optional_files_loads_with_warnings(tmp_path):
    folder = _mark_copy(tmp_path)
    (folder / "Mark.physics3.json").write_bytes(b"{ not json")
    (folder / "Mark.cdi3.json").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "broken.pose3.json").write_text("[1, 2", encoding="utf-8")
    (folder / "motions" / "mark_m02.motion3.json").unlink()
    spec = json.loads((folder / "Mark.model3.json").read_text(encoding="utf-8"))
    spec["FileReferences"]["Pose"] = "broken.pose3.json"
    spec["FileReferences"]["Expressions"] = [{"Name": "smile", "File": "expressions/smile.exp3.json"}]
    (folder / "Mark.model3.json").write_text(json.dumps(spec), encoding="utf-8")
    model = load_model(folder / "Mark.model3.json")
    assert len(model.artmeshes) == 30
    text = "\n".join(model.warnings)
    for needle in ("physics file Mark.physics3.json not readable JSON", "display info file Mark.cdi3.json",
                   "pose file broken.pose3.json", "motion file motions/mark_m02.motion3.json missing",
                   "expression file expressions/smile.exp3.json missing"):
        assert needle in text
    assert all(not p.name for p in model.parts.values())  # display names were skipped, not half-read
    assert model.pose_groups == []


def test_intact_models_have_no_warnings():
    assert load_model(FIXTURES / "Mark" / "Mark.model3.json").warnings == []


@pytest.mark.skipif(not (FIXTURES / "koharu").is_dir(), reason="koharu fixture absent")
def test_cubism2_with_broken_physics_and_missing_motion_loads(tmp_path):
    folder = tmp_path / "koharu"
    shutil.copytree(FIXTURES / "koharu", folder)
    spec = json.loads((folder / "koharu.model.json").read_text(encoding="utf-8"))
    (folder / spec["physics"]).write_text("{]", encoding="utf-8")
    group = next(iter(spec["motions"]))
    gone = spec["motions"][group][0]["file"]
    (folder / gone).unlink()
    model = load_model(folder / "koharu.model.json")
    assert len(model.artmeshes) == 90
    assert any(w.startswith("physics file") and "not readable JSON" in w for w in model.warnings)
    assert any(f"motion file {gone} missing" in w for w in model.warnings)


@pytest.mark.skipif(not (FIXTURES / "tsumiki").is_dir(), reason="tsumiki fixture absent")
def test_live2d_info_shows_the_warnings():
    run = subprocess.run([sys.executable, str(REPO / "main.py"), "live2d", "info", "--json",
                          str(FIXTURES / "tsumiki" / "tsumiki.model.json")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout[run.stdout.index("{"):])
    assert len(data["artmeshes"]) == 89
    assert any("exp/f01.exp.json" in w for w in data["warnings"])
    text = subprocess.run([sys.executable, str(REPO / "main.py"), "live2d", "info",
                           str(FIXTURES / "tsumiki" / "tsumiki.model.json")], capture_output=True, text=True)
    assert "warning: expression file exp/f01.exp.json missing" in text.stdout
