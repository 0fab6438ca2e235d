"""The training loop shared by every job, on 🤗 Accelerate: one process (a GPU or the CPU) or several
(`accelerate launch --num_processes N …`, on one machine or several; docs/training.md).

Determinism is by construction (training/sampling.py): the samples of optimiser step k and every random draw of
that step (noise, timesteps, augmentation) come from generators seeded with (seed, k) and each sample's place in
the global batch. With the model, optimiser, scheduler and step restored from a checkpoint, step k after a resume
therefore computes exactly the loss of an uninterrupted run.

`batch_size` is the global batch: N processes each take batch_size / N of its samples, DDP averages their
gradients, and the learning-rate schedule advances once per optimiser step — so N processes compute what one
process computes at the same global batch, up to the order of floating-point sums. Checkpoints, the final model,
validation images and events (`training.events`) are written by the main process only, the reported loss being the
mean over all processes. A `STOP` file in the output folder makes the loop checkpoint and exit between steps (the
app's Stop button); with several processes they stop together at the same step.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from seethrough.core.errors import BadInput, Cancelled
from seethrough.training.checkpoints import (
    read_state,
    remove_incomplete_checkpoints,
    resumable_checkpoint,
    save_checkpoint,
    write_failed,
)
from seethrough.training.config import TrainConfig
from seethrough.training.distributed import any_process, mean_over_processes, use_cuda
from seethrough.training.events import EventWriter
from seethrough.training.sampling import (
    Draws,
    indices_for_step,
    positions_in_step,
    shard,
    step_draws,
    validation_draws,
)

log = logging.getLogger(__name__)

STOP_FILE = "STOP"
Emit = Callable[..., None]


class TrainJob(Protocol):
    """What a job (vae, layers-stage1/2, depth-stage1/2) provides to the loop."""

    name: str
    #: where `loss` feeds the model: the runner sets it to the training device (batches are made on the CPU)
    device: torch.device
    #: True when a step may leave some parameters without a gradient (stage 2 trains one tag group's embedding
    #: per step): gradient averaging across processes must then look for them (DDP's find_unused_parameters)
    unused_parameters: bool

    def build(self) -> torch.nn.Module:
        """The module whose parameters are trained (its state goes into checkpoints). Everything the loss needs
        gradients of must run through its `forward`: with several processes it is wrapped for gradient averaging,
        which only sees what its forward computes."""

    def num_samples(self) -> int: ...

    def batch(self, indices: list[int], draws: Draws) -> dict[str, Any]:
        """A training batch of the given sample indices; each sample's randomness from its own generator in
        `draws.samples`, choices for the whole step from `draws.shared`."""

    def loss(self, model: torch.nn.Module, batch: dict[str, Any], draws: Draws) -> torch.Tensor:
        """The mean loss over the batch's samples (per-sample noise and timesteps from `draws`)."""

    def save_final(self, model: torch.nn.Module, folder: Path) -> None:
        """Save in the layout the decomposition engine loads (save_pretrained)."""

    def signature(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumable (job and architecture)."""


@dataclass
class Training:
    """A run being trained: the prepared model and optimiser state, and where its results go."""

    cfg: TrainConfig
    job: TrainJob
    accelerator: Any
    model: torch.nn.Module
    optimizer: Any
    scheduler: Any
    params: list[torch.nn.Parameter]
    ema: Any
    emit: Emit

    @property
    def output(self) -> Path:
        return self.cfg.output_dir

    @property
    def is_main(self) -> bool:
        return bool(self.accelerator.is_main_process)


@dataclass
class Pace:
    """Samples per second between reports, and the seconds since this run's first step (the app's ETA)."""

    samples_per_step: int
    started: float = field(default_factory=time.monotonic)
    last: float = 0.0
    steps_since: int = 0

    def __post_init__(self) -> None:
        self.last = self.started

    def step_done(self) -> None:
        self.steps_since += 1

    def report(self) -> dict[str, float]:
        now = time.monotonic()
        rate = self.steps_since * self.samples_per_step / max(now - self.last, 1e-9)
        self.last, self.steps_since = now, 0
        return {"samples_per_s": rate, "elapsed_s": now - self.started}


def train(
    cfg: TrainConfig,
    job: TrainJob,
    resume: Path | None = None,
    emit: Emit | None = None,
    max_steps: int | None = None,
) -> Path:
    """Run `job` to `cfg.max_steps` (or stop early at `max_steps`, for tests). Returns the final model folder,
    or raises Cancelled after checkpointing if a STOP file appeared. Every process of a multi-process launch
    calls this; only the main process emits events."""
    run = prepare(cfg, job, emit)
    start = restore(run, resume) if resume is not None else 0
    end = cfg.max_steps if max_steps is None else min(cfg.max_steps, max_steps)
    run.emit(
        "start", job=job.name, max_steps=cfg.max_steps, output=str(run.output), resumed_from_step=start,
        processes=run.accelerator.num_processes, validation_every=_validation_every(run),
    )
    step = train_steps(run, start, end)
    return finish(run, step)


def start_accelerator(cfg: TrainConfig, job: TrainJob) -> Any:
    """The Accelerator of this process: CUDA with one GPU per local process, else the CPU (gloo between
    processes); mixed precision only on CUDA."""
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration, DistributedDataParallelKwargs

    cuda = use_cuda()
    return Accelerator(
        mixed_precision=cfg.mixed_precision if cuda else "no",
        gradient_accumulation_steps=cfg.grad_accum,
        cpu=not cuda,
        # batch_size is the global batch, split among the processes: so the schedule steps once per optimiser step
        # (without this, Accelerate steps it once per process and per step)
        dataloader_config=DataLoaderConfiguration(split_batches=True),
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=job.unused_parameters)],
    )


def prepare(cfg: TrainConfig, job: TrainJob, emit: Emit | None = None) -> Training:
    """Start the accelerator, build the job's model and optimiser, and wrap them for this process's device (and
    for gradient averaging when there are several processes)."""
    from accelerate.utils import set_seed
    from diffusers.optimization import get_scheduler

    accelerator = start_accelerator(cfg, job)
    shard(cfg.batch_size, accelerator.process_index, accelerator.num_processes)  # refuse an uneven split up front
    if accelerator.is_main_process:
        cfg.output_dir.mkdir(parents=True, exist_ok=True)
        remove_incomplete_checkpoints(cfg.output_dir)
    accelerator.wait_for_everyone()
    set_seed(cfg.seed)
    model = job.build()
    enable_checkpointing = getattr(model, "enable_gradient_checkpointing", None)
    if cfg.gradient_checkpointing and callable(enable_checkpointing):
        enable_checkpointing()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = _make_optimizer(cfg, params)
    scheduler = get_scheduler(
        "constant_with_warmup", optimizer, num_warmup_steps=cfg.warmup_steps, num_training_steps=cfg.max_steps
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    job.device = accelerator.device  # batches are made on the CPU; the loss feeds the model there
    return Training(cfg, job, accelerator, model, optimizer, scheduler, params,
                    _make_ema(cfg, params, accelerator), _events_of(accelerator, emit, cfg.output_dir))


def _events_of(accelerator: Any, emit: Emit | None, output: Path) -> Emit:
    """Events are the main process's to emit (once per run, not once per process)."""
    if not accelerator.is_main_process:
        return _silent
    return emit or EventWriter(output)


