"""The command line of a training run as one process or several (`accelerate launch`), for the Train workspace,
the tests and the docs alike (docs/training.md). No torch here: the app builds this command without loading it."""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence


def free_port() -> int:
    """A TCP port free on this machine now, for the processes' rendezvous (so that two runs on one machine do
    not both take the launcher's default, 29500)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_command(processes: int, arguments: Sequence[str], port: int | None = None) -> list[str]:
    """The command line running `seethrough-gui ARGUMENTS` (e.g. `train CONFIG --output RUN`) as `processes`
    training processes on this machine: the plain command for one, `accelerate launch` for several (one GPU each
    when there are enough GPUs, else on the CPU; docs/training.md). Mixed precision comes from the job config."""
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    app = ["-m", "seethrough.app", *arguments]
    if processes == 1:
        return [sys.executable, *app]
    return [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(port or free_port()), *app,
    ]
