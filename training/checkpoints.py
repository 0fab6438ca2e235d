"""Training checkpoints: written whole or not at all, once per run however many processes train, and found again
for a resume.

A checkpoint is the folder `<output>/checkpoints/step-NNNNNNN`: 🤗 Accelerate's state (model, optimiser,
learning-rate schedule, EMA weights, each process's random state) plus `trainer_state.json` (step, job signature,
config), written last. Everything goes to `step-N.tmp` first and one rename makes it complete; with several
processes the main process prepares the folder, every process writes its part, and the main process renames it
once all have finished. A killed run leaves at most a `.tmp` folder, which is never resumed and is removed by the
next run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput

log = logging.getLogger(__name__)

STATE_FILE = "trainer_state.json"
#: a complete checkpoint folder; `step-NNNNNNN.tmp` is one being written (or left by a killed run)
_CHECKPOINT_NAME = re.compile(r"^step-(\d+)$")
#: test hook: "STEP:SECONDS" sleeps inside the write of that step's checkpoint, so a test can kill the run there
SLOW_CHECKPOINT_ENV = "SEETHROUGH_TEST_SLOW_CHECKPOINT"


def checkpoint_folder(output: Path, step: int) -> Path:
    return output / "checkpoints" / f"step-{step:07d}"


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


def resumable_checkpoint(resume: Path) -> Path:
    """The checkpoint to resume from: `resume` itself when it is one, else the newest complete one in it."""
    ckpt = resume if (resume / STATE_FILE).exists() else latest_checkpoint(resume)
    if ckpt is None:
        raise BadInput(f"{resume} holds no checkpoint to resume from (none was completely written)")
    return ckpt


def read_state(ckpt: Path) -> dict[str, Any]:
    state = json.loads((ckpt / STATE_FILE).read_text(encoding="utf-8"))
    if not isinstance(state, dict) or not isinstance(state.get("step"), int):
        raise BadInput(f"{ckpt / STATE_FILE} is not a training state (no step)")
    return state


def save_checkpoint(accelerator: Any, output: Path, step: int, state: dict[str, Any], keep: int) -> Path:
    """Write `checkpoints/step-N` whole or not at all (every process calls this; the main process alone touches
    the folder's name): everything goes to `step-N.tmp`, the state file last, then one rename. A failed write
    (full disk) removes the temp folder and raises WriteFailed; older checkpoints stay. Then only the newest
    `keep` checkpoints are kept."""
    folder = checkpoint_folder(output, step)
    tmp = folder.with_name(folder.name + ".tmp")
    main = accelerator.is_main_process
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()
    try:
        accelerator.save_state(str(tmp))  # the main process writes the shared state, each process its random state
        accelerator.wait_for_everyone()
        if main:
            _test_delay(step)
            (tmp / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
            _rename_into_place(tmp, folder)
    except Exception as exc:  # torch and safetensors report a full disk as their own errors ("os error 28")
        if main:
            shutil.rmtree(tmp, ignore_errors=True)
        failed = write_failed(exc, folder)
        if failed is exc:
            raise
        raise failed from exc
    accelerator.wait_for_everyone()  # nobody reads or resumes a checkpoint before it is complete
    if main:
        for old in complete_checkpoints(output)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def _rename_into_place(tmp: Path, folder: Path) -> None:
    if folder.exists():  # the same step again (stopped, then resumed and stopped at once): replace it whole
        aside = folder.with_name(folder.name + ".old.tmp")
        shutil.rmtree(aside, ignore_errors=True)
        folder.rename(aside)
        tmp.rename(folder)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        tmp.rename(folder)  # a checkpoint is either whole or absent


_OS_ERROR_IN_TEXT = re.compile(r"os error (\d+)|errno (\d+)", re.IGNORECASE)


def write_failed(exc: Exception, where: Path) -> Exception:
    """WriteFailed naming `where` for an environment failure (an OSError, or a library's error wrapping one, such
    as safetensors' "I/O error: No space left on device (os error 28)"), else `exc` itself: our bug, re-raised."""
    from seethrough.core.errors import WriteFailed, describe_os_error

    if isinstance(exc, OSError):
        return WriteFailed(f"cannot write {where}: {describe_os_error(OSError(exc.errno, exc.strerror))}")
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError):
        return write_failed(cause, where)
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
