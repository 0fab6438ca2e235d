"""Dataset export from the fixture models: layout validated by `core.dataset_layout`, read back by training,
merging and cancelling, bad inputs, and the PSD command. Skipped without the fixtures."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from seethrough.core.errors import BadInput, Cancelled
from seethrough.core.paths import fixtures_dir

FIXTURES = fixtures_dir()
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def _load(rel):
    from seethrough.annotation.loader import load_model

    return load_model(FIXTURES / rel)


def _part_labels(model):
    """A tiny labelling of the test's own (so these tests do not depend on the auto-labeller): by part id."""
    rules = (("hair", "front hair"), ("eye", "eyewhite"), ("brow", "eyebrow"), ("mouth", "mouth"),
             ("face", "face"), ("arm", "handwear"), ("hand", "handwear"), ("body", "topwear"), ("leg", "legwear"))
    labels = {}
    for mesh in model.artmeshes:
        path = " ".join(mesh.part_path).lower()
        for key, tag in rules:
            if key in path:
                labels[mesh.id] = tag
                break
    return labels


@pytest.fixture(scope="module")
def mark_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("mark-dataset")
    result = _cli("live2d", "export", FIXTURES / "Mark" / "Mark.model3.json", "-o", out, "--size", "128", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["samples"] == 9
    return out


def test_exported_layout_validates_and_reads_back(mark_dataset):
    from seethrough.core.dataset_layout import read_dataset, read_sample, validate_dataset

    assert validate_dataset(mark_dataset) == []
    index = read_dataset(mark_dataset)
    assert index.schema_version == 1 and index.taxonomy == "v3" and len(index.samples) == 9
    # one model: fewer than MIN_MODELS, so its 9 poses are divided among the splits (core.dataset_split)
    assert index.split_by == "pose"
    assert sorted(s.split for s in index.samples).count("train") == 7 and {s.split for s in index.samples} == {
        "train", "val", "test"}
    names = {s.id for s in index.samples}
    assert {"Mark-neutral", "Mark-left", "Mark-up-right"} <= names
    assert index.sample("Mark-left").pose == {"ParamAngleX": -21.0}  # 70 % of the way to −30
    sample = read_sample(index, "Mark-neutral")
    w, h = sample.entry.canvas
    assert max(w, h) == 128 and sample.composite.shape == (h, w, 4) and sample.composite_rgb.shape == (h, w, 3)
    assert "face" in sample.layers
    vis = np.stack(list(sample.visible.values())).astype(int).sum(axis=0)
    assert vis.max() == 1
    # every visible pixel of the composite is claimed by some tag (Mark is fully labelled)
    assert (vis[sample.composite[..., 3] > 200] == 1).mean() > 0.99
    for tag, depth in sample.depth.items():
        alpha = sample.layers[tag][..., 3] > 0
        assert (depth[~alpha] == 1.0).all() and (depth[alpha] < 1.0).mean() > 0.99
        x0, y0, x1, y1 = sample.entry.bboxes[tag]
        ys, xs = np.nonzero(alpha)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    # composite_rgb is the composite over white
    a = sample.composite[..., 3:].astype(np.float32) / 255
    flat = sample.composite[..., :3] * a + 255 * (1 - a)
    assert np.abs(flat - sample.composite_rgb).max() <= 1.0
    # the hair is drawn in front of the face in Mark: its pseudo-depth is nearer where both are
    both = (sample.layers["face"][..., 3] > 0) & (sample.layers["front hair"][..., 3] > 0)
    assert both.any() and (sample.depth["front hair"][both] <= sample.depth["face"][both]).mean() > 0.9


def test_training_reader_loads_the_export(mark_dataset):
    from seethrough.training.data import LayerDataset

    data = LayerDataset(mark_dataset, split=None)
    sample = data.load(0)
    assert sample.composite.shape[2] == 4 and "face" in sample.layers
    for tag, depth in sample.depths.items():
        assert 0.0 <= depth.min() and depth.max() <= 1.0
        assert (depth[sample.layers[tag][..., 3] == 0] == 1.0).all()


def test_training_runs_on_the_exported_dataset(mark_dataset, tmp_path):
    torch = pytest.importorskip("torch")
    from seethrough.training.config import TrainConfig
    from seethrough.training.jobs import make_job
    from seethrough.training.sampling import step_draws

    # train on every sample, whatever its split
    cfg = TrainConfig(job="layers-stage1", data=str(mark_dataset), output=str(tmp_path), resolution=64, lr=2e-3,
                      warmup_steps=0, max_steps=5, mixed_precision="no", split="all",
                      augment={"flip": 0.0, "crop": 0.0})
    job = make_job(cfg)
    model = job.build()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    batch = job.batch([0], step_draws(0, 0, [0]))
    losses = []
    for _ in range(12):
        loss = job.loss(model, batch, step_draws(0, 0, [0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.6 * losses[0]


def test_validator_reports_damage(mark_dataset, tmp_path):
    import shutil

    from seethrough.core.dataset_layout import validate_dataset

    copy = tmp_path / "ds"
    shutil.copytree(mark_dataset, copy)
    folder = copy / "samples" / "Mark-neutral"
    (folder / "layers" / "face.png").unlink()
    vis = cv2.imread(str(folder / "visible" / "mouth.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(folder / "visible" / "mouth.png"), np.full_like(vis, 255))  # claims every pixel
    entry = json.loads((copy / "samples" / "Mark-up" / "sample.json").read_text())
    entry["split"] = "bogus"
    (copy / "samples" / "Mark-up" / "sample.json").write_text(json.dumps(entry))
    problems = validate_dataset(copy)
    assert any("layers/face.png is missing" in p for p in problems)
    assert any("sample.json differs" in p for p in problems)
    (folder / "layers" / "face.png").write_bytes((mark_dataset / "samples" / "Mark-neutral" / "layers" /
                                                  "face.png").read_bytes())
    problems = validate_dataset(copy)
    assert any("visibility masks overlap" in p or "visible where its layer is transparent" in p for p in problems)
    index = json.loads((copy / "dataset.json").read_text())
    index["schema_version"] = 99
    (copy / "dataset.json").write_text(json.dumps(index))
    assert "newer version" in validate_dataset(copy)[0]
    assert "dataset.json is missing" in validate_dataset(tmp_path)[0]


def test_export_merges_cancels_and_refuses_bad_labels(tmp_path):
    from seethrough.annotation.dataset import export_dataset
    from seethrough.core.dataset_layout import read_dataset, validate_dataset

    model = _load("shizuku/shizuku.model.json")
    labels = _part_labels(model)
    assert len(labels) > 40
    out = tmp_path / "ds"
    seen = []
    export_dataset(model, labels, out, [("neutral", {}), ("left", {"PARAM_ANGLE_X": -30.0})], size=96,
                   progress=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 2), (2, 2)] and validate_dataset(out) == []
    assert model.pose_summary() == {}  # left at the defaults
    calls = iter([False, True])
    with pytest.raises(Cancelled):
        export_dataset(model, labels, out, [("up", {"PARAM_ANGLE_Y": 20.0}), ("down", {"PARAM_ANGLE_Y": -20.0})],
                       size=96, is_cancelled=lambda: next(calls))
    ids = {s.id for s in read_dataset(out).samples}
    assert ids == {"shizuku-neutral", "shizuku-left", "shizuku-up"}  # finished samples kept, index rewritten
    assert validate_dataset(out) == []
    with pytest.raises(BadInput, match="does not have"):
        export_dataset(model, {"ArtMesh1": "face"}, out, [("neutral", {})], size=96)
    with pytest.raises(BadInput, match="no ArtMesh is labelled"):
        export_dataset(model, {}, out, [("neutral", {})], size=96)
    with pytest.raises(BadInput, match="v3 dataset"):
        export_dataset(model, labels, out, [("neutral", {})], size=96, tagset="v2")


def test_pose_lists(tmp_path):
    from seethrough.annotation.poses import check_poses, default_poses, load_poses, save_poses

    model = _load("Hiyori/Hiyori.model3.json")
    poses = default_poses(model)
    assert [name for name, _ in poses] == ["neutral", "up", "down", "left", "right", "up-left", "up-right",
                                           "down-left", "down-right"]
    assert dict(poses)["up-left"] == {"ParamAngleX": -21.0, "ParamAngleY": 21.0}
    path = tmp_path / "poses.json"
    save_poses(poses, path)
    assert load_poses(path) == poses
    path.write_text(json.dumps([{"name": "a", "params": {"ParamAngleX": 5}}, {"name": "a"}]))
    with pytest.raises(BadInput, match="used twice"):
        load_poses(path)
    path.write_text(json.dumps([{"name": "bad/name"}]))
    with pytest.raises(BadInput, match="may only use"):
        load_poses(path)
    path.write_text(json.dumps({"poses": [{"name": "x", "params": {"NoSuchParam": 1}}]}))
    with pytest.raises(BadInput, match="NoSuchParam"):
        check_poses(model, load_poses(path))
    result = _cli("live2d", "export", FIXTURES / "Mark" / "Mark.model3.json", "-o", tmp_path / "o", "--poses", path)
    assert result.returncode == 2 and "NoSuchParam" in result.stderr


def test_info_cli_lists_meshes_with_areas_and_the_part_tree():
    result = _cli("live2d", "info", FIXTURES / "Mark" / "Mark.model3.json", "--json", "--size", "256")
    assert result.returncode == 0, result.stderr[-2000:]
    info = json.loads(result.stdout)  # nothing but JSON on stdout (live2d-py's banner is silenced)
    assert len(info["artmeshes"]) == 30
    first = info["artmeshes"][0]
    assert {"id", "name", "part", "part_path", "draw_order", "opacity", "area", "visible_area"} <= set(first)
    assert sum(m["area"] > 0 for m in info["artmeshes"]) >= 25
    assert info["parts"]["children"] and info["cubism"] == 3
    bad = _cli("live2d", "info", FIXTURES / "README.md")
    assert bad.returncode == 2 and "not a Live2D model" in bad.stderr


def test_live2d_psd_cli(tmp_path):
    from psd_tools import PSDImage

    poses = tmp_path / "poses.json"
    poses.write_text(json.dumps([{"name": "turned", "params": {"ParamAngleX": 20}}]))
    out = tmp_path / "mark.psd"
    result = _cli("live2d", "psd", FIXTURES / "Mark" / "Mark.model3.json", "-o", out, "--size", "256",
                  "--pose", poses)
    assert result.returncode == 0, result.stderr[-2000:]
    names = [layer.name for layer in PSDImage.open(out)]
    assert "face" in names and (tmp_path / "mark_depth.psd").exists()
