"""Whether a process is still running (for leftovers of a run that may have crashed: temp files, autosaves,
a training run started by an earlier session of the app)."""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int) -> bool:
    """True for this process and for any running process, including someone else's; False for a pid that is gone
    or a zombie (exited, not yet reaped)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. PermissionError: it exists, it is not ours
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): os.kill said it exists
