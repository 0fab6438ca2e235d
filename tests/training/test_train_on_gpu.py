"""Training on a CUDA GPU: batches are made on the CPU (reproducible on any device) and every job's loss moves what
it feeds the model to the training device (a GPU run failed with 'mat1 is on cpu, different from other tensors on
cuda:0' before). Skipped without a GPU; bench/cuda_checks.sh runs it on one."""

import pytest

from seethrough.training.config import TrainConfig
from seethrough.training.jobs import make_job
from seethrough.training.runner import train
from tests.support.tiny_dataset import write_dataset


@pytest.mark.parametrize("job", ["vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2"])
def test_every_job_trains_on_a_gpu(job, tmp_path, cuda_device):
    dataset = write_dataset(tmp_path / "data", samples=2)
    cfg = TrainConfig(job=job, data=str(dataset), output=str(tmp_path / "run"), resolution=64, lr=1e-4,
                      warmup_steps=0, max_steps=2, batch_size=1, checkpoint_every=100, log_every=1,
                      mixed_precision="bf16", seed=0, validate_every=1)
    events = []
    final = train(cfg, make_job(cfg), emit=lambda kind, **fields: events.append((kind, fields)))
    losses = [fields["loss"] for kind, fields in events if kind == "metrics"]
    assert final.exists() and len(losses) == 2 and all(loss == loss for loss in losses)  # finite, not NaN
