"""The training loop shared by every job, on 🤗 Accelerate (one GPU, several, or the CPU alike).

Determinism is by construction: the samples of optimiser step k and every random draw of that step (noise,
timesteps, augmentation) come from generators seeded with (seed, k). With the model, optimiser, scheduler and
step restored from a checkpoint, step k after a resume therefore computes exactly the loss of an uninterrupted
run. A `STOP` file in the output folder makes the loop checkpoint and exit between steps (the app's Stop button).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import torch

from seethrough.core.errors import BadInput, Cancelled
from seethrough.training.config import TrainConfig
from seethrough.training.events import EventWriter

log = logging.getLogger(__name__)

STOP_FILE = "STOP"
STATE_FILE = "trainer_state.json"


class TrainJob(Protocol):
    """What a job (vae, layers-stage1/2, depth-stage1/2) provides to the loop."""

    name: str
    #: where `loss` feeds the model: the runner sets it to the training device (batches are made on the CPU)
    device: torch.device

    def build(self) -> torch.nn.Module:
        """The module whose parameters are trained (its state goes into checkpoints)."""

    def num_samples(self) -> int: ...

    def batch(self, indices: list[int], generator: torch.Generator) -> dict[str, Any]:
        """A training batch of the given sample indices; all randomness from `generator`."""

    def loss(self, model: torch.nn.Module, batch: dict[str, Any], generator: torch.Generator) -> torch.Tensor: ...

    def save_final(self, model: torch.nn.Module, folder: Path) -> None:
        """Save in the layout the decomposition engine loads (save_pretrained)."""

    def signature(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumable (job and architecture)."""


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + step * 101 + stream) % (2**63 - 1))


@lru_cache(maxsize=8)
def _epoch_order(num_samples: int, seed: int, epoch: int) -> tuple[int, ...]:
    return tuple(torch.randperm(num_samples, generator=torch.Generator().manual_seed(seed + 7919 * epoch)).tolist())


def indices_for_step(
    num_samples: int, step: int, micro: int, batch_size: int, seed: int, grad_accum: int = 1
) -> list[int]:
    """Sample indices of micro-batch `micro` of optimiser step `step`: each epoch is a seeded permutation,
    walked in order, so the samples of a step depend only on (seed, step)."""
    if num_samples < 1:
        raise BadInput("the dataset has no training samples")
    start = (step * grad_accum + micro) * batch_size
    out = []
    for position in range(start, start + batch_size):
        epoch, offset = divmod(position, num_samples)
        out.append(_epoch_order(num_samples, seed, epoch)[offset])
    return out


#: a complete checkpoint folder; `step-NNNNNNN.tmp` is one being written (or left by a killed run)
_CHECKPOINT_NAME = re.compile(r"^step-(\d+)$")
#: test hook: "STEP:SECONDS" sleeps inside the write of that step's checkpoint, so a test can kill the run there
SLOW_CHECKPOINT_ENV = "SEETHROUGH_TEST_SLOW_CHECKPOINT"


def complete_checkpoints(output: Path) -> list[Path]:
    """The complete checkpoints of a run folder, oldest first: `step-N` folders holding their state file (which is
    written last). Incomplete `.tmp` folders and anything else in `checkpoints/` are ignored."""
    folder = output / "checkpoints"
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _CHECKPOINT_NAME.match(path.name)
        if match and path.is_dir() and (path / STATE_FILE).is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(output: Path) -> Path | None:
    """The newest complete checkpoint of a run folder, or None."""
    ckpts = complete_checkpoints(output)
    return ckpts[-1] if ckpts else None


