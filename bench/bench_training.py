"""Training benchmarks: samples/s of the data loader (reading + augmentation) on this machine, and, on a CUDA GPU,
step time and peak memory per job with random weights at the paper's resolutions.

    python bench/bench_training.py [--dataset DIR] [--resolution 1024] [--samples 20] [--gpu] [--batches 1 2]
        [--layers-model DIR --depth-model DIR] [--json OUT.json]
Without --dataset, a synthetic dataset in the exported layout is written to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def loader_rate(dataset: Path, resolution: int, samples: int) -> float:
    from seethrough.training.augment import Backgrounds, augment
    from seethrough.training.data import LayerDataset

    data = LayerDataset(dataset, split=None)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in range(samples):
        augment(data.load(i % len(data)), resolution, rng, Backgrounds())
    return samples / (time.perf_counter() - t0)


def gpu_steps(dataset: Path, resolution: int, init_from: dict[str, str], batches: list[int]) -> list[dict]:
    """Per job: the tiny preset, or the full-size architecture when a released-layout folder is given
    (`--layers-model`, `--depth-model`: their weights are loaded, the step time is that of the real model); one row
    per batch size, and per job the largest batch estimated to fit 24 GB and 80 GB (a line through the peaks)."""
    import torch

    rows: list[dict] = []
    for job_name in ("vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2"):
        base = init_from.get("depth" if job_name.startswith("depth") else "layers")
        peaks = {}
        for batch in batches:
            try:
                row = _time_job(job_name, dataset, resolution, base, batch)
            except Exception as exc:  # noqa: BLE001 - one failed job must not hide the others' numbers
                print(f"{job_name:>14} batch {batch}: failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                      flush=True)
                rows.append({"job": job_name, "batch": batch, "error": f"{type(exc).__name__}: {exc}"})
                torch.cuda.empty_cache()
                break
            peaks[batch] = row["peak_gb"]
            rows.append(row)
            torch.cuda.empty_cache()
        if len(peaks) >= 2:
            (b1, p1), (b2, p2) = sorted(peaks.items())[:2]
            per_sample = max((p2 - p1) / (b2 - b1), 1e-6)
            fits = {f"largest_batch_{gb}gb": max(0, int(b1 + (gb * 1e9 / 2**30 - p1) / per_sample)) for gb in (24, 80)}
            rows[-1].update(fits)
            print(f"{job_name:>14}: about {per_sample:.2f} GiB per sample; largest batch on 24 GB "
                  f"{fits['largest_batch_24gb']}, on 80 GB {fits['largest_batch_80gb']} (estimated)", flush=True)
    return rows


def _time_job(job_name: str, dataset: Path, resolution: int, base: str | None, batch: int = 1) -> dict:
    """Median time of steps 2.. of `job_name` (bf16 autocast, AdamW) and the peak memory, at `batch` samples."""
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
    indices = [i % 8 for i in range(batch)]
    for step in range(3):
        sample = job.batch(indices, step_generator(0, step))
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = job.loss(model, sample, step_generator(0, step))
        loss.backward()
        opt.step()
        opt.zero_grad()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    step_s = float(np.median(times[1:]))
    row = {"job": job_name, "batch": batch, "s_per_step": round(step_s, 4), "samples_per_s": round(batch / step_s, 3),
           "peak_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2), "model": "full size" if base else "tiny"}
    print(f"{job_name:>14} batch {batch}: {step_s * 1000:.0f} ms/step, {row['samples_per_s']:.2f} samples/s, "
          f"peak {row['peak_gb']:.2f} GiB ({row['model']})", flush=True)
    del model, opt
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--layers-model", help="released-layout layer model folder (full-size GPU timing)")
    parser.add_argument("--depth-model", help="released-layout depth model folder (full-size GPU timing)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 2], help="batch sizes timed per job")
    parser.add_argument("--json", type=Path, help="write the GPU rows here")
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
            rows = gpu_steps(dataset, args.resolution, models, args.batches)
            if args.json:
                import json

                args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
