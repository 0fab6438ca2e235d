"""The job system: states, progress, cancel, latest-wins, errors to the UI thread, no thread left behind."""

import threading
import time

import pytest

from seethrough.app.jobs import JobManager, JobState
from seethrough.core.errors import BadInput, Cancelled


@pytest.fixture()
def manager(qtbot):
    m = JobManager()
    yield m
    m.stopping()
    assert m.wait(10_000)
    assert not m.threads_alive()


def test_job_runs_off_the_ui_thread_and_delivers_on_it(manager, qtbot):
    seen = {}

    def job(progress, is_cancelled):
        seen["worker"] = threading.current_thread()
        progress(0.5, "half")
        return 41 + 1

    def done(result):
        seen["result"], seen["ui"] = result, threading.current_thread()

    j = manager.submit("answer", job, done)
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42
    assert seen["ui"] is threading.main_thread() and seen["worker"] is not threading.main_thread()
    assert j.state is JobState.FINISHED and j.progress == 0.5
    qtbot.waitUntil(lambda: not manager.threads_alive(), timeout=5000)  # an idle lane holds no thread


def test_failure_goes_to_on_error_and_cancel_stops_a_running_job(manager, qtbot):
    errors = []
    manager.submit("bad", lambda p, c: (_ for _ in ()).throw(BadInput("nope")), on_error=errors.append)
    started = threading.Event()

    def slow(progress, is_cancelled):
        started.set()
        while not is_cancelled():
            time.sleep(0.005)
        raise Cancelled("stopped")

    j = manager.submit("slow", slow, on_error=errors.append)
    started.wait(5)
    assert j.state is JobState.RUNNING
    manager.cancel()
    qtbot.waitUntil(lambda: j.state is JobState.CANCELLED, timeout=5000)
    assert isinstance(errors[0], BadInput) and isinstance(errors[1], Cancelled)


def test_latest_wins_drops_superseded_previews(manager, qtbot):
    gate = threading.Event()
    delivered = []

    def make(n):
        def job(progress, is_cancelled):
            if n == 0:
                gate.wait(5)
            return n
        return job

    jobs = [manager.submit(f"preview {n}", make(n), delivered.append, lane="preview", key="k") for n in range(4)]
    gate.set()
    qtbot.waitUntil(lambda: jobs[-1].state is JobState.FINISHED, timeout=5000)
    manager.wait(5000)
    assert delivered == [3]  # 0 was superseded while running, 1 and 2 while queued
    assert [j.state for j in jobs[:3]] == [JobState.CANCELLED] * 3
    assert manager.active() == []


def test_a_result_still_on_its_way_to_the_ui_thread_is_superseded_too(manager, qtbot):
    """A preview that ended in its worker before a newer request came, but whose result has not crossed to the UI
    thread yet, is not delivered after the newer request (the stale view would flash or stay)."""
    delivered = []
    done_in_worker = threading.Event()

    def first(progress, is_cancelled):
        done_in_worker.set()
        return "old"

    old = manager.submit("preview old", first, delivered.append, lane="preview", key="k")
    assert done_in_worker.wait(5)
    for thread in list(manager._threads):  # the worker has ended; its outcome waits in Qt's queue
        thread.join(5)
    new = manager.submit("preview new", lambda p, c: "new", delivered.append, lane="preview", key="k")
    qtbot.waitUntil(lambda: new.state is JobState.FINISHED, timeout=5000)
    manager.wait(5000)
    assert delivered == ["new"]
    assert old.state is not JobState.FAILED


def test_jobs_in_one_lane_run_in_order_and_lanes_run_side_by_side(manager, qtbot):
    order = []
    gate = threading.Event()
    manager.submit("a", lambda p, c: (gate.wait(5), order.append("a")))
    manager.submit("b", lambda p, c: order.append("b"))
    other = manager.submit("c", lambda p, c: order.append("c"), lane="other")
    qtbot.waitUntil(lambda: other.state is JobState.FINISHED, timeout=5000)
    assert order == ["c"]  # the main lane is still held by "a"
    assert manager.busy
    gate.set()
    manager.wait(5000)
    assert order == ["c", "a", "b"] and not manager.busy


def test_stopping_refuses_new_jobs(manager):
    manager.stopping()
    job = manager.submit("late", lambda p, c: 1)
    assert job.state is JobState.CANCELLED


_SCRIPT_LEAVING_WORKERS_RUNNING = """
import functools, os, time
import numpy as np, cv2
from PySide6.QtCore import QCoreApplication
from seethrough.app.jobs import JobManager
app = QCoreApplication([])
jobs = JobManager()
image = np.random.default_rng(0).random((512, 512), dtype=np.float32)
blurring = set()
def blur_until_cancelled(lane, progress, is_cancelled):
    rounds = 0
    while not is_cancelled():
        cv2.GaussianBlur(image, (31, 31), 0)  # releases the interpreter inside C++
        rounds += 1
        blurring.add(lane)
    os.write(1, f"lane {lane} stopped after {rounds} rounds\\n".encode())  # one write: the lanes end together
for lane in ("a", "b"):
    jobs.submit("blur", functools.partial(blur_until_cancelled, lane), lane=lane)
while len(blurring) < 2:
    time.sleep(0.01)
print("leaving with workers running:", jobs.threads_alive(), flush=True)
"""


def test_a_script_that_ends_with_workers_running_exits_cleanly():
    """Workers busy inside OpenCV when the interpreter ends used to abort the process (the wheel's smoke test
    closed its window at once and died with 'terminate called without an active exception'): they are now
    cancelled and joined at exit."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", _SCRIPT_LEAVING_WORKERS_RUNNING], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "leaving with workers running: True" in done.stdout
    for lane in "ab":
        assert f"lane {lane} stopped after" in done.stdout
        assert f"lane {lane} stopped after 0 rounds" not in done.stdout
