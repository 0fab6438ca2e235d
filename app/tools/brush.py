"""The brush (B), as in Krita: paint, erase (E), restore from the illustration, move pixels to another layer, paint
the layer's depth or its mask (M), with the pen's pressure; the outline of the brush follows the pointer.

A press starts a `StrokeEngine` whose dabs the canvas shows at once (app/live_paint.py); the release commits one
`Stroke` operation (one undo step, recorded with its points and their pressure in the operation log). Held keys
change what a drag does: Ctrl picks the composite's colour under the pointer, Shift resizes the brush. Keys (the
canvas has the focus): E eraser, M mask, X swap colours, D black and white, [ and ] size.
"""

from __future__ import annotations

import math
from typing import ClassVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QGuiApplication, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from seethrough.app.icons import icon
from seethrough.app.live_paint import LiveStroke
from seethrough.app.operations import run_operation
from seethrough.app.tools.base import Tool
from seethrough.app.tools.brush_options import BrushOptions
from seethrough.core.brush import StrokeEngine, StrokeParams
from seethrough.core.compositing import composite_region
from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import layer_ref
from seethrough.core.operations.editing import Mask, Stroke
from seethrough.core.operations.params import params_of

#: what [ and ] multiply or divide the size by
SIZE_STEP = 1.25


class BrushOutline(QGraphicsItem):
    """A circle of the brush's diameter around the pointer: a light line under a dark one, one screen pixel each
    (cosmetic), so it reads on any picture at any zoom."""

    def __init__(self) -> None:
        super().__init__()
        self.diameter = 20.0
        self.setZValue(100)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setVisible(False)

    def set_diameter(self, diameter: float) -> None:
        if diameter != self.diameter:
            self.prepareGeometryChange()
            self.diameter = diameter

    def _margin(self) -> float:
        views = self.scene().views() if self.scene() is not None else []
        zoom = views[0].transform().m11() if views else 1.0
        return 3.0 / max(zoom, 1e-3)  # the pens' width, in canvas pixels

    def boundingRect(self) -> QRectF:
        r = self.diameter / 2 + self._margin()
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = self.diameter / 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for colour, width in ((QColor(255, 255, 255, 200), 3), (QColor(0, 0, 0, 220), 1)):
            pen = QPen(colour, width)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawEllipse(QPointF(0, 0), r, r)


