"""A dataset layer that does not cover its sample's canvas (a 7×3 face.png) is refused when read, by training and by
evaluation alike, with a message naming the file; pose lists refuse NaN and infinite values."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from seethrough.annotation.poses import load_poses
from seethrough.core.dataset_layout import read_dataset, read_sample
from seethrough.core.errors import BadInput
from seethrough.training.data import LayerDataset
from tests.support.tiny_dataset import write_dataset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def bad_face(tmp_path):
    root = write_dataset(tmp_path / "data", samples=2)
    sample = sorted((root / "samples").iterdir())[0]
    if not (sample / "composite_rgb.png").exists():  # the evaluation reader wants the flattened composite too
        cv2.imwrite(str(sample / "composite_rgb.png"), cv2.imread(str(sample / "composite.png"), cv2.IMREAD_COLOR))
    for layer in (sample / "layers").glob("*.png"):  # and the visibility masks
        visible = sample / "visible" / layer.name
        if not visible.exists():
            alpha = cv2.imread(str(layer), cv2.IMREAD_UNCHANGED)[..., 3]
            cv2.imwrite(str(visible), (alpha > 127).astype(np.uint8) * 255)
    face = sample / "layers" / "face.png"
    cv2.imwrite(str(face), np.full((3, 7, 4), 200, np.uint8))
    return root, sample.name, face


def test_training_reader_refuses_a_layer_smaller_than_the_canvas(bad_face):
    root, sid, face = bad_face
    data = LayerDataset(root, split=None)
    index = [e.id for e in data.entries].index(sid)
    with pytest.raises(BadInput) as info:
        data.load(index)
    assert str(face) in str(info.value) and "7×3" in str(info.value) and "64×64" in str(info.value)
    data.load(1 - index)  # the sound sample still reads


def test_evaluation_reader_refuses_it_too(bad_face):
    root, sid, face = bad_face
    index = read_dataset(root)
    with pytest.raises(BadInput, match=rf"{face}.*7×3.*64×64"):
        read_sample(index, sid)


def test_training_on_it_exits_2_with_one_line(bad_face, tmp_path):
    root, _, face = bad_face
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "train", str(REPO / "resources" / "configs" / "vae_tiny.yaml"),
         "--data", str(root), "--output", str(tmp_path / "run"), "--max-steps", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(face) in lines[0]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999", "true"])
def test_pose_values_must_be_finite_numbers(tmp_path, value):
    path = tmp_path / "poses.json"
    path.write_text('{"poses": [{"name": "a", "params": {"ParamAngleX": ' + value + "}}]}")
    with pytest.raises(BadInput) as info:
        load_poses(path)
    message = str(info.value)
    # one line naming the file and what is wrong: the key, or the non-finite number JSON itself refuses
    assert "\n" not in message and path.name in message
    assert "ParamAngleX" in message or "finite" in message


def test_finite_pose_values_are_kept(tmp_path):
    path = tmp_path / "poses.json"
    path.write_text(json.dumps({"poses": [{"name": "a", "params": {"ParamAngleX": -30, "ParamAngleY": 12.5}}]}))
    assert load_poses(path) == [("a", {"ParamAngleX": -30.0, "ParamAngleY": 12.5})]