def _silent(event: str, **fields: Any) -> None:
    return None


def _make_optimizer(cfg: TrainConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if cfg.use_8bit_adam:
        try:
            import bitsandbytes as bnb

            return bnb.optim.AdamW8bit(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        except ImportError:
            log.warning("bitsandbytes is not installed: using the standard AdamW")
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _make_ema(cfg: TrainConfig, params: list[torch.nn.Parameter], accelerator: Any) -> Any:
    if not cfg.ema:
        return None
    from diffusers.training_utils import EMAModel

    ema = EMAModel(params, decay=cfg.ema_decay)
    accelerator.register_for_checkpointing(ema)
    return ema


def restore(run: Training, resume: Path) -> int:
    """Load the newest complete checkpoint of `resume` (a run folder, or one checkpoint); returns its step. A
    checkpoint of another job or architecture is refused. The process count may differ from the run that wrote
    it: the state is the same whole model and optimiser, and the samples of a step depend only on (seed, step)."""
    if run.is_main and resume != run.output:
        remove_incomplete_checkpoints(resume)
    run.accelerator.wait_for_everyone()
    ckpt = resumable_checkpoint(resume)
    state = read_state(ckpt)
    if state.get("signature") != run.job.signature():
        raise BadInput(
            f"checkpoint {ckpt.name} was made by a different job or model "
            f"({state.get('signature', {}).get('job', '?')}); it cannot be resumed with {run.job.name}"
        )
    run.accelerator.load_state(str(ckpt))
    return int(state["step"])


def train_steps(run: Training, start: int, end: int) -> int:
    """Optimiser steps `start`+1 … `end`, with their reports, validation previews and checkpoints; returns the
    step reached. Raises Cancelled (after a checkpoint) when a STOP file appears."""
    cfg = run.cfg
    pace = Pace(samples_per_step=cfg.batch_size * cfg.grad_accum)
    num_samples = run.job.num_samples()
    step = start
    run.model.train()
    while step < end:
        if any_process(run.accelerator, (run.output / STOP_FILE).exists()):
            stop(run, step)
        loss = optimiser_step(run, step, num_samples)
        step += 1
        pace.step_done()
        if step % cfg.log_every == 0 or step == end:
            report(run, step, loss, pace)
        if step % cfg.validate_every == 0 and _validation_every(run) and run.is_main:
            run.emit("validation", step=step, images=save_validation(run, step))
        if step % cfg.checkpoint_every == 0 and step < end:
            run.emit("checkpoint", step=step, path=str(checkpoint(run, step)))
    return step


def optimiser_step(run: Training, step: int, num_samples: int) -> torch.Tensor:
    """One optimiser step on this process's share of the global batch of `step` (over `grad_accum`
    micro-batches); returns this process's mean loss, detached."""
    cfg, accelerator = run.cfg, run.accelerator
    positions = shard(cfg.batch_size, accelerator.process_index, accelerator.num_processes)
    total = torch.zeros((), device=accelerator.device)
    for micro in range(cfg.grad_accum):
        indices = indices_for_step(num_samples, step, micro, cfg.batch_size, cfg.seed, cfg.grad_accum)
        draws = step_draws(cfg.seed, step, positions_in_step(micro, cfg.batch_size, positions))
        batch = run.job.batch([indices[p] for p in positions], draws)
        with accelerator.accumulate(run.model):
            loss = run.job.loss(run.model, batch, draws)
            accelerator.backward(loss)
            if accelerator.sync_gradients:
                accelerator.clip_grad_norm_(run.params, 1.0)
            run.optimizer.step()
            run.scheduler.step()
            run.optimizer.zero_grad(set_to_none=True)
        if run.ema is not None and accelerator.sync_gradients:
            run.ema.step(run.params)
        total += loss.detach().float() / cfg.grad_accum
    return total


def report(run: Training, step: int, loss: torch.Tensor, pace: Pace) -> None:
    """The "metrics" event of `step`: the loss averaged over the processes (every process takes part)."""
    mean_loss = mean_over_processes(run.accelerator, loss)
    cuda = run.accelerator.device.type == "cuda"
    run.emit(
        "metrics", step=step, loss=mean_loss, lr=float(run.scheduler.get_last_lr()[0]), **pace.report(),
        gpu_mem_mb=torch.cuda.max_memory_allocated() / 2**20 if cuda else 0.0,
    )


def _validation_every(run: Training) -> int | None:
    """How often the job writes validation images (None: this job makes none)."""
    return run.cfg.validate_every if hasattr(run.job, "validation_images") else None


def save_validation(run: Training, step: int) -> list[str]:
    """The job's preview images for a fixed validation sample, as PNGs under `<output>/validation/`."""
    import cv2

    folder = run.output / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    model = run.accelerator.unwrap_model(run.model)
    model.eval()
    validation_images = getattr(run.job, "validation_images")  # noqa: B009 - optional; the caller checked
    with torch.no_grad():
        images = validation_images(model, validation_draws(run.cfg.seed))
    model.train()
    paths = []
    for i, rgb in enumerate(images):
        path = folder / f"step-{step:07d}-{i}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        paths.append(str(path))
    return paths


def checkpoint(run: Training, step: int) -> Path:
    """Write the checkpoint of `step` (every process takes part; the folder is written once)."""
    state = {"step": step, "signature": run.job.signature(), "config": run.cfg.to_dict(),
             "processes": run.accelerator.num_processes}
    return save_checkpoint(run.accelerator, run.output, step, state, run.cfg.keep_checkpoints)


def stop(run: Training, step: int) -> None:
    """Checkpoint, report "stopped" and raise Cancelled (every process, at the same step)."""
    ckpt = checkpoint(run, step)
    run.emit("stopped", step=step, checkpoint=str(ckpt))
    if run.is_main:
        (run.output / STOP_FILE).unlink(missing_ok=True)
    raise Cancelled(f"training stopped at step {step}; resume from {run.output}")


def finish(run: Training, step: int) -> Path:
    """The last checkpoint, then the final model (with the EMA weights when averaging), written by the main
    process; returns its folder."""
    run.emit("checkpoint", step=step, path=str(checkpoint(run, step)))
    final = run.output / "model"
    if run.ema is not None:
        run.ema.copy_to(run.params)  # the final model carries the averaged weights
    if run.is_main:
        save_final(run, final)
    run.accelerator.wait_for_everyone()
    run.emit("done", step=step, model_dir=str(final))
    return final


def save_final(run: Training, final: Path) -> None:
    try:
        run.job.save_final(run.accelerator.unwrap_model(run.model), final)
    except Exception as exc:
        shutil.rmtree(final.with_name(final.name + ".tmp"), ignore_errors=True)
        failed = write_failed(exc, final)
        if failed is exc:
            raise
        raise failed from exc
