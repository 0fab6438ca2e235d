"""Real mouse input on the document canvas at canvas (document pixel) positions, as a user gives it: presses,
moves and releases on the canvas's viewport, in its screen pixels. Each helper returns the canvas positions the
canvas really received (a screen pixel covers a fraction or several canvas pixels), so a test can predict exactly
what a tool makes of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from seethrough.app.canvas import CanvasView

NO_MODIFIER = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


def view_point(canvas: CanvasView, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def received(canvas: CanvasView, at: QPoint) -> tuple[float, float]:
    """The canvas position the canvas computes for a screen point of its viewport."""
    pos = canvas.mapToScene(at)
    return pos.x(), pos.y()


def drag(canvas: CanvasView, points: Sequence[tuple[float, float]],
         modifiers: Qt.KeyboardModifier = NO_MODIFIER) -> list[tuple[float, float]]:
    """Press at the first point, move through the others, release at the last."""
    viewport = canvas.viewport()
    screen = [view_point(canvas, x, y) for x, y in points]
    QTest.mousePress(viewport, LEFT, modifiers, screen[0])
    for at in screen[1:]:
        move_held(viewport, at, modifiers)
    QTest.mouseRelease(viewport, LEFT, modifiers, screen[-1])
    return [received(canvas, at) for at in screen]


def move_held(viewport: QWidget, at: QPoint, modifiers: Qt.KeyboardModifier = NO_MODIFIER) -> None:
    """The pointer moves with the left button held and `modifiers` down (QTest's own move carries neither)."""
    local = QPointF(at)
    event = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(viewport.mapToGlobal(at)), Qt.MouseButton.NoButton,
                        LEFT, modifiers)
    QApplication.sendEvent(viewport, event)


def click(canvas: CanvasView, x: float, y: float,
          modifiers: Qt.KeyboardModifier = NO_MODIFIER) -> tuple[float, float]:
    at = view_point(canvas, x, y)
    QTest.mouseClick(canvas.viewport(), LEFT, modifiers, at)
    return received(canvas, at)


def double_click(canvas: CanvasView, x: float, y: float) -> tuple[float, float]:
    at = view_point(canvas, x, y)
    QTest.mouseDClick(canvas.viewport(), LEFT, NO_MODIFIER, at)
    return received(canvas, at)


def hover(canvas: CanvasView, x: float, y: float) -> None:
    QTest.mouseMove(canvas.viewport(), view_point(canvas, x, y))
