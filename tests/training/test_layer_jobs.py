"""Layer-model training on CPU with the tiny preset: the loss falls on a fixed batch, stage 2 starts from
stage 1 exactly, and the saved model runs in the decomposition engine."""

import numpy as np
import pytest
import torch

from seethrough.core.decompose.engine import load_engine
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.training.config import TrainConfig
from seethrough.training.jobs import make_job
from seethrough.training.presets import convert_2d_to_3d, layer_unet_config, to_3d
from seethrough.training.runner import train
from seethrough.training.sampling import step_draws
from tests.support.tiny_dataset import write_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data"))


def _cfg(dataset, out, **kw):
    base = dict(job="layers-stage1", data=str(dataset), output=str(out), resolution=64, lr=1e-3, warmup_steps=0,
                max_steps=6, checkpoint_every=100, log_every=1, mixed_precision="no", tags="v3", seed=0,
                augment={"flip": 0.0, "crop": 0.0})
    base.update(kw)
    return TrainConfig(**base)


def _overfit(job, steps=15):
    model = job.build()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    batch = job.batch([0], step_draws(0, 0, [0]))
    losses = []
    for _ in range(steps):
        loss = job.loss(model, batch, step_draws(0, 0, [0]))  # same noise and timestep: a fixed problem
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


def test_stage1_overfits_a_fixed_batch(dataset, tmp_path):
    losses = _overfit(make_job(_cfg(dataset, tmp_path)))
    assert losses[-1] < 0.5 * losses[0]


def test_stage2_overfits_a_fixed_batch(dataset, tmp_path):
    losses = _overfit(make_job(_cfg(dataset, tmp_path, job="layers-stage2")), steps=12)
    assert losses[-1] < 0.7 * losses[0]


def test_2d_to_3d_conversion_reproduces_stage1():
    torch.manual_seed(0)
    from seethrough.core.models.layer_unet import UNetFrameConditionModel

    unet_2d = UNetFrameConditionModel(**layer_unet_config("tiny", "v2", stage=1))
    unet_3d = convert_2d_to_3d(unet_2d, to_3d(dict(unet_2d.config), "v2"))
    x = torch.randn(1, 3, 8, 8, 8)
    ehs = torch.randn(3, 5, 32)
    cond = {"text_embeds": torch.randn(3, 16), "time_ids": torch.randn(3, 6)}
    with torch.no_grad():
        frames = []
        for i in range(3):
            one = {k: v[i : i + 1] for k, v in cond.items()}
            frames.append(unet_2d(x[:, i : i + 1], 10, ehs[i : i + 1], one, return_dict=False)[0])
        per_frame = torch.cat(frames, dim=1)
        joint = unet_3d(x, 10, ehs, cond, return_dict=False)[0]
    torch.testing.assert_close(joint, per_frame, atol=1e-5, rtol=1e-4)


def test_stage1_then_stage2_then_decompose(dataset, tmp_path):
    s1 = train(_cfg(dataset, tmp_path / "s1", max_steps=3), make_job(_cfg(dataset, tmp_path / "s1", max_steps=3)),
               emit=lambda *a, **k: None)
    cfg2 = _cfg(dataset, tmp_path / "s2", job="layers-stage2", max_steps=2, init_from=str(s1))
    s2 = train(cfg2, make_job(cfg2), emit=lambda *a, **k: None)
    assert (s2 / "unet" / "config.json").exists()
    options = DecomposeOptions(resolution=64, steps=2, layer_model=s2, depth=False)
    image = np.zeros((64, 64, 4), np.uint8)
    image[..., :3] = 200
    image[8:56, 8:56, 3] = 255
    doc = load_engine(options).decompose(image, options)
    assert doc.size == (64, 64)
