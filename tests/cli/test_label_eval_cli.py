"""`live2d label MODEL --eval GT.json` end to end on Mark: the numbers it prints are those of the pure evaluation
of the labels it wrote, human labels equal to the ground truth score 100%, and the measurement writes nothing
unless -o is given."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.core.paths import fixtures_dir

REPO = Path(__file__).resolve().parents[2]
MARK = fixtures_dir() / "Mark" / "Mark.model3.json"
TRUTH = REPO / "tests" / "data" / "labels" / "Mark.json"
pytestmark = pytest.mark.skipif(not MARK.is_file(), reason="Mark fixture absent")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True)


def _json(run: subprocess.CompletedProcess) -> dict:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout[run.stdout.index("{"):])


def test_eval_reports_the_pure_evaluation_of_the_written_labels(tmp_path):
    from seethrough.annotation.ground_truth import evaluate, read_ground_truth
    from seethrough.annotation.labels import LabelStore
    from seethrough.annotation.loader import load_model
    from seethrough.cli.live2d_label import eval_areas

    out = tmp_path / "Mark.labels.json"
    data = _json(_cli("live2d", "label", str(MARK), "-o", str(out), "--eval", str(TRUTH), "--json"))
    report = data["eval"]
    model = load_model(MARK)
    tags = LabelStore.open(out, [m.id for m in model.artmeshes]).tags()
    expected = evaluate(tags, read_ground_truth(TRUTH), eval_areas(model))
    assert report["meshes"] == 30 == expected.meshes
    assert report["meshes_correct"] == expected.correct
    assert report["visible_area"] == expected.visible_area > 100_000  # a 1024 px render of a boy
    assert report["visible_area_accuracy"] == round(expected.area_accuracy, 4)
    assert [w["id"] for w in report["worst"]] == [e.id for e in expected.errors[:10]]


def test_human_labels_equal_to_the_truth_score_full_marks(tmp_path):
    from seethrough.annotation.labels import LabelStore
    from seethrough.annotation.loader import load_model

    model = load_model(MARK)
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))["labels"]
    out = tmp_path / "labels.json"
    store = LabelStore([m.id for m in model.artmeshes], path=out)
    for mid, tag in truth.items():
        store.set_tag([mid], tag if isinstance(tag, str) else tag[-1])
    before = out.read_bytes()
    text = _cli("live2d", "label", str(MARK), "-o", str(out), "--eval", str(TRUTH))
    assert text.returncode == 0, text.stderr
    assert "mesh accuracy 30/30 = 100.0%; visible-area accuracy 100.0%" in text.stdout
    assert "worst meshes" not in text.stdout
    assert json.loads(out.read_bytes())["entries"] == json.loads(before)["entries"]  # human labels untouched


def test_eval_without_output_writes_nothing_and_bad_truth_is_one_line(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "Mark"
    shutil.copytree(MARK.parent, folder)
    before = sorted(p.name for p in folder.iterdir())
    data = _json(_cli("live2d", "label", str(folder / "Mark.model3.json"), "--eval", str(TRUTH), "--json"))
    assert data["output"] is None and data["eval"]["meshes"] == 30
    assert sorted(p.name for p in folder.iterdir()) == before
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"labels": {"NotAMesh": "face"}}), encoding="utf-8")
    run = _cli("live2d", "label", str(folder / "Mark.model3.json"), "--eval", str(wrong))
    assert run.returncode == 2 and "another model" in run.stderr and len(run.stderr.strip().splitlines()) == 1
