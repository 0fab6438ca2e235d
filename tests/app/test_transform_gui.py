"""The transform tool through the real window: handles dragged with the mouse move, scale and rotate the current
layer (or the selected part of it) with a preview that leaves the document untouched; numeric entry and the flip
buttons; Enter commits exactly one step, Esc leaves the document as it was."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from seethrough.core.document import Document
from seethrough.core.operations import perform
from seethrough.core.operations.editing import Transform
from tests.support.canvas_drags import LEFT, NO_MODIFIER, drag, move_held, received, view_point
from tests.support.editing_doc import PAPER, editing_document
from tests.support.editing_window import open_editing_document
from tests.support.windows import main_window

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path) as w:
        open_editing_document(w, qtbot, tmp_path)
        yield w


@pytest.fixture()
def tool(window, qtbot):
    tool = window.toolbox.activate("transform")
    qtbot.waitUntil(lambda: tool.target is not None and tool.preview.pictures is not None, timeout=20_000)
    assert tool.target.box == window.session.document.find("shapes").bbox == (20, 20, 200, 140)
    return tool


def shapes(window):
    return window.session.document.find("shapes")


def commit(window, qtbot, tool) -> None:
    doc = window.session.document
    steps = doc.history.index
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: doc.history.index == steps + 1, timeout=30_000)
    qtbot.waitUntil(lambda: not tool._holding, timeout=30_000)
    window.jobs.wait(10_000)
    assert doc.history.index == steps + 1


def headless(op: Transform) -> Document:
    """The same operation on the same document, without the GUI."""
    doc = editing_document()
    perform(doc, op)
    return doc


def test_drag_inside_moves_with_a_preview_and_enter_commits_one_step(window, qtbot, tool):
    canvas, doc = window.canvas, window.session.document
    before, steps = shapes(window), doc.history.index
    viewport = canvas.viewport()
    a, b = view_point(canvas, 50, 50), view_point(canvas, 81, 72)
    QTest.mousePress(viewport, LEFT, NO_MODIFIER, a)
    move_held(viewport, b)
    (ax, ay), (bx, by) = received(canvas, a), received(canvas, b)
    dx, dy = round(bx - ax), round(by - ay)
    assert tool.placement.translate == (dx, dy) and (dx, dy) != (0, 0)
    preview = tool.preview
    assert preview.moving.isVisible() and preview.under.isVisible()
    assert (preview.moving.transform().dx(), preview.moving.transform().dy()) == (dx, dy)
    under = preview.pictures.under
    assert under.pixelColor(40, 40).red() == PAPER[0]  # the layer's old place shows what is below it
    assert preview.pictures.above is None  # nothing above "shapes"
    assert (tool.panel.tx.value(), tool.panel.ty.value()) == (dx, dy)  # the numbers follow the drag
    QTest.mouseRelease(viewport, LEFT, NO_MODIFIER, b)
    assert shapes(window) is before and doc.history.index == steps  # untouched until Enter
    commit(window, qtbot, tool)
    after = shapes(window)
    assert after.offset == (before.offset[0] + dx, before.offset[1] + dy)
    assert np.array_equal(after.rgba, before.rgba) and np.array_equal(after.depth, before.depth)
    assert not preview.moving.isVisible()
    assert tool.target.box == after.bbox  # the handles are on the moved layer now
    window.undo()
    assert shapes(window).offset == before.offset


def test_esc_cancels_and_leaves_the_document_untouched(window, qtbot, tool):
    doc = window.session.document
    before, steps = shapes(window), doc.history.index
    drag(window.canvas, [(100, 60), (130, 90)])
    assert not tool.placement.is_identity and tool.preview.moving.isVisible()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert tool.placement.is_identity and not tool.preview.moving.isVisible()
    assert (tool.panel.tx.value(), tool.panel.ty.value()) == (0, 0)
    window.jobs.wait(10_000)
    assert shapes(window) is before and doc.history.index == steps and doc.history.operations()[0] == []


def test_corner_handle_scales_about_the_opposite_corner(window, qtbot, tool):
    got = drag(window.canvas, [(200, 140), (215, 150), (230, 170)])  # the bottom right handle
    sx, sy = tool.placement.scale
    assert sx == pytest.approx((got[-1][0] - 20) / 180, abs=1e-3)
    assert sy == pytest.approx((got[-1][1] - 20) / 120, abs=1e-3)
    assert tool.placement.handle_point(tool.target.box, (-1, -1)) == pytest.approx((20, 20), abs=0.01)
    op = tool.operation()
    commit(window, qtbot, tool)
    x0, y0, x1, y1 = shapes(window).bbox
    # the opposite corner stays; resampling may leave a faint pixel across an edge that is not on a pixel edge
    assert abs(x0 - 20) <= 1 and abs(y0 - 20) <= 1 and abs(x1 - got[-1][0]) <= 1 and abs(y1 - got[-1][1]) <= 1
    assert np.array_equal(shapes(window).rgba, headless(op).find("shapes").rgba)


def test_shift_keeps_the_proportions(window, qtbot, tool):
    drag(window.canvas, [(200, 140), (230, 150)], SHIFT)
    sx, sy = tool.placement.scale
    assert sx == sy and sx > 1.1
    x, y = tool.placement.handle_point(tool.target.box, (0, 1))  # the bottom edge handle, where it is now
    drag(window.canvas, [(x, y), (x, y - 30)])
    assert tool.placement.scale[0] == sx and tool.placement.scale[1] < sy


def test_drag_outside_rotates_and_shift_snaps(window, qtbot, tool):
    before = shapes(window)
    centre = (110, 80)
    drag(window.canvas, [(225, 80), (200, 150), (112, 200)], SHIFT)  # from the right of the box to below it
    assert tool.placement.rotate == 90.0  # clockwise on the screen, snapped to 15°
    commit(window, qtbot, tool)
    after = shapes(window)
    assert np.array_equal(after.rgba, np.rot90(before.rgba, k=-1))  # a quarter turn is exact
    x0, y0, x1, y1 = after.bbox
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == centre

    got = drag(window.canvas, [(220, 80), (200, 130)])  # free rotation: the angle the pointer turned
    expected = math.degrees(math.atan2(got[1][1] - 80, got[1][0] - 110) - math.atan2(got[0][1] - 80, got[0][0] - 110))
    assert tool.placement.rotate == pytest.approx(expected, abs=0.01)


def test_numeric_entry_and_flips(window, qtbot, tool):
    before = shapes(window)
    panel = tool.panel
    assert (panel.sx.minimum(), panel.sx.maximum()) == (-64, 64)  # the operation's declared limits
    assert (panel.rotate.minimum(), panel.rotate.maximum()) == (-36000, 36000)
    panel.flip_h.click()
    assert tool.placement.scale == (-1.0, 1.0) and tool.preview.moving.isVisible()
    commit(window, qtbot, tool)
    assert np.array_equal(shapes(window).rgba, before.rgba[:, ::-1])
    assert shapes(window).bbox == before.bbox
    panel.flip_v.click()
    commit(window, qtbot, tool)
    assert np.array_equal(shapes(window).rgba, before.rgba[::-1, ::-1])

    panel.tx.setValue(-7.5)
    panel.sy.setValue(0.5)
    panel.rotate.setValue(12.25)
    assert tool.placement.translate == (-7.5, 0.0) and tool.placement.scale == (1.0, 0.5)
    op = tool.operation()
    assert (op.translate, op.scale, op.rotate) == ((-7.5, 0.0), (1.0, 0.5), 12.25)
    commit(window, qtbot, tool)
    logged = window.session.document.history.operations()[0]
    assert [(o.scale, o.rotate) for o in logged] == [((-1.0, 1.0), 0.0), ((1.0, -1.0), 0.0), ((1.0, 0.5), 12.25)]


def test_the_selected_part_moves_and_the_selection_follows(window, qtbot):
    doc = window.session.document
    window.toolbox.activate("select-rect")
    corner = drag(window.canvas, [(150, 90), (210, 150)])[0]  # around the square C only
    qtbot.waitUntil(lambda: doc.selection is not None, timeout=10_000)
    before = shapes(window)
    tool = window.toolbox.activate("transform")
    qtbot.waitUntil(lambda: tool.target is not None and tool.target.selection is doc.selection, timeout=10_000)
    assert tool.target.box == (160, 100, 200, 140)  # the selected pixels' box, as the core pivots
    assert "selection" in tool.panel.what.text()
    got = drag(window.canvas, [(180, 120), (140, 110)])
    dx, dy = round(got[1][0] - got[0][0]), round(got[1][1] - got[0][1])
    commit(window, qtbot, tool)
    after = shapes(window).on_canvas(doc.size)
    old = before.on_canvas(doc.size)
    assert np.array_equal(after[100 + dy : 140 + dy, 160 + dx : 200 + dx], old[100:140, 160:200])
    assert np.array_equal(after[20:80, 20:120], old[20:80, 20:120])  # A and B stay
    x0, y0, x1, y1 = doc.selection.extent
    assert (x0, y0) == (round(corner[0]) + dx, round(corner[1]) + dy)
    assert doc.history.index == 2


def test_the_preview_keeps_the_layers_above_over_the_moving_one(window, qtbot):
    doc = window.session.document
    window.session.set_current(doc.find("paper").uid)
    tool = window.toolbox.activate("transform")
    qtbot.waitUntil(lambda: tool.target is not None and tool.target.uid == doc.find("paper").uid
                    and tool.preview.pictures is not None and tool.preview.pictures.target is tool.target,
                    timeout=20_000)
    pictures = tool.preview.pictures
    assert pictures.above_offset == (20, 20)  # "shapes", over the box it covers
    assert pictures.above.pixelColor(20, 20).red() == 200  # its square A, at canvas (40, 40)
    assert pictures.under.pixelColor(5, 5).red() in (205, 245)  # nothing under the paper: the checkerboard
    drag(window.canvas, [(230, 170), (200, 150)])
    assert tool.preview.above.isVisible() and tool.preview.above.zValue() > tool.preview.moving.zValue()
