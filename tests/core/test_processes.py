"""process_alive: this process and running ones are alive; an exited child is not, reaped or still a zombie."""

import os
import subprocess
import sys
import time

from seethrough.core.processes import process_alive


def test_running_exited_and_zombie_processes():
    assert process_alive(os.getpid())
    assert not process_alive(0) and not process_alive(-5)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
    finally:
        child.kill()
    deadline = time.monotonic() + 10
    while process_alive(child.pid) and time.monotonic() < deadline:  # a zombie until reaped: already not alive
        time.sleep(0.05)
    assert not process_alive(child.pid)
    child.wait()
    assert not process_alive(child.pid)
