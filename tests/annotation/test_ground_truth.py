"""Measuring labels against a hand-verified ground truth: a synthetic case whose numbers are worked out by hand,
the file checks, and the committed ground-truth files themselves (ids of the fixture models, known tags)."""

import json
from pathlib import Path

import pytest

from seethrough.annotation.ground_truth import evaluate, format_evaluation, read_ground_truth
from seethrough.core.errors import BadInput
from seethrough.core.paths import fixtures_dir
from seethrough.core.taxonomy import taxonomy

LABELS = Path(__file__).resolve().parents[1] / "data" / "labels"


def _truth(tmp_path, labels, **extra):
    path = tmp_path / "gt.json"
    path.write_text(json.dumps({"schema": "seethrough-ground-truth/1", "model": "toy", "taxonomy": "v3",
                                "labels": labels, **extra}), encoding="utf-8")
    return read_ground_truth(path, taxonomy().tags("v3"))


def test_synthetic_case_with_known_numbers(tmp_path):
    truth = _truth(tmp_path, {
        "skirt": "bottomwear",              # 600 px, predicted topwear: wrong
        "jacket": "topwear",                # 300 px, right
        "sleeve": ["handwear", "topwear"],  # 50 px, predicted topwear: right (either tag)
        "eye": "irides",                    # 40 px, unlabelled: wrong
        "lash": "eyelash",                  # 10 px, right
        "hitarea": None,                    # not evaluated whatever it is labelled
    })
    predicted = {"skirt": "topwear", "jacket": "topwear", "sleeve": "topwear", "lash": "eyelash",
                 "hitarea": "face"}
    areas = {"skirt": 600, "jacket": 300, "sleeve": 50, "eye": 40, "lash": 10, "hitarea": 999}
    result = evaluate(predicted, truth, areas, mesh_ids=list(areas))
    assert (result.meshes, result.correct) == (5, 3)
    assert result.mesh_accuracy == pytest.approx(3 / 5)
    assert (result.visible_area, result.visible_correct) == (1000, 360)
    assert result.area_accuracy == pytest.approx(0.36)
    assert [(e.id, e.predicted, e.visible_area) for e in result.errors] == [("skirt", "topwear", 600),
                                                                           ("eye", None, 40)]
    assert result.confusions == [("bottomwear", "topwear", 1, 600), ("irides", "(unlabelled)", 1, 40)]
    data = result.to_json(worst=1)
    assert data["mesh_accuracy"] == 0.6 and data["visible_area_accuracy"] == 0.36
    assert data["worst"] == [{"id": "skirt", "predicted": "topwear", "truth": ["bottomwear"], "visible_area": 600}]
    text = "\n".join(format_evaluation("toy", result, 1024))
    assert "mesh accuracy 3/5 = 60.0%" in text and "visible-area accuracy 36.0%" in text
    assert "bottomwear → topwear: 1 mesh(es), 600 px" in text


def test_perfect_and_empty_predictions(tmp_path):
    truth = _truth(tmp_path, {"a": "face", "b": ["ears", "face"]})
    areas = {"a": 7, "b": 3}
    assert evaluate({"a": "face", "b": "ears"}, truth, areas).area_accuracy == 1.0
    none = evaluate({}, truth, areas)
    assert (none.correct, none.visible_correct, none.mesh_accuracy, none.area_accuracy) == (0, 0, 0.0, 0.0)


def test_ground_truth_for_another_model_is_refused(tmp_path):
    truth = _truth(tmp_path, {"a": "face", "zzz": "ears"})
    with pytest.raises(BadInput, match="does not have"):
        evaluate({}, truth, {}, mesh_ids=["a"])


@pytest.mark.parametrize("labels, message", [
    ({"a": "not-a-tag"}, "unknown tag"),
    ({"a": 3}, "must map to a tag"),
    ({"a": []}, "must map to a tag"),
])
def test_bad_files_are_one_line_errors(tmp_path, labels, message):
    with pytest.raises(BadInput, match=message):
        _truth(tmp_path, labels)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(BadInput, match="not valid JSON"):
        read_ground_truth(broken)
    with pytest.raises(BadInput, match="not found"):
        read_ground_truth(tmp_path / "absent.json")


@pytest.mark.parametrize("path", sorted(LABELS.glob("*.json")), ids=lambda p: p.stem)
def test_committed_ground_truths_name_exactly_the_models_meshes(path):
    truth = read_ground_truth(path, taxonomy().tags("v3"))
    assert truth.notes and truth.model == path.stem
    folder = fixtures_dir() / path.stem
    if not folder.is_dir():
        pytest.skip(f"fixture {path.stem} absent")
    from seethrough.annotation.loader import load_model

    model = load_model(folder)
    assert set(truth.labels) == {m.id for m in model.artmeshes}
