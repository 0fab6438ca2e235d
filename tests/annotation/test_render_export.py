"""CPU rendering and dataset export of the fixture models, and training on what was exported."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from core.paths import fixtures_dir

FIXTURES = fixtures_dir()
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


def _load(name):
    from annotation.loader import load_model

    return load_model(FIXTURES / name / f"{name}.model3.json")


def test_fragments_and_disjoint_visibility_masks():
    from annotation.render import ModelRaster, fit_frame

    model = _load("Mark")
    raster = ModelRaster(model, fit_frame(model, 384))
    masks = raster.visibility_masks()
    stacked = np.stack(list(masks.values())).astype(int).sum(axis=0)
    assert stacked.max() == 1  # every pixel belongs to at most one fragment
    visible = [m for m in model.artmeshes if m.opacity > 0 and m.visible_flag]
    empty = [m for m in visible if raster.fragments[m.id][..., 3].max() <= 0.1]
    # only clipped meshes may vanish (Mark's eyelids lie outside the eye whites that clip them until a blink)
    assert all(m.mask_ids for m in empty)
    assert all(raster.full(m.id)[..., 3].max() > 0.1 for m in visible)
    nonempty = [m for m in visible if m not in empty]
    assert sum(masks[m.id].any() for m in nonempty) >= 0.8 * len(nonempty)


@pytest.mark.parametrize("name", ["Mark", "Haru", "Hiyori"])
def test_tag_layers_recomposite_to_the_render(name):
    from annotation.dataset import live2d_document
    from app.cli.live2d_commands import model_labels
    from core.compositing import composite
    from core.metrics import psnr

    model = _load(name)
    doc = live2d_document(model, model_labels(model, None, "v3"), size=512)
    assert len(doc.layers) >= 8
    assert psnr(composite(doc, mode="zbuffer"), doc.source) >= 40.0


@pytest.fixture(scope="module")
def mark_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("mark-dataset")
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "live2d", "export",
                             str(FIXTURES / "Mark" / "Mark.model3.json"), "-o", str(out), "--size", "128", "--json"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_exported_layout_reads_back(mark_dataset):
    from training.data import LayerDataset

    index = json.loads((mark_dataset / "dataset.json").read_text())
    assert len(index["samples"]) == 9 and {s["split"] for s in index["samples"]} == {index["samples"][0]["split"]}
    data = LayerDataset(mark_dataset, split=None)
    sample = data.load(0)
    assert sample.composite.shape[2] == 4 and "face" in sample.layers
    for tag, depth in sample.depths.items():
        alpha = sample.layers[tag][..., 3] > 0
        assert 0.0 <= depth.min() and depth.max() <= 1.0
        assert (depth[~alpha] == 1.0).all()
    folder = mark_dataset / "samples" / data.entries[0].id
    vis = [np.asarray(__import__("cv2").imread(str(p), 0)) > 0 for p in (folder / "visible").glob("*.png")]
    assert np.stack(vis).sum(axis=0).max() <= 1  # a pixel is visible as one tag at most


def test_training_runs_on_the_exported_dataset(mark_dataset, tmp_path):
    from training.config import TrainConfig
    from training.jobs import make_job
    from training.runner import step_generator

    # one model's poses all share one split (chosen by hash): train on every sample
    cfg = TrainConfig(job="layers-stage1", data=str(mark_dataset), output=str(tmp_path), resolution=64, lr=2e-3,
                      warmup_steps=0, max_steps=5, mixed_precision="no", split="all",
                      augment={"flip": 0.0, "crop": 0.0})
    job = make_job(cfg)
    model = job.build()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    batch = job.batch([0], step_generator(0, 0))
    losses = []
    for _ in range(12):
        loss = job.loss(model, batch, step_generator(0, 0))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.6 * losses[0]


def test_live2d_psd_cli(tmp_path):
    from psd_tools import PSDImage

    out = tmp_path / "mark.psd"
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "live2d", "psd",
                             str(FIXTURES / "Mark" / "Mark.model3.json"), "-o", str(out), "--size", "256"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    names = [layer.name for layer in PSDImage.open(out)]
    assert "face" in names and (tmp_path / "mark_depth.psd").exists()
