"""Animation export speed: frames per second rendered (and encoded) at 1024² for the built-in sample, scaled so its
longest side is 1024. Prints numbers; run: python -m bench.bench_animate [--frames 60]."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from seethrough.core.animate import AnimationSettings, render_frames
from seethrough.core.io.animation import write_animation
from seethrough.core.sample import build_sample_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args()
    doc = build_sample_document()
    fps = 30
    settings = AnimationSettings(seconds=args.frames / fps, fps=fps, size=args.size, background=(255, 255, 255))
    start = time.perf_counter()
    count = sum(1 for _ in render_frames(doc, settings))
    render = time.perf_counter() - start
    print(f"render only      {count} frames at {args.size}px: {count / render:6.1f} frames/s")
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".mp4", ".webp", ".gif", ""):
            out = Path(tmp) / f"anim{suffix}"
            start = time.perf_counter()
            write_animation(render_frames(doc, settings), out, fps)
            took = time.perf_counter() - start
            size = sum(p.stat().st_size for p in out.iterdir()) if out.is_dir() else out.stat().st_size
            print(f"{(suffix or 'png frames'):<16} {count / took:6.1f} frames/s, {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