def remove_incomplete_checkpoints(output: Path) -> list[Path]:
    """Delete the `step-*.tmp` folders a killed run (or a full disk) left; they are ours and never resumable."""
    folder = output / "checkpoints"
    if not folder.is_dir():
        return []
    removed = [p for p in folder.glob("step-*.tmp") if p.is_dir()]
    for path in removed:
        log.info("removing the incomplete checkpoint %s (the run writing it was interrupted)", path)
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _make_optimizer(cfg: TrainConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if cfg.use_8bit_adam:
        try:
            import bitsandbytes as bnb

            return bnb.optim.AdamW8bit(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        except ImportError:
            log.warning("bitsandbytes is not installed: using the standard AdamW")
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def train(
    cfg: TrainConfig,
    job: TrainJob,
    resume: Path | None = None,
    emit: Callable[..., None] | None = None,
    max_steps: int | None = None,
) -> Path:
    """Run `job` to `cfg.max_steps` (or stop early at `max_steps`, for tests). Returns the final model folder,
    or raises Cancelled after checkpointing if a STOP file appeared."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from diffusers.optimization import get_scheduler

    output = cfg.output_dir
    output.mkdir(parents=True, exist_ok=True)
    remove_incomplete_checkpoints(output)
    writer = emit or EventWriter(output)
    set_seed(cfg.seed)
    use_cuda = torch.cuda.is_available()
    accelerator = Accelerator(
        mixed_precision=cfg.mixed_precision if use_cuda else "no",
        gradient_accumulation_steps=cfg.grad_accum,
        cpu=not use_cuda,
    )
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
    ema = None
    if cfg.ema:
        from diffusers.training_utils import EMAModel

        ema = EMAModel(params, decay=cfg.ema_decay)
        accelerator.register_for_checkpointing(ema)

    start = 0
    if resume is not None:
        if resume != output:
            remove_incomplete_checkpoints(resume)
        ckpt = resume if (resume / STATE_FILE).exists() else latest_checkpoint(resume)
        if ckpt is None:
            raise BadInput(f"{resume} holds no checkpoint to resume from (none was completely written)")
        state = json.loads((ckpt / STATE_FILE).read_text(encoding="utf-8"))
        if state.get("signature") != job.signature():
            raise BadInput(
                f"checkpoint {ckpt.name} was made by a different job or model "
                f"({state.get('signature', {}).get('job', '?')}); it cannot be resumed with {job.name}"
            )
        accelerator.load_state(str(ckpt))
        start = int(state["step"])
    writer("start", job=job.name, max_steps=cfg.max_steps, output=str(output), resumed_from_step=start)

    end = cfg.max_steps if max_steps is None else min(cfg.max_steps, max_steps)
    n = job.num_samples()
    t_last, samples_since = time.monotonic(), 0
    step = start
    model.train()
    while step < end:
        if (output / STOP_FILE).exists():
            ckpt = _save_checkpoint(accelerator, cfg, job, step, output)
            writer("stopped", step=step, checkpoint=str(ckpt))
            (output / STOP_FILE).unlink(missing_ok=True)
            raise Cancelled(f"training stopped at step {step}; resume from {output}")
        total = 0.0
        for micro in range(cfg.grad_accum):
            generator = step_generator(cfg.seed, step, micro)
            indices = indices_for_step(n, step, micro, cfg.batch_size, cfg.seed, cfg.grad_accum)
            batch = job.batch(indices, generator)
            with accelerator.accumulate(model):
                loss = job.loss(model, batch, generator)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            if ema is not None and accelerator.sync_gradients:
                ema.step(params)
            total += float(loss.detach()) / cfg.grad_accum
            samples_since += cfg.batch_size
        step += 1
        if step % cfg.log_every == 0 or step == end:
            now = time.monotonic()
            writer(
                "metrics",
                step=step,
                loss=total,
                lr=float(scheduler.get_last_lr()[0]),
                samples_per_s=samples_since / max(now - t_last, 1e-9),
                gpu_mem_mb=torch.cuda.max_memory_allocated() / 2**20 if use_cuda else 0.0,
            )
            t_last, samples_since = now, 0
        if step % cfg.validate_every == 0 and hasattr(job, "validation_images"):
            images = _save_validation(job, accelerator.unwrap_model(model), cfg, step, output)
            writer("validation", step=step, images=images)
        if step % cfg.checkpoint_every == 0 and step < end:
            ckpt = _save_checkpoint(accelerator, cfg, job, step, output)
            writer("checkpoint", step=step, path=str(ckpt))

    ckpt = _save_checkpoint(accelerator, cfg, job, step, output)
    writer("checkpoint", step=step, path=str(ckpt))
    final = output / "model"
    if ema is not None:
        ema.copy_to(params)  # the final model carries the averaged weights
    try:
        job.save_final(accelerator.unwrap_model(model), final)
    except Exception as exc:
        shutil.rmtree(final.with_name(final.name + ".tmp"), ignore_errors=True)
        failed = _write_failed(exc, final)
        if failed is exc:
            raise
        raise failed from exc
    writer("done", step=step, model_dir=str(final))
    return final


def _save_validation(job: TrainJob, model: torch.nn.Module, cfg: TrainConfig, step: int, output: Path) -> list[str]:
    """The job's preview images for a fixed validation sample, as PNGs under `<output>/validation/`."""
    import cv2

    folder = output / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    validation_images = getattr(job, "validation_images")  # noqa: B009 - optional; the caller checked hasattr
    with torch.no_grad():
        images = validation_images(model, step_generator(cfg.seed, 0, 99))
    model.train()
    paths = []
    for i, rgb in enumerate(images):
        path = folder / f"step-{step:07d}-{i}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        paths.append(str(path))
    return paths


def _save_checkpoint(accelerator, cfg: TrainConfig, job: TrainJob, step: int, output: Path) -> Path:  # noqa: ANN001
    """Write `checkpoints/step-N` whole or not at all: everything goes to `step-N.tmp`, the state file last, then one
    rename. A failed write (full disk) removes the temp folder and raises WriteFailed; older checkpoints stay."""
    folder = output / "checkpoints" / f"step-{step:07d}"
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        accelerator.save_state(str(tmp))
        _test_delay(step)
        state = {"step": step, "signature": job.signature(), "config": cfg.to_dict()}
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        if folder.exists():  # the same step again (stopped, then resumed and stopped at once): replace it whole
            aside = folder.with_name(folder.name + ".old.tmp")
            shutil.rmtree(aside, ignore_errors=True)
            folder.rename(aside)
            tmp.rename(folder)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            tmp.rename(folder)  # a checkpoint is either whole or absent
    except Exception as exc:  # torch and safetensors report a full disk as their own errors ("os error 28")
        shutil.rmtree(tmp, ignore_errors=True)
        failed = _write_failed(exc, folder)
        if failed is exc:
            raise
        raise failed from exc
    for old in complete_checkpoints(output)[: -cfg.keep_checkpoints]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


_OS_ERROR_IN_TEXT = re.compile(r"os error (\d+)|errno (\d+)", re.IGNORECASE)


def _write_failed(exc: Exception, where: Path) -> Exception:
    """WriteFailed naming `where` for an environment failure (an OSError, or a library's error wrapping one, such
    as safetensors' "I/O error: No space left on device (os error 28)"), else `exc` itself: our bug, re-raised."""
    from seethrough.core.errors import WriteFailed, describe_os_error

    if isinstance(exc, OSError):
        return WriteFailed(f"cannot write {where}: {describe_os_error(OSError(exc.errno, exc.strerror))}")
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError):
        return _write_failed(cause, where)
    text = str(exc)
    match = _OS_ERROR_IN_TEXT.search(text)
    if match:
        code = int(match.group(1) or match.group(2))
        return WriteFailed(f"cannot write {where}: {describe_os_error(OSError(code, os.strerror(code)))}")
    if "failed writing" in text.lower() or "i/o error" in text.lower():
        return WriteFailed(f"cannot write {where}: {text.splitlines()[0] if text else type(exc).__name__}")
    return exc


def _test_delay(step: int) -> None:
    spec = os.environ.get(SLOW_CHECKPOINT_ENV, "")
    if ":" in spec:
        at, seconds = spec.split(":", 1)
        if int(at) == step:
            time.sleep(float(seconds))
