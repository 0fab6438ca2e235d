"""Peak memory of the exports that used to grow with their input (issue 22): `animate` per writer, and `live2d psd`
at a given size. Each run is a child process; its peak RSS (and its ffmpeg's) is read from the kernel. Prints
numbers; run: python -m bench.bench_memory [--side 2000] [--frames 30] [--live2d-size 4096]"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ANIMATE = r"""
import sys, numpy as np
from pathlib import Path
from seethrough.core.document import Document, Layer
from seethrough.core.animate import AnimationSettings, render_frames
from seethrough.core.io.animation import write_animation
side, frames, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rgba = np.zeros((side, side, 4), np.uint8)
rgba[side // 20 : -side // 20, side // 20 : -side // 20] = (200, 100, 50, 255)
rgba[::7, :, 0] = 30
doc = Document((side, side), [Layer("a", rgba, (0, 0), depth_value=0.5)])
settings = AnimationSettings(seconds=frames / 15, fps=15)
if out == "-":
    for _ in render_frames(doc, settings):
        pass
else:
    write_animation(render_frames(doc, settings), out, 15)
"""


def _peak(argv: list[str]) -> tuple[float, float, float]:
    """(seconds, peak RSS of the process in MB, of its own children in MB) of one child process."""
    code = "\n".join([
        "import resource, runpy, sys",
        "sys.argv = sys.argv[1:]",
        "try:",
        "    exec(sys.argv[0]) if sys.argv[0].startswith('\\n') else runpy.run_path(sys.argv[0], run_name='__main__')",
        "except SystemExit as stop:",
        "    assert not stop.code, stop.code",
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,",
        "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)",
    ])
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO)
    took = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(result.stderr[-2000:])
    own, children = (int(v) / 1024 for v in result.stderr.strip().splitlines()[-1].split())
    return took, own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=2000, help="the animated document's side (px)")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--live2d-size", type=int, default=0, help="also `live2d psd` of Hiyori at this size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in ("render only", ".mp4", ".webp", ".gif", "png frames"):
            out = "-" if suffix == "render only" else str(Path(tmp) / ("frames" if suffix == "png frames" else
                                                                           f"a{suffix}"))
            took, own, children = _peak([ANIMATE, str(args.side), str(args.frames), out])
            extra = f", ffmpeg {children:6.0f} MB" if children else ""
            print(f"animate {args.side}², {args.frames} frames, {suffix:<11}: peak {own:6.0f} MB{extra}, "
                  f"{took:5.1f} s")
        if args.live2d_size:
            from seethrough.core.paths import fixtures_dir

            model = fixtures_dir() / "Hiyori" / "Hiyori.model3.json"
            if not model.exists():
                sys.exit(f"model not found: {model} (set SEETHROUGH_FIXTURES)")
            took, own, _ = _peak([str(REPO / "main.py"), "live2d", "psd", str(model), "-o",
                                  str(Path(tmp) / "h.psd"), "--size", str(args.live2d_size)])
            print(f"live2d psd Hiyori --size {args.live2d_size}: peak {own:6.0f} MB, {took:5.1f} s")


if __name__ == "__main__":
    main()
