"""Transparency-decoder and depth-model training on CPU with the tiny preset."""

import pytest
import torch

from seethrough.core.decompose.engine import load_engine
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.training.config import TrainConfig
from seethrough.training.jobs import make_job
from seethrough.training.runner import train
from seethrough.training.sampling import step_draws
from tests.support.tiny_dataset import write_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data"))


def _cfg(dataset, out, job, **kw):
    base = dict(job=job, data=str(dataset), output=str(out), resolution=64, lr=2e-3, warmup_steps=0, max_steps=3,
                checkpoint_every=100, log_every=1, mixed_precision="no", tags="v3", seed=0,
                augment={"flip": 0.0, "crop": 0.0})
    base.update(kw)
    return TrainConfig(**base)


def _fixed_batch_losses(job, steps):
    model = job.build()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=job.cfg.lr)
    batch = job.batch([0], step_draws(0, 0, [0]))
    out = []
    for _ in range(steps):
        loss = job.loss(model, batch, step_draws(0, 0, [0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(float(loss.detach()))
    return out


def test_transparency_decoder_overfits(dataset, tmp_path):
    losses = _fixed_batch_losses(make_job(_cfg(dataset, tmp_path, "vae", gan_weight=0.0)), 15)
    assert losses[-1] < 0.5 * losses[0]


def test_patchgan_term_trains_the_discriminator_only_on_its_loss(dataset, tmp_path):
    job = make_job(_cfg(dataset, tmp_path, "vae", gan_weight=0.01))
    model = job.build()
    batch = job.batch([0], step_draws(0, 0, [0]))
    loss = job.loss(model, batch, step_draws(0, 0, [0]))
    loss.backward()
    assert all(p.grad is not None for p in model.disc.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.decoder.parameters())


def test_vae_run_saves_a_model_the_engine_runs(dataset, tmp_path):
    cfg = _cfg(dataset, tmp_path / "run", "vae", max_steps=2)
    final = train(cfg, make_job(cfg), emit=lambda *a, **k: None)
    options = DecomposeOptions(resolution=64, steps=1, layer_model=final, depth=False)
    import numpy as np

    image = np.full((64, 64, 4), 255, np.uint8)
    doc = load_engine(options).decompose(image, options)
    assert doc.size == (64, 64)


def test_depth_stage1_overfits(dataset, tmp_path):
    losses = _fixed_batch_losses(make_job(_cfg(dataset, tmp_path, "depth-stage1")), 15)
    assert losses[-1] < 0.5 * losses[0]


def test_depth_stage1_to_stage2_conversion_and_engine(dataset, tmp_path):
    cfg1 = _cfg(dataset, tmp_path / "d1", "depth-stage1", max_steps=2)
    d1 = train(cfg1, make_job(cfg1), emit=lambda *a, **k: None)
    cfg2 = _cfg(dataset, tmp_path / "d2", "depth-stage2", max_steps=2, init_from=str(d1))
    job2 = make_job(cfg2)
    losses = _fixed_batch_losses(job2, 6)
    assert losses[-1] < losses[0]
    d2 = train(cfg2, make_job(cfg2), emit=lambda *a, **k: None)
    assert (d2 / "unet" / "config.json").exists() and (d2 / "scheduler").is_dir()
    from seethrough.core.pipelines.layer_depth import LayerDepthPipeline

    pipe = LayerDepthPipeline.load(d2)
    assert pipe.unet.config.in_channels == 12


def test_validation_images_are_written_and_reported(dataset, tmp_path):
    cfg = _cfg(dataset, tmp_path / "v", "vae", max_steps=2, validate_every=1)
    events = []
    train(cfg, make_job(cfg), emit=lambda kind, **f: events.append((kind, f)))
    shown = [f["images"] for kind, f in events if kind == "validation"]
    assert len(shown) == 2
    import cv2

    img = cv2.imread(shown[-1][0])
    assert img is not None and img.shape == (64, 128, 3)


def test_the_jobs_said_to_write_validation_images_are_those_that_do():
    """The Train tab tells the user before a run whether its job makes validation images (config's list); the
    runner asks the job itself: the two must agree."""
    import importlib

    from seethrough.training.config import JOBS, JOBS_WITH_VALIDATION_IMAGES
    from seethrough.training.jobs import JOB_CLASSES

    for name in JOBS:
        module, cls = JOB_CLASSES[name].split(":")
        job_class = getattr(importlib.import_module(module), cls)
        assert hasattr(job_class, "validation_images") == (name in JOBS_WITH_VALIDATION_IMAGES), name
