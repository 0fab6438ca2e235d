"""A worker process that runs model tasks one at a time, with a time limit per task and a memory cap.

`Sandbox.run(task, time_limit)` sends the task to its worker (`annotation.batch.worker`, started on first use) and
waits for the result. A worker that takes longer is killed (SIGKILL) and the task fails with "timed out"; a worker
that dies (a crash in native code, the OS's OOM killer) fails the task with how it died; either way the next task
gets a fresh worker. A worker also exits after a task it reports as unsafe to continue from (out of memory, an
internal error), and the next task starts a new one.

Why not `concurrent.futures` or `multiprocessing.Pool`: neither can kill one task's process on a deadline without
breaking the pool, and their workers outlive a driver killed with -9. The worker is a plain subprocess
(`python -m …`), so it starts the same way under the CLI, inside pytest or inside a Ray worker, with its own
environment: one thread per native library (the workers are the parallelism) and a fixed hash seed.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from seethrough.annotation.batch.work import FAILED, ModelResult, ModelTask
from seethrough.annotation.batch.worker import read_frame, write_frame

_EOF = object()

#: the worker's environment on top of the driver's: single-threaded native code, a fixed hash seed
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


class Sandbox:
    def __init__(self, memory_cap: int = 0, log: Path | None = None) -> None:
        self.memory_cap = memory_cap
        self.log = log
        self._proc: subprocess.Popen[bytes] | None = None
        self._results: queue.Queue[Any] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()  # close() from another thread never races a worker's start
        self.started = 0  # how many worker processes this sandbox started (the first, then one per restart)

    def run(self, task: ModelTask, time_limit: float) -> ModelResult:
        with self._lock:
            if self._closed:  # the batch is stopping: no new worker
                return ModelResult(task.key, FAILED, "the batch stopped before this model")
            proc = self._ensure()
        try:
            assert proc.stdin is not None
            write_frame(proc.stdin, task)
        except (OSError, ValueError):  # the worker died (or was stopped) before it could take the task
            return self._died(task, proc)
        try:
            item = self._results.get(timeout=time_limit)
        except queue.Empty:
            self._stop()
            return ModelResult(task.key, FAILED, f"timed out after {time_limit:g} s (the worker was killed)",
                               seconds=float(time_limit))
        if item is _EOF:
            return self._died(task, proc)
        if item.restart:
            self._stop(wait=True)
        return item

    def close(self) -> None:
        """Kill the worker; the sandbox starts no other."""
        with self._lock:
            self._closed = True
        self._stop()

    # --- the worker process ----------------------------------------------------------------------------------
    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop()
        command = [sys.executable, "-m", "seethrough.annotation.batch.worker", "--memory-cap", str(self.memory_cap)]
        stderr: IO[bytes] | int = subprocess.DEVNULL
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            stderr = open(self.log, "ab")  # the child keeps its own copy of the descriptor
        try:
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                          env={**os.environ, **WORKER_ENV})
        finally:
            if not isinstance(stderr, int):
                stderr.close()
        self.started += 1
        self._results = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(self._proc.stdout, self._results), daemon=True,
                                        name="batch-sandbox-reader")
        self._reader.start()
        return self._proc

    @staticmethod
    def _read(stream: IO[bytes], results: queue.Queue[Any]) -> None:
        try:
            while True:
                results.put(read_frame(stream))
        except (EOFError, OSError, ValueError):
            results.put(_EOF)

    def _died(self, task: ModelTask, proc: subprocess.Popen[bytes]) -> ModelResult:
        code = proc.wait()
        self._stop()
        return ModelResult(task.key, FAILED, describe_exit(code, self.memory_cap))

    def _stop(self, wait: bool = False) -> None:
        """End the worker (killed unless `wait`: then it is given a moment to exit by itself) and its reader."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if wait:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if self._reader is not None:
            self._reader.join(timeout=10)
            self._reader = None


def describe_exit(code: int, memory_cap: int) -> str:
    """How a worker died, in one line."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if name == "SIGKILL" and memory_cap else ""
        return f"the worker crashed: killed by {name}{hint}"
    return f"the worker exited with code {code} before finishing the model"
