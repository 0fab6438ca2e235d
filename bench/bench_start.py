"""App start-up: seconds from a cold `python` process to the first window shown (offscreen), and whether the
heavy ML stack was imported on the way (it must not be: torch/diffusers/transformers load only for jobs).

    QT_QPA_PLATFORM=offscreen python -m bench.bench_start [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time, json
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from seethrough.app.none_refcount import guard_none_refcount
guard_none_refcount()
app = QApplication(sys.argv[:1])
from seethrough.app.application import create_main_window
window = create_main_window()
window.show()
app.processEvents()
shown = time.perf_counter() - t0
heavy = sorted(m for m in ("torch", "diffusers", "transformers") if m in sys.modules)
print(json.dumps({"window_s": shown, "heavy_imports": heavy, "layers": len(window.session.document or [])}))
window.close()
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    results = []
    with tempfile.TemporaryDirectory() as home:
        env["SEETHROUGH_HOME"] = home
        for _ in range(args.runs):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if out.returncode != 0:
                sys.exit(f"start failed:\n{out.stderr}")
            info = json.loads(out.stdout.strip().splitlines()[-1])
            info["process_s"] = wall
            results.append(info)
    best = min(r["process_s"] for r in results)
    print(f"app start (process launch → first window shown): best {best:.2f} s over {args.runs} runs")
    print(f"  in-process (QApplication → window shown): {min(r['window_s'] for r in results):.2f} s")
    print(f"  heavy ML modules imported at start: {results[0]['heavy_imports'] or 'none'}")
    print(f"  layers in the opened document: {results[0]['layers']}")


if __name__ == "__main__":
    main()
