"""Training benchmarks: samples/s of the data loader (reading + augmentation) on this machine, and, on a CUDA GPU,
step time and peak memory per job with random weights at the paper's resolutions.

    python -m bench.bench_training [--dataset DIR] [--resolution 1024] [--samples 20] [--gpu]
Without --dataset, a synthetic dataset in the exported layout is written to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def loader_rate(dataset: Path, resolution: int, samples: int) -> float:
    from seethrough.training.augment import Backgrounds, augment
    from seethrough.training.data import LayerDataset

    data = LayerDataset(dataset, split=None)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(samples):
        augment(data.load(i % len(data)), resolution, rng, Backgrounds())
    return samples / (time.perf_counter() - t0)


def gpu_steps(dataset: Path, resolution: int, init_from: dict[str, str]) -> None:
    """Per job: the tiny preset, or the full-size architecture when a released-layout folder is given
    (`--layers-model`, `--depth-model`: their weights are loaded, the step time is that of the real model)."""
    import torch

    for job_name in ("vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2"):
        base = init_from.get("depth" if job_name.startswith("depth") else "layers")
        try:
            _time_job(job_name, dataset, resolution, base)
        except Exception as exc:  # one failed job must not hide the others' numbers
            print(f"{job_name:>14}: failed: {type(exc).__name__}: {exc}", flush=True)
        torch.cuda.empty_cache()


def _time_job(job_name: str, dataset: Path, resolution: int, base: str | None) -> None:
    """Median time of steps 2-4 of `job_name` (bf16 autocast, AdamW) and the peak memory."""
    import torch

    from seethrough.training.config import TrainConfig
    from seethrough.training.jobs import make_job
    from seethrough.training.runner import step_generator

    cfg = TrainConfig(job=job_name, data=str(dataset), output=tempfile.mkdtemp(), resolution=resolution,
                      model={} if base else {"preset": "tiny"}, init_from=base, mixed_precision="bf16",
                      gradient_checkpointing=bool(base))
    job = make_job(cfg)
    job.device = torch.device("cuda")
    model = job.build().cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(4):
        batch = job.batch([0], step_generator(0, step))
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = job.loss(model, batch, step_generator(0, step))
        loss.backward()
        opt.step()
        opt.zero_grad()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    print(f"{job_name:>14}: {np.median(times[1:]) * 1000:.0f} ms/step, "
          f"peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GB{' (full size)' if base else ' (tiny preset)'}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--layers-model", help="released-layout layer model folder (full-size GPU timing)")
    parser.add_argument("--depth-model", help="released-layout depth model folder (full-size GPU timing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset
        if dataset is None:
            from tests.support.tiny_dataset import write_dataset

            dataset = write_dataset(Path(tmp) / "data", samples=8, size=1024)
        rate = loader_rate(dataset, args.resolution, args.samples)
        print(f"data loader: {rate:.2f} samples/s at {args.resolution}² (read + augment, one process)")
        if args.gpu:
            import torch

            if not torch.cuda.is_available():
                sys.exit("--gpu: torch sees no CUDA device")
            models = {k: v for k, v in (("layers", args.layers_model), ("depth", args.depth_model)) if v}
            gpu_steps(dataset, args.resolution, models)


if __name__ == "__main__":
    main()
