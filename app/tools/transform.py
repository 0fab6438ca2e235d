"""The transform tool (Ctrl+T), as in Krita: the current layer, or the selected part of it when something is
selected, in a box with handles. Drag inside the box to move (by whole pixels), a corner or edge handle to scale
(the opposite side stays; Shift keeps the proportions), outside the box to rotate about its centre (Shift: steps
of 15°); Tool Options takes the same numbers typed, and flips. The canvas previews the result while the document
is untouched (app/tools/transform_preview.py); Enter commits one `transform` operation (one undo step, in the
operation log), Esc drops it. Choosing another tool commits a pending transform, as in Krita.

What the transform moves is read again whenever the document changes under it; a pending transform is kept only
while its layer and the selection are the very same values (anything else drops it: it was made for them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QCursor, QKeyEvent
from PySide6.QtWidgets import QWidget

from seethrough.app.canvas import CanvasView
from seethrough.app.jobs import Progress
from seethrough.app.operations import run_operation
from seethrough.app.tools.base import Tool
from seethrough.app.tools.transform_geometry import Handle, Placement, angle_at
from seethrough.app.tools.transform_options import TransformOptions
from seethrough.app.tools.transform_preview import Pictures, Target, TransformPreview, make_pictures
from seethrough.core.operations import layer_ref
from seethrough.core.operations.editing import Transform
from seethrough.core.transform import moving_box

#: the longest a committed transform's picture waits for the canvas to show the result (ms)
HOLD_MS = 5000
#: Shift snaps rotation to this step (degrees)
ROTATE_STEP = 15.0
#: the cursor over each handle
HANDLE_CURSORS = {
    (-1, -1): Qt.CursorShape.SizeFDiagCursor, (1, 1): Qt.CursorShape.SizeFDiagCursor,
    (1, -1): Qt.CursorShape.SizeBDiagCursor, (-1, 1): Qt.CursorShape.SizeBDiagCursor,
    (-1, 0): Qt.CursorShape.SizeHorCursor, (1, 0): Qt.CursorShape.SizeHorCursor,
    (0, -1): Qt.CursorShape.SizeVerCursor, (0, 1): Qt.CursorShape.SizeVerCursor,
}


class TransformTool(Tool):
    key: ClassVar[str] = "transform"
    title: ClassVar[str] = "Transform"
    icon: ClassVar[str] = "transform"
    shortcut: ClassVar[str] = "Ctrl+T"
    tip: ClassVar[str] = ("Move, scale, rotate or flip the current layer (or the selected part of it); Enter applies, "
                          "Esc cancels.")

    def __init__(self, canvas: CanvasView) -> None:
        super().__init__(canvas)
        self.session = canvas.session
        self.preview = TransformPreview(canvas)
        self.panel = TransformOptions()
        self.panel.edited.connect(self._typed)
        self.panel.flip.connect(self.flip)
        self.panel.apply.connect(self.commit)
        self.panel.cancel.connect(self.cancel)
        self.placement = Placement()
        self.target: Target | None = None
        self.active = False
        #: the drag under way: ("move" | "rotate" | "scale", handle), its start and the placement it started from
        self._drag: tuple[str, Handle | None] | None = None
        self._from = QPointF()
        self._start = Placement()
        #: a committed transform's picture stays until the canvas shows the result (no flash of the old picture)
        self._holding = False
        self._held_pictures: Pictures | None = None
        self._hold_timer = QTimer(self, singleShot=True, interval=HOLD_MS)
        self._hold_timer.timeout.connect(self._end_hold)
        self._retarget_timer = QTimer(self, singleShot=True, interval=0)
        self._retarget_timer.timeout.connect(self.retarget)
        for signal in (self.session.document_replaced, self.session.current_layer_changed,
                       self.session.layer_changed):
            signal.connect(self._document_changed)
        for plain in (self.session.layers_changed, self.session.selection_changed):
            plain.connect(self._document_changed)
        canvas.rendered.connect(self._canvas_rendered)

    # --- the Tool contract ------------------------------------------------------------------------------------
    def build_options(self) -> QWidget:
        return self.panel

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    def activate(self) -> None:
        self.active = True
        self.retarget()

    def deactivate(self) -> None:
        self.commit()
        self.active = False
        self._drag = None
        self.preview.hide()

    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        target = self.target
        if target is None or self._holding:
            return False
        if target.layer.locked:
            self.session.notice.emit(f"“{target.layer.name}” is locked: unlock it to transform it")
            return False
        handle = self.preview.handle_at(self.canvas, QPointF(self.canvas.mapFromScene(pos)))
        if handle is not None:
            self._drag = ("scale", handle)
        elif self.placement.contains(target.box, (pos.x(), pos.y())):
            self._drag = ("move", None)
        else:
            self._drag = ("rotate", None)
        self._from, self._start = pos, self.placement
        return True

    def move(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> None:
        if self._drag is None or self.target is None:
            return
        kind, handle = self._drag
        start, box = self._start, self.target.box
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        if kind == "move":
            placement = start.moved(round(pos.x() - self._from.x()), round(pos.y() - self._from.y()))
        elif kind == "scale":
            assert handle is not None
            placement = start.dragged(box, handle, (pos.x(), pos.y()), keep_aspect=shift)
        else:
            middle = start.centre_point(box)
            turn = angle_at(middle, (pos.x(), pos.y())) - angle_at(middle, (self._from.x(), self._from.y()))
            rotate = start.rotate + turn
            if shift:
                rotate = round(rotate / ROTATE_STEP) * ROTATE_STEP
            placement = Placement(start.translate, start.scale, rotate)
        self.set_placement(placement)

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        self._drag = None

    def hover(self, pos: QPointF) -> None:
        target = self.target
        if target is None:
            return
        handle = self.preview.handle_at(self.canvas, QPointF(self.canvas.mapFromScene(pos)))
        if handle is not None:
            shape = HANDLE_CURSORS[handle]
        elif self.placement.contains(target.box, (pos.x(), pos.y())):
            shape = Qt.CursorShape.SizeAllCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.canvas.viewport().setCursor(shape)

    def key_press(self, event: QKeyEvent) -> bool:
        if self.target is None:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commit()
            return True
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return True
        return False

    # --- the pending transform ----------------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        return self.target is not None and not self.placement.is_identity

    def set_placement(self, placement: Placement) -> None:
        self.placement = placement
        self.panel.set_placement(placement)
        self._show()

    def flip(self, axis: str) -> None:
        if self.target is not None:
            self.set_placement(self.placement.flipped(axis))

    def _typed(self, placement: Placement) -> None:
        self.set_placement(placement)

    def operation(self) -> Transform | None:
        """The `transform` operation the pending transform commits (None when nothing is pending)."""
        doc, target = self.session.document, self.target
        if doc is None or target is None or self.placement.is_identity:
            return None
        p = self.placement
        return Transform(layer=layer_ref(doc, target.uid), translate=p.translate, scale=p.scale, rotate=p.rotate)

    def commit(self) -> None:
        """Apply the pending transform: one `transform` operation, planned in a job."""
        op = self.operation()
        if op is None:
            return
        self._holding = True
        self._drag = None
        run_operation(self.session, self.canvas.jobs, op, self.canvas, on_applied=lambda _c: self._committed(),
                      on_refused=lambda _e: self._refused())

    def _committed(self) -> None:
        self.placement = Placement()
        self.panel.set_placement(self.placement)
        self._hold_timer.start()
        self._retarget_timer.start()

    def _refused(self) -> None:
        self._end_hold()

    def cancel(self) -> None:
        """Drop the pending transform: the document was never touched."""
        self._drag = None
        self.set_placement(Placement())

    # --- what is transformed ----------------------------------------------------------------------------------
    def _document_changed(self, *_args: object) -> None:
        if self.active:
            self._retarget_timer.start()

    def _canvas_rendered(self) -> None:
        if self._holding and self.placement.is_identity:  # the commit was applied: this is its picture
            self._end_hold()

    def _end_hold(self) -> None:
        if not self._holding:
            return
        self._holding = False
        self._hold_timer.stop()
        if self._held_pictures is not None:
            self.preview.set_pictures(self._held_pictures)
            self._held_pictures = None
        self._show()

    def retarget(self) -> None:
        """Read what the transform moves from the document now (see the module doc)."""
        if not self.active:
            return
        target = self._read_target()
        old = self.target
        same = (old is not None and target is not None and old.uid == target.uid
                and old.layer is target.layer and old.selection is target.selection)
        if same:
            return
        self.target = target
        self._drag = None  # a drag that began on what was there before ends here
        if self.placement != Placement():
            self.placement = Placement()
            self.panel.set_placement(self.placement)
        if not self._holding:
            self.preview.set_pictures(None)
        self.panel.set_target_text(self._describe(target))
        if target is not None:
            self._make_pictures(target)
        self._show()

    def _read_target(self) -> Target | None:
        doc, layer = self.session.document, self.session.current_layer
        if doc is None or layer is None:
            return None
        selection = doc.selection
        if selection is None and layer.rgba.size == 0:
            return None
        return Target(doc.snapshot(), layer.uid, selection, moving_box(layer, selection))

    @staticmethod
    def _describe(target: Target | None) -> str | None:
        if target is None:
            return None
        name = target.layer.name
        return f"The selection on “{name}”" if target.selection is not None else f"Layer “{name}”"

    def _make_pictures(self, target: Target) -> None:
        mode = self.canvas.mode

        def job(progress: Progress, is_cancelled: Callable[[], bool]) -> Pictures:
            return make_pictures(target, mode)

        self.canvas.jobs.submit("Transform preview", job, self._pictures_made, lane="transform", key="pictures")

    def _pictures_made(self, pictures: Pictures) -> None:
        if pictures.target is not self.target:
            return
        if self._holding:
            self._held_pictures = pictures
            return
        self.preview.set_pictures(pictures)
        self._show()

    def _show(self) -> None:
        if not self.active:
            self.preview.hide()
            return
        if self._holding:
            return
        self.preview.show(self.target, self.placement)
