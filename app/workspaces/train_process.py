"""A training run as a detached child process, watched through the files it writes.

Training is started as a child in its own session (stdout/stderr into `<output>/train.log`), and followed by
tailing `<output>/metrics.jsonl` (see `training.events`). So a crash or an out-of-memory in training cannot
take the app down, and closing the app may leave a run going. Several processes are started through
`accelerate launch` (`training.distributed.launch_command`); the child is then the launcher, which ends its
workers when it is terminated (and each worker exits with it). Stop is cooperative — a `STOP` file that the
trainer checks between steps (it saves a checkpoint, then exits) — with terminate and kill as fallbacks.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from seethrough.core.processes import process_alive
from seethrough.training.events import parse_event
from seethrough.training.launch import launch_command

STOP_FILE = "STOP"


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


class TrainingProcess(QObject):
    """Starts, follows and stops one training run."""

    training_event = Signal(dict)  # a parsed training event
    log_line = Signal(str)  # a line of train.log
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, poll_ms: int = 200) -> None:
        super().__init__(parent)
        self.pid = 0
        self._popen: subprocess.Popen | None = None
        self.output: Path | None = None
        self._metrics_pos = 0
        self._log_pos = 0
        self._was_running = False
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)

    # --- control ----------------------------------------------------------------------------------
    def command(self, config: Path, output: Path, resume: bool, processes: int = 1) -> list[str]:
        args = ["train", str(config), "--output", str(output)]
        if resume:
            args += ["--resume", str(output)]
        return launch_command(processes, args)

    def start(self, config: Path, output: Path, resume: bool = False, processes: int = 1) -> None:
        """Start a run; a resumed run's events are followed from the end of `metrics.jsonl` (what is already
        there is the earlier runs' history, which the caller reads once)."""
        if self.is_running():
            raise RuntimeError("a training run is already going")
        output.mkdir(parents=True, exist_ok=True)
        (output / STOP_FILE).unlink(missing_ok=True)
        if not resume:
            (output / "metrics.jsonl").unlink(missing_ok=True)
        self.output = output
        self._metrics_pos = _size(output / "metrics.jsonl")
        self._log_pos = _size(output / "train.log")
        log = (output / "train.log").open("ab")
        try:
            # a new session: the run outlives the app if the user chooses to keep it running
            self._popen = subprocess.Popen(
                self.command(config, output, resume, processes), stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            raise RuntimeError(f"could not start the training process: {exc}") from exc
        finally:
            log.close()
        pid = self._popen.pid
        self.pid = int(pid)
        self._timer.start()
        self._set_running(True)

    def attach(self, output: Path, pid: int) -> None:
        """Follow a run started earlier (e.g. by a previous session of the app)."""
        self.output, self.pid = output, pid
        self._metrics_pos = self._log_pos = 0
        self._timer.start()
        self._set_running(self.is_running())

    def request_stop(self, grace_ms: int = 15000) -> None:
        """Ask the trainer to checkpoint and exit; terminate it if it has not after `grace_ms`."""
        if not self.is_running() or self.output is None:
            return
        (self.output / STOP_FILE).write_text("stop requested by the app\n", encoding="utf-8")
        pid = self.pid
        QTimer.singleShot(grace_ms, self, lambda: self._terminate_if_running(pid))

    def _terminate_if_running(self, pid: int) -> None:
        """Terminate run `pid` if it is still the one going (not a run started since, e.g. a resume)."""
        if pid == self.pid and self.is_running():
            os.kill(self.pid, signal.SIGTERM)  # a launcher ends its workers on SIGTERM
            QTimer.singleShot(5000, self, lambda: self._kill_if_running(pid))

    def _kill_if_running(self, pid: int) -> None:
        if pid == self.pid:
            self.kill()

    def kill(self) -> None:
        """Kill the run: its whole process group (the run was started as a session of its own); the workers of a
        multi-process launch, in sessions of their own, exit with their launcher."""
        if not self.is_running():
            return
        try:
            if os.getpgid(self.pid) == self.pid:
                os.killpg(self.pid, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it ended meanwhile
        if self._popen is not None and self._popen.pid == self.pid:
            self._popen.wait()

    def is_running(self) -> bool:
        if self._popen is not None and self._popen.pid == self.pid:
            return self._popen.poll() is None  # also reaps our own child once it has exited
        return process_alive(self.pid)

    # --- following ------------------------------------------------------------------------------------
    def poll(self) -> None:
        if self.output is None:
            return
        self._metrics_pos = self._read_new(self.output / "metrics.jsonl", self._metrics_pos, self._on_metrics_line)
        self._log_pos = self._read_new(self.output / "train.log", self._log_pos, self.log_line.emit)
        running = self.is_running()
        if running != self._was_running:
            self._set_running(running)
        if not running:
            self._timer.stop()

    @staticmethod
    def _read_new(path: Path, pos: int, handle) -> int:  # noqa: ANN001 - a callable taking one line
        if not path.exists():
            return pos
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            fh.seek(pos)
            chunk = fh.read()
        complete, _, _ = chunk.rpartition("\n")
        if not complete and not chunk.endswith("\n"):
            return pos  # wait for a whole line
        for line in complete.splitlines():
            handle(line)
        return pos + len(complete.encode("utf-8")) + 1

    def _on_metrics_line(self, line: str) -> None:
        event = parse_event(line)
        if event is not None:
            self.training_event.emit(event)

    def _set_running(self, running: bool) -> None:
        self._was_running = running
        self.running_changed.emit(running)
