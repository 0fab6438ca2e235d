"""Training benchmarks: samples/s of the data loader (reading + augmentation) on this machine, and, on a CUDA GPU,
step time and peak memory per job with random weights at the paper's resolutions; `--max-batch GB` finds per job
the largest batch whose training step fits in GB of memory.

    python -m bench.bench_training [--dataset DIR] [--resolution 1024] [--samples 20] [--gpu]
        [--max-batch 24 --max-batch 80] [--jobs vae,layers-stage1] [--layers-model DIR] [--depth-model DIR]
Without --dataset, a synthetic dataset in the exported layout is written to a temporary folder.

`--max-batch` on a GPU: for each budget the process may use that much of the GPU (torch's per-process memory
fraction; a budget above the card is the whole card), and a binary search over the batch size runs one full
training step (forward, backward, AdamW) per trial, an out-of-memory error meaning "too big". Without `--gpu` the
same search runs on the CPU as a smoke check: a trial fits when the step's peak tensor memory (the model and
optimiser state plus every tensor the step creates, until freed; a torch dispatch mode) is within the budget, e.g.
`--max-batch 0.02 --max-batch 0.1 --resolution 64` on the tiny preset.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

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
            except Exception as exc:  # one failed job must not hide the others' numbers
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
    from seethrough.training.sampling import step_draws

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
        sample = job.batch(indices, step_draws(0, step, indices))
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = job.loss(model, sample, step_draws(0, step, indices))
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



JOBS = ("vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2")


def largest_batch(fits: Callable[[int], bool], limit: int) -> int:
    """The largest batch size b ≤ limit with fits(b) (0 when 1 does not fit), for a `fits` that holds up to some
    size and fails above it: doubling until a size fails, then bisecting between the last that fitted and it."""
    good, bad = 0, limit + 1
    size = 1
    while size <= limit:
        if not fits(size):
            bad = size
            break
        good, size = size, size * 2
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(middle):
            good = middle
        else:
            bad = middle
    return good


def expand_batch(batch: dict[str, Any], size: int) -> dict[str, Any]:
    """A batch of `size` made from a batch of one sample by repeating its per-sample tensors (those whose first
    dimension is that one sample): the memory of `size` samples without encoding each on the CPU."""
    import torch

    return {k: torch.cat([v] * size) if isinstance(v, torch.Tensor) and v.shape[:1] == (1,) else v
            for k, v in batch.items()}


def max_batch(dataset: Path, resolution: int, budgets_gb: list[float], jobs: list[str], gpu: bool,
              init_from: dict[str, str], limit: int) -> None:
    """Per job and budget, the largest batch whose training step fits (see the module docstring)."""
    for job_name in jobs:
        base = init_from.get("depth" if job_name.startswith("depth") else "layers")
        try:
            trial = _step_trial(job_name, dataset, resolution, base, gpu)
            for budget in budgets_gb:
                peaks: dict[int, float] = {}
                best = largest_batch(partial(trial, budget_gb=budget, peaks=peaks), limit)
                peak = f", peak {peaks[best]:.3f} GB" if best in peaks else ""
                print(f"{job_name:>14}: largest batch {best}{'+' if best == limit else ''} in {budget:g} GB "
                      f"({'GPU' if gpu else 'CPU smoke check'}, {resolution}², "
                      f"{'full size' if base else 'tiny preset'}{peak})", flush=True)
        except Exception as exc:
            print(f"{job_name:>14}: failed: {type(exc).__name__}: {exc}", flush=True)


def _step_trial(job_name: str, dataset: Path, resolution: int, base: str | None, gpu: bool):
    """A function (batch, budget GB, peaks) → whether one training step of that batch fits the budget; it records
    each fitting trial's peak in `peaks`."""
    import torch

    from seethrough.training.config import TrainConfig
    from seethrough.training.jobs import make_job
    from seethrough.training.sampling import step_draws

    cfg = TrainConfig(job=job_name, data=str(dataset), output=tempfile.mkdtemp(), resolution=resolution, split="all",
                      model={} if base else {"preset": "tiny"}, init_from=base, mixed_precision="bf16",
                      gradient_checkpointing=bool(base))
    job = make_job(cfg)
    device = torch.device("cuda" if gpu else "cpu")
    job.device = device
    model = job.build().to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5)
    one = job.batch([0], step_draws(0, 0, [0]))

    def step(size: int) -> None:
        draws = step_draws(0, 0, range(size))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=gpu):
            loss = job.loss(model, expand_batch(one, size), draws)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def trial(size: int, budget_gb: float, peaks: dict[int, float]) -> bool:
        if gpu:
            return _fits_on_gpu(step, size, budget_gb, peaks)
        return _fits_on_cpu(step, size, budget_gb, peaks, model, opt)

    return trial


