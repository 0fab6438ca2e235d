"""Screenshots of the selection and transform tools (the `screens` fixture; `$SEETHROUGH_SCREENS` keeps them):
every tool's options in the Tool Options panel at 1280×800 with nothing overlapping or clipped (the window-layout
test's check), the marching ants on the sample, a transform being previewed, and the Layer menu's mask badge."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.app.test_window_layout import SMALL, _overlaps_and_clips
from tests.support.canvas_drags import LEFT, NO_MODIFIER, drag, move_held, view_point
from tests.support.windows import main_window

TOOLS = ("select-rect", "select-ellipse", "select-lasso", "select-polygon", "select-wand", "transform")


def _save(widget, screens: Path, name: str) -> None:
    assert widget.grab().save(str(screens / name))


def test_tool_options_fit_and_the_ants_and_preview_show(qtbot, tmp_path, screens):
    with main_window(qtbot, tmp_path, size=SMALL) as window:
        options = window.docks["Tool Options"]
        options.show()
        options.raise_()
        for key in TOOLS:
            tool = window.toolbox.activate(key)
            qtbot.wait(20)
            QApplication.processEvents()
            assert window.toolbox.options_panel.stack.currentWidget() is tool.options()
            assert _overlaps_and_clips(options) == [], key
            panel = tool.options()
            assert panel.width() <= options.width() and panel.minimumSizeHint().width() <= options.width(), key
            _save(options, screens, f"tool-options-{key}.png")

        doc = window.session.document
        canvas = window.canvas
        qtbot.waitUntil(lambda: canvas.last_image is not None, timeout=30_000)
        window.toolbox.activate("select-ellipse")
        drag(canvas, [(220, 180), (560, 560)])
        qtbot.waitUntil(lambda: doc.selection is not None and window.editing.ants.shown is doc.selection,
                        timeout=20_000)
        window.session.set_current(doc.find("face").uid)
        window.editing.actions["mask-add"].trigger()
        qtbot.wait(300)  # the ants march
        _save(window, screens, "marching-ants.png")

        tool = window.toolbox.activate("transform")
        qtbot.waitUntil(lambda: tool.target is not None and tool.preview.pictures is not None, timeout=30_000)
        viewport = canvas.viewport()
        QTest.mousePress(viewport, LEFT, NO_MODIFIER, view_point(canvas, 380, 350))
        move_held(viewport, view_point(canvas, 440, 330))
        assert tool.preview.moving.isVisible()
        _save(window, screens, "transform-preview.png")
        QTest.mouseRelease(viewport, LEFT, NO_MODIFIER, view_point(canvas, 440, 330))
        QTest.keyClick(canvas, Qt.Key.Key_Escape)
        assert tool.placement.is_identity
        _save(window.layers_panel, screens, "layers-mask-badge.png")
