"""A training run as a detached child process, watched through the files it writes.

Training is started as a child in its own session (stdout/stderr into `<output>/train.log`), and followed by
tailing `<output>/metrics.jsonl` (see `training.events`). So a crash or an out-of-memory in training cannot
take the app down, and closing the app may leave a run going. Stop is cooperative — a `STOP` file that the
trainer checks between steps (it saves a checkpoint, then exits) — with terminate and kill as fallbacks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from seethrough.core.processes import process_alive
from seethrough.training.events import parse_event

STOP_FILE = "STOP"




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
    def command(self, config: Path, output: Path, resume: bool) -> list[str]:
        args = ["-m", "seethrough.app", "train", str(config), "--output", str(output)]
        if resume:
            args += ["--resume", str(output)]
        return args

    def start(self, config: Path, output: Path, resume: bool = False) -> None:
        if self.is_running():
            raise RuntimeError("a training run is already going")
        output.mkdir(parents=True, exist_ok=True)
        (output / STOP_FILE).unlink(missing_ok=True)
        if not resume:
            (output / "metrics.jsonl").unlink(missing_ok=True)
        self.output = output
        self._metrics_pos = 0
        self._log_pos = (output / "train.log").stat().st_size if (output / "train.log").exists() else 0
        log = (output / "train.log").open("ab")
        try:
            # a new session: the run outlives the app if the user chooses to keep it running
            self._popen = subprocess.Popen(
                [sys.executable, *self.command(config, output, resume)], stdout=log,
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
        QTimer.singleShot(grace_ms, self, partial(self._terminate_if_running, self.pid))

    def _terminate_if_running(self, pid: int) -> None:
        """Terminate the run that was asked to stop (`pid`), then kill it, if it still runs. A run started since
        (Resume right after the stop) is another process: it is left alone."""
        if pid == self.pid and self.is_running():
            os.kill(pid, signal.SIGTERM)
            QTimer.singleShot(5000, self, partial(self._kill_if_running, pid))

    def _kill_if_running(self, pid: int) -> None:
        if pid == self.pid:
            self.kill()

    def kill(self) -> None:
        if self.is_running():
            os.kill(self.pid, signal.SIGKILL)

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