class BrushTool(Tool):
    key: ClassVar[str] = "brush"
    title: ClassVar[str] = "Brush"
    icon: ClassVar[str] = "brush"
    shortcut: ClassVar[str] = "B"
    tip: ClassVar[str] = ("Paint on the current layer: colour, eraser (E), restore from the illustration, move pixels "
                          "to another layer, depth, or the layer mask (M). Ctrl picks a colour, Shift+drag or [ ] "
                          "resize, X swaps colours.")

    def __init__(self, canvas) -> None:  # noqa: ANN001 - a CanvasView
        super().__init__(canvas)
        self.outline = BrushOutline()
        canvas.scene().addItem(self.outline)
        self.stroke: LiveStroke | None = None
        self._picking = False
        self._sizing: tuple[float, float] | None = None  # (pointer x at the press, size then)
        self._mode_before: dict[str, str] = {"erase": "paint", "mask": "paint"}

    # --- options -----------------------------------------------------------------------------------------------------
    @property
    def panel(self) -> BrushOptions:
        options = self.options()
        assert isinstance(options, BrushOptions)
        return options

    def build_options(self) -> QWidget:
        panel = BrushOptions(self.canvas.session)
        panel.size_changed.connect(lambda size: self.outline.set_diameter(size))
        panel.add_mask_requested.connect(self.add_mask)
        panel.mode_changed.connect(self._mode_changed)
        self.canvas.session.edit_mask_changed.connect(self._follow_edit_mask)
        self.outline.set_diameter(panel.brush_size.value())
        return panel

    @property
    def mode(self) -> str:
        return self.panel.mode.currentText()

    def set_mode(self, mode: str) -> None:
        self.panel.mode.setCurrentText(mode)

    @property
    def size(self) -> float:
        return self.panel.brush_size.value()

    def set_size(self, size: float) -> None:
        self.panel.brush_size.setValue(size)

    def toggle(self, mode: str) -> None:
        """E and M: switch to `mode`, or back to the mode before it."""
        if self.mode == mode:
            self.set_mode(self._mode_before[mode])
        else:
            self._mode_before[mode] = self.mode
            self.set_mode(mode)

    def _mode_changed(self, mode: str) -> None:
        """The mask mode is Layer ▸ Edit Mask: one switch, whichever way the user flips it."""
        self.canvas.session.set_edit_mask(mode == "mask")

    def _follow_edit_mask(self, on: bool) -> None:
        session = self.canvas.session
        if on and self.mode != "mask":
            self.toggle("mask")
        elif not on and self.mode == "mask" and session.current_layer is not None \
                and session.current_layer.layer_mask is not None:
            self.toggle("mask")  # switched off by the user, not because the current layer has no mask

    def add_mask(self) -> None:
        """Give the current layer a mask (Mask add) and paint on it."""
        session = self.canvas.session
        layer = session.current_layer
        if layer is None or session.document is None:
            return
        run_operation(session, None, Mask(layer=layer_ref(session.document, layer.uid), action="add"), self.canvas)
        if self.mode != "mask":
            self.toggle("mask")
        session.set_edit_mask(True)  # now that there is a mask, Layer ▸ Edit Mask is on with the brush's mode

    # --- what follows the pointer ------------------------------------------------------------------------------------
    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    def _picker_cursor(self) -> QCursor:
        return QCursor(icon("picker").pixmap(24, 24), 4, 20)

    def _follow(self, pos: QPointF, picking: bool = False) -> None:
        self.outline.setPos(pos)
        self.outline.setVisible(not picking and self.canvas.session.document is not None)
        self.canvas.viewport().setCursor(self._picker_cursor() if picking else self.cursor())

    def hover(self, pos: QPointF) -> None:
        picking = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
        self._follow(pos, picking)

    def leave(self) -> None:
        self.outline.setVisible(False)

    def activate(self) -> None:
        self.options()  # built, so the outline has the size

    def deactivate(self) -> None:
        if self.stroke is not None:
            self._finish()
        self._picking, self._sizing = False, None
        self.outline.setVisible(False)

    # --- input -------------------------------------------------------------------------------------------------------
    def press(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> bool:
        doc = self.canvas.session.document
        if doc is None:
            return False
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self._picking = True
            self._follow(pos, picking=True)
            self.pick(pos)
            return True
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            self._sizing = (pos.x(), self.size)
            return True
        layer = self.canvas.session.current_layer
        if layer is None:
            self.canvas.session.notice.emit("Brush: choose a layer to paint on")
            return False
        try:
            params = self.panel.params(layer.uid, (pos.x(), pos.y(), pressure))
        except SeeThroughError as exc:
            self.canvas.session.notice.emit(f"Brush: {exc}")
            return False
        refusal = refusal_of(doc, layer, params)
        if refusal:
            self.canvas.session.notice.emit(f"Brush: {refusal}")
            return False
        engine = StrokeEngine(params, doc.size)
        self.stroke = LiveStroke(params, engine)
        self.canvas.live.begin(self.stroke, engine.add(pos.x(), pos.y(), pressure))
        self._follow(pos)
        return True

    def move(self, pos: QPointF, pressure: float, modifiers: Qt.KeyboardModifier) -> None:
        if self._picking:
            self._follow(pos, picking=True)
            self.pick(pos)
            return
        if self._sizing is not None:
            x0, size0 = self._sizing
            low, high = self.panel.brush_size.minimum(), self.panel.brush_size.maximum()
            self.set_size(min(max(size0 + 2.0 * (pos.x() - x0), low), high))  # the rim follows the pointer
            return
        self._follow(pos)
        if self.stroke is not None:
            self.canvas.live.refresh(self.stroke.engine.add(pos.x(), pos.y(), pressure))

    def release(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        if self._picking or self._sizing is not None:
            self._picking, self._sizing = False, None
            return
        if self.stroke is not None:
            self._finish()

    def _finish(self) -> None:
        """End the stroke and hand it over to be committed (one `Stroke` operation)."""
        stroke, self.stroke = self.stroke, None
        assert stroke is not None
        live = self.canvas.live
        live.refresh(stroke.engine.finish())
        doc = self.canvas.session.document
        if doc is None or not stroke.engine.dabs:
            live.cancel(stroke)
            return
        try:
            op = stroke_operation(doc, stroke.params, tuple(stroke.engine.points))
        except KeyError:  # the layer went away during the stroke (another document was opened)
            live.cancel(stroke)
            return
        except SeeThroughError as exc:
            live.cancel(stroke)
            self.canvas.session.notice.emit(f"Brush: {exc}")
            return
        live.commit(stroke, op)

    def pick(self, pos: QPointF) -> None:
        """The foreground colour becomes the composite's colour under `pos` (where something is drawn)."""
        doc = self.canvas.session.document
        x, y = math.floor(pos.x()), math.floor(pos.y())
        if doc is None or not (0 <= x < doc.width and 0 <= y < doc.height):
            return
        r, g, b, a = (int(v) for v in composite_region(doc, (x, y, x + 1, y + 1), mode=self.canvas.mode)[0, 0])
        if a > 0:
            self.panel.colours.set_foreground(QColor(r, g, b))

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier and key != Qt.Key.Key_Control:
            return False
        if key == Qt.Key.Key_Control:
            self.canvas.viewport().setCursor(self._picker_cursor())
            self.outline.setVisible(False)
            return False
        if key == Qt.Key.Key_E:
            self.toggle("erase")
        elif key == Qt.Key.Key_M:
            self._toggle_mask()
        elif key == Qt.Key.Key_X:
            self.panel.colours.swap()
        elif key == Qt.Key.Key_D:
            self.panel.colours.reset()
        elif key == Qt.Key.Key_BracketRight:
            self.set_size(max(self.size * SIZE_STEP, self.size + 1))
        elif key == Qt.Key.Key_BracketLeft:
            self.set_size(min(self.size / SIZE_STEP, self.size - 1))
        else:
            return False
        return True

    def _toggle_mask(self) -> None:
        layer = self.canvas.session.current_layer
        self.toggle("mask")
        if self.mode == "mask" and layer is not None and layer.layer_mask is None:
            self.canvas.session.notice.emit(f"“{layer.name}” has no layer mask: Add mask in the Tool Options")


def refusal_of(doc: DocumentLike, layer: Layer, params: StrokeParams) -> str:
    """Why this stroke cannot be painted on `layer` ("" when it can): told at the press, before any dab."""
    if layer.locked:
        return f"“{layer.name}” is locked"
    if params.tool == "restore" and doc.source is None:
        return "this document has no source illustration to restore from"
    if params.tool == "mask" and layer.layer_mask is None:
        return f"“{layer.name}” has no layer mask: Add mask in the Tool Options"
    if params.tool == "move-to-layer":
        if params.target is None:
            return "choose the target layer in the Tool Options"
        try:
            target = doc.layer(params.target)
        except KeyError:
            return "the target layer is gone: choose another in the Tool Options"
        if target.locked:
            return f"the target “{target.name}” is locked"
    return ""


def stroke_operation(doc: DocumentLike, params: StrokeParams, points: tuple[tuple[float, float, float], ...]) -> Stroke:
    """The operation of a finished stroke: its brush, its points, and its layers named as the operation log names
    them (by name when the name finds them, else by uid)."""
    values = {p.name: getattr(params, p.name) for p in params_of(Stroke)}
    values["points"] = points
    values["layer"] = layer_ref(doc, params.layer)
    if params.target is not None:
        values["target"] = layer_ref(doc, params.target)
    return Stroke(**values)
