"""The stall-budget scenario in a process of its own: `python -m tests.support.stall_scenario [--side N]`.

It builds the Stratify workspace as the app does, runs the whole path once on a small document (the one-off costs of
a fresh process — lazy imports, first paints, first use of each lane — are not stalls), then measures the
UI thread while a `side`² layer is fitted, previewed, checked, composited and split. It prints one JSON object: the
number of loop turns, the longest turns and their breakdown, and every heavy computation with the thread that ran
it.

A process of its own, because that is what a user runs: a test process that has already built and torn down dozens
of windows and models is not (they inflate the UI thread's turns several-fold, a cost a user never sees).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import threading
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: the computations of the scenario, by module: each must run in a worker
HEAVY = {"seethrough.core.stratify": ("kmeans_thresholds", "split_by_thresholds", "stratify_command"),
         "seethrough.core.metrics": ("reconstruction_check",),
         "seethrough.core.compositing": ("composite",)}
BUDGET_S = 0.050


def record_heavy_calls() -> list[tuple[str, str]]:
    """Wrap every HEAVY function so that each call records (function, thread name); the workspace imports them from
    their modules at each use, so the wrappers are what it calls."""
    calls: list[tuple[str, str]] = []

    def recorded(name: str, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            calls.append((name, threading.current_thread().name))
            return fn(*args, **kwargs)
        return wrapper

    for module_name, names in HEAVY.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(module, name, recorded(name, getattr(module, name)))
    return calls


def stratify_once(session, workspace, side: int, meter=None):
    """Open a `side`² scene, fit, drag a threshold, check, and apply the split; measured when a meter is given."""
    import numpy as np

    from tests.support.stall import spin_until, stratify_scene

    # forget what an earlier document produced, so every wait below waits for this one's results
    workspace.thresholds, workspace.last_report, workspace.canvas.last_image = [], None, None
    doc = stratify_scene(side)
    if meter is not None:
        meter.start()
    session.set_document(doc)  # current layer → K-Means refit, histogram, strata, canvas, reconstruction check
    spin_until(lambda: len(workspace.thresholds) == 1 and workspace.strata_row.count() == 2)
    if not 0.3 < workspace.thresholds[0] < 0.65:  # between the two depth clusters
        raise AssertionError(f"K-Means threshold {workspace.thresholds[0]} is not between the clusters")
    workspace.set_thresholds([0.5])  # a dragged line → strata preview
    workspace.update_reconstruction()
    spin_until(lambda: workspace.last_report is not None)
    workspace.inpaint.setCurrentText("none")
    workspace.apply()
    spin_until(lambda: len(doc.layers) == 2)
    # wait with the loop turning: JobManager.wait() would block the UI thread and then deliver every queued result
    # in one go — the caller's own stall, not the app's
    spin_until(lambda: not workspace.jobs.busy_any)
    spin_until(lambda: workspace.canvas.last_image is not None)
    if workspace.canvas.last_image.shape != (side, side, 4) or not np.isfinite(workspace.last_report.ssim):
        raise AssertionError("the scenario did not produce a full canvas and a reconstruction report")
    return meter.stop() if meter is not None else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=2048)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    calls = record_heavy_calls()
    from seethrough.app.gc_policy import quiet_gc
    from seethrough.app.session import DocumentSession
    from tests.support.stall import StallMeter, stratify_workspace

    session = DocumentSession()
    workspace = stratify_workspace(session)
    stratify_once(session, workspace, 64)
    quiet_gc()  # as the app does once its window is up (app.application.run_app)
    try:
        stats = stratify_once(session, workspace, args.side, StallMeter())
    finally:
        workspace.jobs.stopping()
        workspace.jobs.wait(300_000)
        workspace.close()
    ui_thread = threading.main_thread().name
    print(json.dumps({"turns": len(stats.cpu), "max_cpu_s": max(stats.cpu), "summary": stats.summary(),
                      "longest": stats.worst(),
                      "heavy_calls": [[name, thread == ui_thread] for name, thread in calls]}))
    del app


if __name__ == "__main__":
    main()
