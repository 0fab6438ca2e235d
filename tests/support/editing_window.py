"""The main window on the predictable document (tests/support/editing_doc.py), and selecting a box in it with the
rectangle tool, as the selection, transform and mask tests start."""

from __future__ import annotations

import numpy as np

from tests.support.canvas_drags import drag
from tests.support.editing_doc import SIZE, box_mask, save_editing_document


def open_editing_document(window, qtbot, tmp_path) -> None:
    """Open the predictable document (File ▸ Open's path) and wait until the canvas shows it."""
    window.files.open(save_editing_document(tmp_path), asked=True)
    qtbot.waitUntil(lambda: window.session.display_name == "editing.stproj", timeout=30_000)
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.last_image is not None and canvas.last_image.shape[:2] == SIZE[::-1],
                    timeout=30_000)
    window.session.set_current(window.session.document.find("shapes").uid)


def select_box(window, qtbot, box) -> None:
    """Select a pixel box with the rectangle tool. The document is small, so a screen pixel is a fraction of a canvas
    pixel and the box the tool snaps to pixel edges is the one asked for (checked)."""
    window.toolbox.activate("select-rect")
    doc = window.session.document
    steps = doc.history.index
    x0, y0, x1, y1 = box
    drag(window.canvas, [(x0, y0), (x1, y1)])
    qtbot.waitUntil(lambda: doc.history.index == steps + 1, timeout=10_000)
    assert np.array_equal(doc.selection.on_canvas(), box_mask(box))


def layer_on_canvas(window, name: str) -> np.ndarray:
    doc = window.session.document
    return doc.find(name).on_canvas(doc.size)
