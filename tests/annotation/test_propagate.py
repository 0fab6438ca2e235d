"""Label propagation between models on synthetic part trees with known answers, and between two copies of a
fixture model through label files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seethrough.annotation.model import ArtMesh, Live2DModel, Part
from seethrough.annotation.propagate import Source, load_source, propagate, read_label_entries
from seethrough.core.errors import BadInput
from seethrough.core.paths import fixtures_dir


def _model(meshes: list[tuple[str, str, str]], name: str = "A") -> Live2DModel:
    """meshes: (id, display name, parent part id) under PartHead (頭部) → PartHair (髪) / PartFace (顔)."""
    parts = {"PartHead": Part("PartHead", "頭部", None, ["PartHair", "PartFace"]),
             "PartHair": Part("PartHair", "髪", "PartHead"), "PartFace": Part("PartFace", "顔", "PartHead")}
    arts = [ArtMesh(mid, mname, i, pid, ("PartHead", pid), i, i, 1.0, 0, ()) for i, (mid, mname, pid) in
            enumerate(meshes)]
    return Live2DModel(Path(f"{name}.model3.json"), 3, arts, parts, [], (100.0, 100.0), [])


def test_ids_first_then_part_path_and_name() -> None:
    source_model = _model([("M1", "前髪", "PartHair"), ("M2", "輪郭", "PartFace"), ("M3", "影", "PartFace"),
                           ("M4", "影", "PartFace"), ("M5", "", "PartFace")])
    labels = {"M1": ("front hair", "human"), "M2": ("face", "name-match"), "M3": ("face", "human"),
              "M4": ("nose", "human"), "M5": ("mouth", "human")}
    # the target renumbered its meshes: only M5 keeps its id
    target = _model([("X1", "前髪", "PartHair"), ("X2", "輪郭", "PartFace"), ("X3", "影", "PartFace"),
                     ("M5", "", "PartFace"), ("X9", "前髪", "PartFace")], "B")
    result = propagate(target, Source(labels, source_model))
    assert result.assignments == {
        "X1": ("front hair", "human"),  # same part path 頭部/髪 + name 前髪
        "X2": ("face", "name-match"),  # keeps the rule that set it in the source
        "M5": ("mouth", "human"),  # same id
    }  # X3: 影 is ambiguous (face / nose); X9: 前髪 under 顔 is another part path
    assert (result.by_id, result.by_path) == (1, 2)


def test_human_labels_of_the_target_are_kept_and_same_labels_not_reapplied() -> None:
    model = _model([("M1", "前髪", "PartHair"), ("M2", "輪郭", "PartFace")])
    source = Source({"M1": ("back hair", "name-match"), "M2": ("face", "name-match")}, None)
    result = propagate(model, source, {"M1": ("front hair", "human"), "M2": ("face", "name-match")})
    assert result.assignments == {} and result.skipped_human == 1


def test_label_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.labels.json"
    bad.write_text("[1, 2")
    with pytest.raises(BadInput, match="cannot read"):
        read_label_entries(bad)
    bad.write_text(json.dumps({"nope": 1}))
    with pytest.raises(BadInput, match="not a label file"):
        read_label_entries(bad)


@pytest.mark.skipif(not (fixtures_dir() / "Mark").is_dir(), reason="Live2D fixtures not found")
def test_from_another_copy_of_a_fixture(tmp_path: Path) -> None:
    from seethrough.annotation.labels import LabelStore
    from seethrough.annotation.loader import load_model

    copy = tmp_path / "Mark"
    shutil.copytree(fixtures_dir() / "Mark", copy)
    model = load_model(copy)
    with pytest.raises(BadInput, match="no label file"):
        load_source(copy / "Mark.model3.json")
    store = LabelStore.open(copy / "Mark.labels.json", [m.id for m in model.artmeshes])
    store.set_tag(["Face"], "face")
    for path in (copy / "Mark.model3.json", copy / "Mark.labels.json"):
        source = load_source(path)
        assert source.model is not None and source.labels == {"Face": ("face", "human")}
        assert propagate(model, source).assignments == {"Face": ("face", "human")}