def _fits_on_gpu(step: Callable[[int], None], size: int, budget_gb: float, peaks: dict[int, float]) -> bool:
    import torch

    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, budget_gb * 2**30 / total))
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    try:
        step(size)
        torch.cuda.synchronize()
    except torch.OutOfMemoryError:
        return False
    finally:
        torch.cuda.empty_cache()
    peaks[size] = torch.cuda.max_memory_allocated() / 2**30
    return True


def _fits_on_cpu(step: Callable[[int], None], size: int, budget_gb: float, peaks: dict[int, float],
                 model: Any, opt: Any) -> bool:
    meter = TensorMemoryPeak(baseline=_bytes_held(model, opt))
    with meter:
        step(size)
    peak = meter.peak / 2**30
    if peak > budget_gb:
        return False
    peaks[size] = peak
    return True


def _bytes_held(model: Any, opt: Any) -> int:
    """The bytes of the model's parameters and buffers and the optimiser's state, each storage once."""
    import torch

    tensors = [*model.parameters(), *model.buffers(),
               *(v for state in opt.state.values() for v in state.values() if isinstance(v, torch.Tensor))]
    return sum({t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}.values())


def _tensor_memory_peak_class():
    import weakref

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class _TensorMemoryPeak(TorchDispatchMode):
        """The peak of the bytes held by CPU tensors, counting `baseline` plus every storage an operation creates
        under it until that storage is freed: the CPU stand-in for torch.cuda.max_memory_allocated."""

        def __init__(self, baseline: int = 0) -> None:
            super().__init__()
            self.live = self.peak = baseline
            self._held: dict[int, Any] = {}  # storage address → weak reference (released when it dies)

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for value in tree_leaves(out):
                if isinstance(value, torch.Tensor) and value.device.type == "cpu":
                    self._hold(value.untyped_storage())
            return out

        def _hold(self, storage: Any) -> None:
            address, size = storage.data_ptr(), storage.nbytes()
            if size == 0 or address in self._held:
                return
            self._held[address] = weakref.ref(storage, lambda _, a=address, n=size: self._release(a, n))
            self.live += size
            self.peak = max(self.peak, self.live)

        def _release(self, address: int, size: int) -> None:
            if self._held.pop(address, None) is not None:
                self.live -= size

    return _TensorMemoryPeak


def TensorMemoryPeak(baseline: int = 0) -> Any:
    return _tensor_memory_peak_class()(baseline)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--layers-model", help="released-layout layer model folder (full-size GPU timing)")
    parser.add_argument("--depth-model", help="released-layout depth model folder (full-size GPU timing)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 2], help="batch sizes timed per job (--gpu)")
    parser.add_argument("--json", type=Path, help="with --gpu: write the timed rows here")
    parser.add_argument("--max-batch", type=float, action="append", metavar="GB",
                        help="find the largest batch per job whose step fits in GB (repeatable)")
    parser.add_argument("--jobs", default=",".join(JOBS), help="comma-separated jobs for --max-batch")
    parser.add_argument("--batch-limit", type=int, default=256, help="the largest batch --max-batch tries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset
        if dataset is None:
            from tests.support.tiny_dataset import write_dataset

            dataset = write_dataset(Path(tmp) / "data", samples=8, size=max(64, min(args.resolution, 1024)))
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
        if args.max_batch:
            models = {k: v for k, v in (("layers", args.layers_model), ("depth", args.depth_model)) if v}
            max_batch(dataset, args.resolution, args.max_batch, args.jobs.split(","), args.gpu, models,
                      args.batch_limit)


if __name__ == "__main__":
    main()
