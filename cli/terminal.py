"""What the command line writes to stderr besides its one-line messages: our own progress, on a terminal only, and
nothing of the libraries'.

Rules (docs/file-safety.md, "Exit codes"): a failing command prints exactly one line on stderr, its reason. So:
- libraries are silenced for the whole run: no progress bars (tqdm, Hugging Face Hub, transformers' "Loading
  weights", diffusers' "Loading pipeline components"), no Python warnings, no library log records (`quiet_libraries`,
  `command_output`);
- our own progress (`Progress`) appears only when stderr is a terminal — one line rewritten in place, in percent
  with what is being done — and is erased before anything else is printed, an error included;
- our own log warnings (an import warning such as a PSD's companions from another export) are held back and printed
  after a successful command, one line each (`seethrough-gui: warning: …`); a failed command prints only its reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from typing import TextIO

#: environment read by the libraries when they are imported (they are imported lazily, inside the commands)
LIBRARY_ENVIRONMENT = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # huggingface_hub, and transformers' bars follow it
    "TQDM_DISABLE": "1",  # every tqdm bar (diffusers' included), tqdm ≥ 4.66
    "TRANSFORMERS_VERBOSITY": "error",
    "DIFFUSERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def quiet_libraries() -> None:
    """Switch the libraries' progress bars and chatter off: through their environment for the ones not imported
    yet, through their own switches for the ones already imported."""
    for key, value in LIBRARY_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    if "huggingface_hub" in sys.modules:
        with contextlib.suppress(Exception):
            from huggingface_hub.utils import disable_progress_bars

            disable_progress_bars()
    for name in ("transformers", "diffusers"):
        if name in sys.modules:
            with contextlib.suppress(Exception):
                module = __import__(f"{name}.utils.logging", fromlist=["logging"])
                module.disable_progress_bar()
                module.set_verbosity_error()


class _HeldWarnings(logging.Handler):
    """Keeps our own WARNING records (loggers `seethrough.*`) to print after a success; drops everyone else's."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("seethrough"):
            with contextlib.suppress(Exception):
                self.messages.append(" ".join(record.getMessage().split()))


@contextlib.contextmanager
def command_output() -> Iterator[_HeldWarnings]:
    """Around one command: libraries silenced, Python warnings ignored, our log warnings held (the caller prints
    them when the command succeeded)."""
    quiet_libraries()
    held = _HeldWarnings()
    root = logging.getLogger()
    root.addHandler(held)  # with a handler in place, logging's last-resort printer stays silent
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield held
    finally:
        root.removeHandler(held)
        clear_progress()


def print_held_warnings(held: _HeldWarnings, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    for message in dict.fromkeys(held.messages):  # once each, in order
        print(f"seethrough-gui: warning: {message}", file=out)


# --- our own progress --------------------------------------------------------------------------------------------
_active: list[Progress] = []


class Progress:
    """One progress line on stderr, only when stderr is a terminal: `label: 42 % text`, rewritten in place at most
    ten times a second, erased by `close` (and before any message: `clear_progress`)."""

    def __init__(self, label: str, stream: TextIO | None = None, interval_s: float = 0.1) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.interval_s = interval_s
        self._last = 0.0
        self._shown = False
        if self.enabled:
            _active.append(self)

    def __call__(self, fraction: float, text: str = "") -> None:
        self.update(fraction, text)

    def update(self, fraction: float, text: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval_s and fraction < 1.0:
            return
        self._last = now
        percent = min(max(fraction, 0.0), 1.0) * 100.0
        line = f"{self.label}: {percent:3.0f} %" + (f"  {text}" if text else "")
        self.stream.write("\r" + line[: _width(self.stream) - 1] + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def steps(self, done: int, total: int) -> None:
        """`progress(done, total)` callbacks (exports): "12/1000" after the percentage."""
        self.update(done / total if total else 1.0, f"{done}/{total}")

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
        if self in _active:
            _active.remove(self)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def clear_progress() -> None:
    """Erase every progress line still shown (before an error message, at the end of a command)."""
    for progress in list(_active):
        progress.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80
