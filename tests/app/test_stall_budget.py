"""The UI thread stays free while a 2048² layer is fitted, previewed, checked, composited and stratified: every one
of those computations runs in the job system, and the event loop keeps turning while they run.

The scenario runs in a fresh process (tests/support/stall_scenario.py), the way a user runs the app. What is asserted
is exact and cannot depend on the machine's speed or load:
- every heavy computation of the scenario (K-Means fit, strata split, reconstruction check, composite, the split
  command) is recorded with the thread that ran it; each must have run, and none on the UI thread;
- the event loop kept turning while the work ran (thousands of turns; a computation on the UI thread holds it).

The 50 ms budget itself is a speed target, so it is measured and printed, never asserted (the project's rule for
speed targets): this test prints the UI thread's longest turns with their breakdown (user, kernel, page faults,
garbage collection) and whether they kept within the budget, and bench/bench_ui_stall.py prints the same per phase.
The timed assert that was here failed CI once and a local run once, on work that was not
the UI thread's: on this kind of virtual machine the kernel charges host-side time (interrupts, a descheduled vCPU)
to whichever thread runs, and the same commit measured 21 ms alone and 62–158 ms while the host was busy.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.stall_scenario import BUDGET_S, HEAVY

ROOT = Path(__file__).resolve().parents[2]


def test_stratifying_a_2048_layer_keeps_every_heavy_computation_off_the_ui_thread():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "tests.support.stall_scenario", "--side", "2048"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    verdict = "within" if report["max_cpu_s"] < BUDGET_S else "OVER"
    print(f"2048² stratify: {report['summary']} ({verdict} the {BUDGET_S * 1000:.0f} ms budget)\n"
          f"  longest turns: {report['longest']}")
    assert {name for name, _ in report["heavy_calls"]} == {name for names in HEAVY.values() for name in names}
    on_ui_thread = sorted({name for name, on_ui in report["heavy_calls"] if on_ui})
    assert not on_ui_thread, f"computed on the UI thread: {on_ui_thread}"
    assert report["turns"] > 100, f"the event loop turned only {report['turns']} times while the work ran"
