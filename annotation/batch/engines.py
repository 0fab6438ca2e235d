"""Where the per-model tasks run: one interface (`Engine.run(tasks)` yields a result per task, in the order they
finish), two engines.

- `LocalEngine` (the default, needs nothing): N threads, each feeding one `Sandbox` worker process.
- `RayEngine` (`pip install ".[cluster]"`): each task is a Ray task (one CPU) on a cluster, or on a local one it
  starts; inside it the same `Sandbox` runs the model, so the time limit, the memory cap and the isolation are the
  same as on one machine, and so are the results (the driver writes them; the dataset is byte-identical). Every
  node needs this package installed and read access to the models at the same path.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from seethrough.annotation.batch.sandbox import Sandbox
from seethrough.annotation.batch.work import FAILED, ModelResult, ModelTask
from seethrough.core.errors import BadInput

ENGINES = ("local", "ray")


class Engine(Protocol):
    name: str

    def run(self, tasks: Sequence[ModelTask]) -> Iterator[ModelResult]:
        """One result per task, as they finish; closing the iterator early stops the work."""
        ...


class LocalEngine:
    name = "local"

    def __init__(self, workers: int, time_limit: float, memory_cap: int = 0, log_dir: Path | None = None) -> None:
        self.workers = max(1, workers)
        self.time_limit = time_limit
        self.memory_cap = memory_cap
        self.log_dir = log_dir
        self.processes_started = 0

    def run(self, tasks: Sequence[ModelTask]) -> Iterator[ModelResult]:
        todo: queue.Queue[ModelTask] = queue.Queue()
        for task in tasks:
            todo.put(task)
        done: queue.Queue[ModelResult | BaseException] = queue.Queue()
        stop = threading.Event()
        sandboxes = [Sandbox(self.memory_cap, self._log(i)) for i in range(min(self.workers, len(tasks)))]
        threads = [threading.Thread(target=self._slot, args=(s, todo, done, stop), name=f"batch-slot-{i}")
                   for i, s in enumerate(sandboxes)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(len(tasks)):
                item = done.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            for sandbox in sandboxes:
                sandbox.close()
            for thread in threads:
                thread.join()
            self.processes_started += sum(s.started for s in sandboxes)

    def _log(self, slot: int) -> Path | None:
        return self.log_dir / f"worker-{slot}.log" if self.log_dir is not None else None

    def _slot(self, sandbox: Sandbox, todo: queue.Queue[ModelTask], done: queue.Queue[ModelResult | BaseException],
              stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    return
                result = sandbox.run(task, self.time_limit)
                if not stop.is_set():
                    done.put(result)
        except BaseException as exc:  # handed to the driver's thread, which raises it
            done.put(exc)
        finally:
            sandbox.close()


#: the sandbox of a Ray worker process (Ray reuses its workers, so the sandbox's worker is reused too)
_RAY_SANDBOX: Sandbox | None = None


def run_in_ray_worker(task: ModelTask, time_limit: float, memory_cap: int) -> ModelResult:
    """The body of a Ray task: the model in this Ray worker's sandbox."""
    global _RAY_SANDBOX
    if _RAY_SANDBOX is None or _RAY_SANDBOX.memory_cap != memory_cap:
        if _RAY_SANDBOX is not None:
            _RAY_SANDBOX.close()
        _RAY_SANDBOX = Sandbox(memory_cap)
    return _RAY_SANDBOX.run(task, time_limit)


class RayEngine:
    name = "ray"

    def __init__(self, address: str | None, workers: int, time_limit: float, memory_cap: int = 0) -> None:
        self.address = address
        self.workers = max(1, workers)
        self.time_limit = time_limit
        self.memory_cap = memory_cap

    def run(self, tasks: Sequence[ModelTask]) -> Iterator[ModelResult]:
        ray = _import_ray()
        started = self._connect(ray)
        remote = ray.remote(num_cpus=1, max_retries=0)(run_in_ray_worker)
        in_flight = 2 * max(1, int(ray.cluster_resources().get("CPU", self.workers)))
        pending: dict[Any, ModelTask] = {}
        waiting = iter(tasks)
        try:
            while True:
                for task in waiting:
                    pending[remote.remote(task, self.time_limit, self.memory_cap)] = task
                    if len(pending) >= in_flight:
                        break
                if not pending:
                    return
                ready, _ = ray.wait(list(pending), num_returns=1)
                task = pending.pop(ready[0])
                yield self._result(ray, ready[0], task)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join the running Ray session, the cluster at `address`, or start a local one; True if started here."""
        if ray.is_initialized():
            return False
        import logging

        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
        if self.address is None:
            kwargs["num_cpus"] = self.workers
        try:
            ray.init(address=self.address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BadInput(f"cannot reach the Ray cluster at {self.address}: {exc}") from None
        return True

    @staticmethod
    def _result(ray: Any, ref: Any, task: ModelTask) -> ModelResult:
        try:
            return ray.get(ref)
        except ray.exceptions.RayError as exc:  # the Ray worker or its node died: recorded, the batch goes on
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return ModelResult(task.key, FAILED, f"ray: {type(exc).__name__}: {first}"[:500])


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BadInput('the Ray engine needs Ray: pip install "seethrough-studio[cluster]" (or pip install ray)') \
            from None
    return ray
