"""UI-thread stalls while stratifying a 2048² layer (the issue-8 budget: none over 50 ms).

For each phase — K-Means fit + histogram + strata (current layer set), strata preview (dragged threshold),
reconstruction check, z-buffer canvas composite, apply split — prints the UI thread's work per event-loop turn (CPU
ms, max) and the loop's wall-clock lateness (max, p95), measured by a 5 ms QTimer (tests/support/stall.py). For
comparison it also prints how long each computation takes when done in one piece, which is what the UI thread
used to block for. Run: `QT_QPA_PLATFORM=offscreen python -m bench.bench_ui_stall [--side 2048]`.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from seethrough.app.session import DocumentSession
from tests.support.stall import StallMeter, spin_until, stratify_scene, stratify_workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=2048)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    session = DocumentSession()
    workspace = stratify_workspace(session)
    doc = stratify_scene(args.side)
    from seethrough.app.gc_policy import quiet_gc

    quiet_gc()  # as the app does once its window is up
    meter = StallMeter()

    def phase(name: str, action, done) -> None:
        meter.start()
        action()
        spin_until(done)
        spin_until(lambda: not workspace.jobs.busy_any)  # the loop keeps turning until every job has come back
        stats = meter.stop()
        print(f"{name:<28} {stats.summary()}\n{'':<28} longest: {stats.worst(1)}")

    print(f"{args.side}² layer, jobs in the job system (UI thread):")
    phase("fit + histogram + strata", lambda: session.set_document(doc),
          lambda: len(workspace.thresholds) == 1 and workspace.strata_row.count() == 2)
    phase("strata preview (drag)", lambda: workspace.set_thresholds([0.5]),
          lambda: workspace.view is not None and workspace.view.thresholds == [0.5])
    workspace.last_report = None
    phase("reconstruction check", workspace.update_reconstruction, lambda: workspace.last_report is not None)
    workspace.canvas.mode = "zbuffer"
    workspace.canvas.last_image = None
    phase("canvas composite (zbuffer)", workspace.canvas.render_now, lambda: workspace.canvas.last_image is not None)
    workspace.inpaint.setCurrentText("none")
    phase("apply split", workspace.apply, lambda: len(doc.layers) == 2)

    from seethrough.core.compositing import composite
    from seethrough.core.metrics import reconstruction_check
    from seethrough.core.stratify import kmeans_thresholds, split_by_thresholds

    fresh = stratify_scene(args.side)
    layer = fresh.layers[0]
    print("the same work in one piece (what the UI thread used to block for):")
    for name, fn in (("K-Means fit", lambda: kmeans_thresholds(layer, 2)),
                     ("strata (split, no inpaint)", lambda: split_by_thresholds(layer, [0.5], inpaint="none")),
                     ("reconstruction check", lambda: reconstruction_check(fresh)),
                     ("zbuffer composite", lambda: composite(fresh, mode="zbuffer"))):
        start = time.perf_counter()
        fn()
        print(f"{name:<28} {(time.perf_counter() - start) * 1000:.0f} ms")
    workspace.jobs.stopping()
    workspace.jobs.wait(600_000)
    workspace.close()
    QCoreApplication.processEvents()
    del app


if __name__ == "__main__":
    main()
