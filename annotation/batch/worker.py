"""The worker process of the batch: `python -m seethrough.annotation.batch.worker [--memory-cap BYTES]`.

It reads tasks from stdin and writes results to stdout, one length-prefixed pickle frame each, and runs them one
at a time (`work.run_model`). Once its modules are imported it caps its own address space (`RLIMIT_AS`, where the
OS has it), so a model that explodes in memory fails with MemoryError in this process and nothing else; on Linux it
also asks to be killed when its parent dies (`PR_SET_PDEATHSIG`), so a driver killed with -9 leaves no worker
behind. Anything a library prints goes to stderr: stdout carries only frames.
"""

from __future__ import annotations

import argparse
import os
import pickle
import struct
import sys
from typing import IO, Any

_HEADER = struct.Struct(">Q")


def write_frame(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next object, or EOFError when the other side closed the stream."""
    header = _read_exactly(stream, _HEADER.size)
    return pickle.loads(_read_exactly(stream, _HEADER.unpack(header)[0]))  # our own processes


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def cap_memory(limit: int) -> None:
    """Cap this process's address space at `limit` bytes (no-op where `resource` or RLIMIT_AS is missing)."""
    try:
        import resource
    except ImportError:
        return
    if hasattr(resource, "RLIMIT_AS"):
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):  # macOS refuses it: the cap is documented as Linux and BSD only
            pass


def die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (the driver or the Ray worker that started it)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seethrough.annotation.batch.worker")
    parser.add_argument("--memory-cap", type=int, default=0, help="address-space cap in bytes (0: none)")
    args = parser.parse_args(argv)
    die_with_parent()
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the driver, which ends its workers
    channel = os.fdopen(os.dup(1), "wb")  # the frames; fd 1 itself now goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    tasks = sys.stdin.buffer
    import cv2

    cv2.setNumThreads(1)  # one model per process: the workers are the parallelism
    from seethrough.annotation.batch.work import run_model

    if args.memory_cap:  # after the imports: the cap is for the models' data
        cap_memory(args.memory_cap)

    while True:
        try:
            task = read_frame(tasks)
        except EOFError:
            return 0
        result = run_model(task)
        write_frame(channel, result)
        if result.restart:
            return 0


if __name__ == "__main__":
    sys.exit(main())
