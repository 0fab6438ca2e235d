"""Preview frame time: 23 random-blob RGBA layers at 1024², posed by the rig and drawn by the preview renderer.

Prints the mean and 95th percentile frame time (ms) and the equivalent fps, for the full motion (parallax + sway +
breathing + hair spring) rendered offscreen into a reused 1024² QImage, which is what the preview widget does per
frame minus the final blit to the screen. Run: `QT_QPA_PLATFORM=offscreen python -m bench.bench_preview`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from seethrough.app.none_refcount import guard_none_refcount
from seethrough.app.workspaces.preview_renderer import PreviewRenderer, checker_brush
from seethrough.core.document import Document, Layer, crop_to_content
from seethrough.core.parallax import ParallaxRig

TAGS = [
    "back hair", "legwear", "footwear", "bottomwear", "topwear", "handwear", "neck", "neckwear", "tail", "wings",
    "face", "ears", "earwear", "nose", "mouth", "eyewhite", "irides", "eyelash", "eyebrow", "eyewear",
    "headwear", "front hair", "objects",
]  # fmt: skip


def random_blob_document(n_layers: int = 23, size: int = 1024, seed: int = 0) -> Document:
    """`n_layers` soft-edged random blobs (a few overlapping ellipses each) with spread-out depths."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    layers = []
    for i in range(n_layers):
        alpha = np.zeros((size, size), np.float32)
        cx, cy = rng.uniform(0.25, 0.75, 2) * size
        for _ in range(4):
            ex, ey = cx + rng.normal(0, size * 0.08), cy + rng.normal(0, size * 0.08)
            rx, ry = rng.uniform(0.06, 0.22, 2) * size
            d = ((xx - ex) / rx) ** 2 + ((yy - ey) / ry) ** 2
            alpha = np.maximum(alpha, np.clip((1.0 - d) * 4, 0, 1))
        rgba = np.zeros((size, size, 4), np.uint8)
        rgba[..., :3] = rng.integers(40, 230, 3)
        rgba[..., 3] = (alpha * 255).astype(np.uint8)
        cropped, _, offset = crop_to_content(rgba)
        tag = TAGS[i % len(TAGS)]
        layers.append(Layer(name=tag, tag=tag, rgba=cropped, offset=offset, depth_value=1.0 - i / (n_layers - 1)))
    return Document((size, size), layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=23)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--no-batch", action="store_true", help="resample every layer on its own (for comparison)")
    args = parser.parse_args()

    guard_none_refcount()  # a Qt host, like the app (app/none_refcount.py)
    app = QApplication.instance() or QApplication(sys.argv)  # noqa: F841 - QPixmap needs an application
    doc = random_blob_document(args.layers, args.size)
    coverage = sum(layer.width * layer.height for layer in doc) / (args.size * args.size)
    renderer = PreviewRenderer()
    renderer.batch = not args.no_batch
    t0 = time.perf_counter()
    renderer.rebuild(doc)
    build_ms = (time.perf_counter() - t0) * 1000
    rig = ParallaxRig(doc)
    size = QSize(args.size, args.size)
    frame = None
    for name, background in (("transparent", QColor(0, 0, 0, 0)), ("checker", checker_brush())):
        times = []
        for i in range(args.frames + 10):
            rig.set_pointer(math.sin(i * 0.05), 0.5 * math.cos(i * 0.03))
            start = time.perf_counter()
            rig.step(1 / 60)
            pose = rig.pose()
            frame = renderer.render(pose, size, background, target=frame)
            if i >= 10:  # warm-up frames excluded
                times.append((time.perf_counter() - start) * 1000)
        arr = np.array(times)
        mean, p95 = float(arr.mean()), float(np.percentile(arr, 95))
        print(
            f"preview frame {args.layers} layers @ {args.size}² ({name} background, batch={renderer.batch},"
            f" layer boxes cover {coverage:.1f}× the canvas):"
            f" mean {mean:.2f} ms, p95 {p95:.2f} ms, {1000 / mean:.0f} fps (mean), {1000 / p95:.0f} fps (p95)"
        )
    print(f"cache build ({args.layers} conversions to premultiplied QImage): {build_ms:.1f} ms")
    widget_frames(doc, args.frames, not args.no_batch)


def widget_frames(doc: Document, frames: int, batch: bool) -> None:
    """The same through the Preview workspace's view widget (checker, fit to a 1280×900 view, paintEvent)."""
    from seethrough.app.session import DocumentSession
    from seethrough.app.workspaces.preview import PreviewWorkspace

    session = DocumentSession()
    session.set_document(doc)
    workspace = PreviewWorkspace(session)
    workspace.renderer.batch = batch
    workspace.resize(1280, 960)
    workspace.show()
    deadline = time.monotonic() + 60  # the rig and the layer images are built in a job: wait for them
    while (workspace.view.rig is None or len(workspace.renderer) != len(doc.layers)) and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)
    view, rig = workspace.view, workspace.view.rig
    if rig is None:
        raise SystemExit("the Preview workspace did not build its rig within 60 s")
    times = []
    for i in range(frames + 10):
        rig.set_pointer(math.sin(i * 0.05), 0.5 * math.cos(i * 0.03))
        start = time.perf_counter()
        rig.step(1 / 60)
        view.grab()  # runs paintEvent into an offscreen pixmap
        if i >= 10:
            times.append((time.perf_counter() - start) * 1000)
    arr = np.array(times)
    mean, p95 = float(arr.mean()), float(np.percentile(arr, 95))
    print(
        f"preview widget frame ({view.width()}×{view.height()} view, batch={batch}):"
        f" mean {mean:.2f} ms, p95 {p95:.2f} ms, {1000 / mean:.0f} fps (mean), {1000 / p95:.0f} fps (p95)"
    )
    workspace.close()
    workspace.jobs.stopping()
    workspace.jobs.wait(30_000)


if __name__ == "__main__":
    main()
