"""What the selection and transform tools compute off the UI thread on a 4096² canvas: the marching ants' outline
(app/selection_overlay.py: traced in a job) for a large and a ragged selection, and the transform tool's preview
pictures (app/tools/transform_preview.py: two composites, made in a job when the tool picks its layer). Also the
UI-thread part of the ants: turning the traced outline into the path item's QPainterPath. Prints the best of a few
runs per case (ms). Run: QT_QPA_PLATFORM=offscreen python -m bench.bench_selection_ui
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from bench.bench_selection import SIZE, composite_4096, timed
from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer, crop_to_content
from seethrough.core.selection import shapes
from seethrough.core.selection.value import everything


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from seethrough.app.canvas import to_display_qimage
    from seethrough.app.selection_overlay import outline, outline_path
    from seethrough.app.tools.transform_preview import Target, make_pictures

    _app = QApplication.instance() or QApplication([])
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    canvas = (SIZE, SIZE)
    image = composite_4096()
    cases = {
        "select all": everything(canvas),
        "ellipse 3000×3600": shapes.ellipse(canvas, (548, 248, 3548, 3848)),
        "wand on the background (the character's outline)": shapes.wand(image, (5, 5), 32, True),
        "wand on the face, global (many small pieces)": shapes.wand(image, (SIZE // 2, 1400), 32, False),
    }
    for name, selection in cases.items():
        assert selection is not None
        traced = outline(selection)
        points = sum(len(p) for p in traced)
        timed(f"ants: trace {name} ({len(traced)} outlines, {points} pts)", lambda s=selection: outline(s), repeat=3)
        timed(f"ants: path of {name}", lambda t=traced: outline_path(t), repeat=3)

    layers = []
    for i in range(23):  # 23 layers of the 4096² character, each a horizontal band of it, cropped to its pixels
        y0, y1 = i * SIZE // 23, (i + 1) * SIZE // 23
        band = image[y0:y1]
        rgba, depth, offset = crop_to_content(band, np.full(band.shape[:2], i / 23, np.float32), (0, y0))
        layers.append(Layer(f"band {i}", rgba, offset, depth=depth))
    doc = Document(canvas, layers)
    timed("for scale: the canvas's own render of that document (composite + QImage)",
          lambda: to_display_qimage(composite(doc)), repeat=3)
    middle = layers[11]
    target = Target(doc.snapshot(), middle.uid, None, middle.bbox)
    timed("transform preview pictures, 23 layers, the middle one moving", lambda: make_pictures(target, "stack"),
          repeat=3)
    selection = shapes.rectangle(canvas, (1000, 1000, 3000, 3000))
    target = Target(doc.snapshot(), middle.uid, selection, middle.bbox)
    timed("transform preview pictures, a selection of the middle layer", lambda: make_pictures(target, "stack"),
          repeat=3)
    print(f"OpenCV threads {cv2.getNumThreads()}")


if __name__ == "__main__":
    main()
