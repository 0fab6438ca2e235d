"""Marching ants: the outline of the document's selection, drawn above the picture on the canvas as an animated
dashed line (black dashes that crawl over a white line, so it reads on any colour), at the same screen width at
every zoom.

The outline is where the selection crosses half strength (a soft edge is outlined at its middle, as in Krita),
traced with scikit-image's marching squares on the selection's box and simplified to within a third of a pixel.
Hard edges therefore lie on pixel edges (their corners are cut by half a pixel). It is traced in a latest-wins job
on the selection value (a large selection takes a moment), and follows every change: a select operation, its
undo, a new document (`session.selection_changed`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem

from seethrough.app.canvas import CanvasView
from seethrough.app.jobs import Progress
from seethrough.core.selection import Selection, selection_of

#: above the picture and the tools' feedback
Z_ANTS = 50
#: dash and gap, in screen pixels
DASH = 4
#: how often the ants crawl one step (ms)
STEP_MS = 150
#: the polygon simplification's tolerance (canvas pixels)
TOLERANCE = 0.3
#: the iso-level traced: half strength
LEVEL = 127.5


def outline(selection: Selection) -> list[np.ndarray]:
    """The closed outlines of `selection` as (n, 2) arrays of canvas (x, y) points (the last equals the first)."""
    from skimage.measure import approximate_polygon, find_contours

    if selection.outside and selection.alpha.size == 0:  # select all: the canvas's edge
        w, h = selection.canvas
        return [np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h], [0.0, 0.0]])]
    x0, y0, x1, y1 = selection.extent
    box = (x0 - 1, y0 - 1, x1 + 1, y1 + 1)  # a ring of unselected pixels closes every outline
    values = selection.in_box(box).astype(np.float32)
    shapes = []
    for contour in find_contours(values, LEVEL):
        simple = approximate_polygon(contour, TOLERANCE)
        # rows and columns of pixel centres → canvas x, y (pixel (i, j) has its centre at (i + ½, j + ½))
        shapes.append(np.column_stack([simple[:, 1] + box[0] + 0.5, simple[:, 0] + box[1] + 0.5]))
    return shapes


def outline_path(shapes: list[np.ndarray]) -> QPainterPath:
    path = QPainterPath()
    for points in shapes:
        path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in points]))
        path.closeSubpath()
    return path


def _pen(colour: QColor, dashed: bool) -> QPen:
    pen = QPen(colour, 1)
    pen.setCosmetic(True)
    if dashed:
        pen.setDashPattern([DASH, DASH])
    return pen


class SelectionOverlay(QObject):
    """The marching ants of one canvas (see the module doc)."""

    #: the outline on the canvas now matches the document's selection
    updated = Signal()

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.session = canvas.session
        self.under = QGraphicsPathItem()
        self.under.setPen(_pen(QColor(255, 255, 255), dashed=False))
        self.ants = QGraphicsPathItem()
        self.ants.setPen(_pen(QColor(0, 0, 0), dashed=True))
        for item, z in ((self.under, Z_ANTS), (self.ants, Z_ANTS + 0.1)):
            item.setZValue(z)
            item.setVisible(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            canvas.scene().addItem(item)
        #: the selection value the outline shows (None: nothing selected)
        self.shown: Selection | None = None
        self._offset = 0
        self._timer = QTimer(self, interval=STEP_MS)
        self._timer.timeout.connect(self._crawl)
        self.session.selection_changed.connect(self.refresh)
        self.refresh()

    @property
    def path(self) -> QPainterPath:
        return self.ants.path()

    @property
    def visible(self) -> bool:
        return self.ants.isVisible()

    def refresh(self) -> None:
        """Trace the document's selection (in a job) and show it."""
        doc = self.session.document
        selection = selection_of(doc) if doc is not None else None
        if selection is None:
            self._show(None, QPainterPath())
            return

        def job(progress: Progress, is_cancelled: Callable[[], bool]) -> tuple[Selection, QPainterPath]:
            return selection, outline_path(outline(selection))

        self.canvas.jobs.submit("Selection outline", job, lambda result: self._show(*result), lane="selection",
                                key="outline")

    def _show(self, selection: Selection | None, path: QPainterPath) -> None:
        doc = self.session.document
        if selection is not None and (doc is None or selection_of(doc) is not selection):
            return  # the selection changed again meanwhile: its own outline is on the way
        self.shown = selection
        for item in (self.under, self.ants):
            item.setPath(path)
            item.setVisible(selection is not None)
        if selection is None:
            self._timer.stop()
        elif not self._timer.isActive():
            self._timer.start()
        self.updated.emit()

    def _crawl(self) -> None:
        self._offset = (self._offset + 1) % (2 * DASH)
        pen = self.ants.pen()
        pen.setDashOffset(self._offset)
        self.ants.setPen(pen)
