"""What training needs to know and agree on when it runs as several processes (`accelerate launch
--num_processes N`, or `torchrun`; docs/training.md).

The launcher starts one copy of the training command per process and tells each its place through the
environment (`RANK`, `LOCAL_RANK`, `WORLD_SIZE`, `LOCAL_WORLD_SIZE`); 🤗 Accelerate reads the same variables.
Decisions that every process must take alike (stop now?) are made together, through a collective, never from
what one process happens to see.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

import torch

#: the kernel's "signal me when my parent dies" option (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def launched_rank() -> int:
    """This process's global rank as the launcher set it (0 when started alone), readable before Accelerate
    starts, e.g. to let only the main process open the events file."""
    return int(os.environ.get("RANK", "0"))


def launched_by_a_launcher() -> bool:
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


def local_process_count() -> int:
    """How many training processes run on this machine (torchrun's `LOCAL_WORLD_SIZE`; 1 when started alone)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def use_cuda() -> bool:
    """Train on CUDA when there is one GPU per local process; otherwise on the CPU (several processes then
    communicate through gloo). Two processes cannot share one GPU under NCCL, so a machine with one GPU (or none)
    runs a multi-process launch on the CPU — slow, but the same computation, which is how the tests run it."""
    return torch.cuda.is_available() and local_process_count() <= torch.cuda.device_count()


def exit_with_launcher() -> None:
    """Ask the kernel to terminate this worker when its launcher dies (Linux), so that a launcher killed with
    SIGKILL cannot leave workers behind (torchrun starts each worker in a session of its own, out of reach of a
    signal to the launcher's process group). Nothing to do for a process started alone."""
    if not launched_by_a_launcher() or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return  # no prctl here: the launcher's own clean-up (SIGTERM) still ends the workers
    if os.getppid() == 1:  # the launcher died before we asked: no signal will come
        raise SystemExit("the launcher of this training process has exited")


def any_process(accelerator: Any, flag: bool) -> bool:
    """True on every process when `flag` is true on at least one (a collective: every process must call it)."""
    if accelerator.num_processes == 1:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=accelerator.device)
    return bool(accelerator.reduce(value, reduction="sum").item() > 0)


def mean_over_processes(accelerator: Any, value: torch.Tensor) -> float:
    """The mean of a scalar over all processes (a collective: every process must call it)."""
    value = value.detach().float().reshape(1).to(accelerator.device)
    if accelerator.num_processes == 1:
        return float(value.item())
    return float(accelerator.reduce(value, reduction="mean").item())


def end_processes() -> None:
    """Leave the process group (if this process joined one) before exiting, as torch asks."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()

