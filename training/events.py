"""The training process's report: one JSON object per line on stdout (and in `<output>/metrics.jsonl`).

The Train workspace starts training as a child process and reads these lines, so that a crash or a CUDA
out-of-memory in training cannot take the app down. Every line has an "event":

- "start":      {"job", "max_steps", "output", "resumed_from_step"}
- "metrics":    {"step", "loss", "lr", "samples_per_s", "gpu_mem_mb"} (+ job-specific losses)
- "checkpoint": {"step", "path"}
- "validation": {"step", "images": [paths]}
- "done":       {"step", "model_dir"} — the final model, loadable by the decomposition engine
- "stopped":    {"step", "checkpoint"} — stopped on request, resumable
- "error":      {"message"}
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

EVENTS = ("start", "metrics", "checkpoint", "validation", "done", "stopped", "error")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def format_event(event: str, **fields: Any) -> str:
    if event not in EVENTS:
        raise ValueError(f"unknown training event {event!r}")
    return json.dumps({"event": event, **{k: _clean(v) for k, v in fields.items()}}, ensure_ascii=False)


def parse_event(line: str) -> dict[str, Any] | None:
    """The event of one stdout line, or None for anything else (library chatter, a progress bar)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) and obj.get("event") in EVENTS else None


@dataclass
class EventWriter:
    """Prints events to `stream` and appends them to `<output>/metrics.jsonl` (flushed per line)."""

    output: Path
    stream: TextIO = field(default_factory=lambda: sys.stdout)

    def __post_init__(self) -> None:
        self.output.mkdir(parents=True, exist_ok=True)
        self._file = (self.output / "metrics.jsonl").open("a", encoding="utf-8")

    def __call__(self, event: str, **fields: Any) -> None:
        line = format_event(event, **fields)
        print(line, file=self.stream, flush=True)
        if self._file.closed:
            return
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as exc:  # a full disk: stop recording (stdout still has the events) and say where
            from seethrough.core.errors import WriteFailed, describe_os_error

            path = self.output / "metrics.jsonl"
            self._close_quietly()
            raise WriteFailed(f"cannot write {path}: {describe_os_error(OSError(exc.errno, exc.strerror))}") from exc

    def _close_quietly(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # the buffered tail could not be flushed either; the events are on stdout

    def close(self) -> None:
        self._close_quietly()


def read_metrics(output: Path) -> list[dict[str, Any]]:
    """Every event recorded under a run's output folder (for curves of a finished or resumed run)."""
    path = Path(output) / "metrics.jsonl"
    if not path.exists():
        return []
    return [e for e in (parse_event(line) for line in path.read_text(encoding="utf-8").splitlines()) if e]
