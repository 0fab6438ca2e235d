"""The selection tools, the Select menu's keys and the marching ants, driven through the real window: mouse
events on the canvas, key presses, menu actions. Each selection is compared with the mask it must be, computed
here from the positions the canvas received."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from skimage.draw import polygon as fill_polygon

from tests.support.canvas_drags import click, double_click, drag, hover
from tests.support.editing_doc import SIZE, A, B, C, box_mask
from tests.support.editing_window import open_editing_document
from tests.support.windows import main_window

SHIFT, ALT = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path) as w:
        open_editing_document(w, qtbot, tmp_path)
        yield w


def selected(window) -> np.ndarray:
    """The document's selection over the canvas (all 0 when nothing is selected)."""
    selection = window.session.document.selection
    return np.zeros(SIZE[::-1], np.uint8) if selection is None else selection.on_canvas()


def snapped(a, b) -> tuple[int, int, int, int]:
    x0, x1 = sorted((round(a[0]), round(b[0])))
    y0, y1 = sorted((round(a[1]), round(b[1])))
    return x0, y0, x1, y1


def drag_rect(window, qtbot, a, b, modifiers=Qt.KeyboardModifier.NoModifier) -> tuple[int, int, int, int]:
    """Drag with the rectangle tool; the box (snapped to pixel edges) the canvas received."""
    steps = before = window.session.document.history.index
    got = drag(window.canvas, [a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), b], modifiers)
    qtbot.waitUntil(lambda: window.session.document.history.index == steps + 1 or before is None, timeout=10_000)
    return snapped(got[0], got[-1])


def test_rectangle_with_shift_alt_and_both(window, qtbot):
    window.toolbox.activate("select-rect")
    first = drag_rect(window, qtbot, (30, 30), (100, 70))
    assert np.array_equal(selected(window), box_mask(first))
    second = drag_rect(window, qtbot, (60, 50), (140, 120), SHIFT)  # add
    union = np.maximum(box_mask(first), box_mask(second))
    assert np.array_equal(selected(window), union)
    third = drag_rect(window, qtbot, (40, 40), (70, 130), ALT)  # subtract
    rest = np.where(box_mask(third) > 0, 0, union)
    assert np.array_equal(selected(window), rest)
    fourth = drag_rect(window, qtbot, (20, 20), (90, 90), SHIFT | ALT)  # intersect
    assert np.array_equal(selected(window), np.minimum(rest, box_mask(fourth)))
    ops = [op.mode for op in window.session.document.history.operations()[0]]
    assert ops == ["replace", "add", "subtract", "intersect"]
    # a click without a drag deselects, one more step
    click(window.canvas, 200, 20)
    qtbot.waitUntil(lambda: window.session.document.selection is None, timeout=10_000)
    assert window.session.document.history.index == 5


def test_the_mode_chosen_in_tool_options(window, qtbot):
    tool = window.toolbox.activate("select-rect")
    first = drag_rect(window, qtbot, (30, 30), (60, 60))
    tool.mode_box.setCurrentText("add")
    second = drag_rect(window, qtbot, (100, 100), (130, 140))
    assert np.array_equal(selected(window), np.maximum(box_mask(first), box_mask(second)))
    tool.mode_box.setCurrentText("subtract")
    drag_rect(window, qtbot, (0, 0), (240, 90))
    assert np.array_equal(selected(window), box_mask(second))


def test_ellipse_selects_the_inscribed_ellipse(window, qtbot):
    window.toolbox.activate("select-ellipse")
    x0, y0, x1, y1 = drag_rect(window, qtbot, (40, 30), (200, 150))
    values = selected(window)
    ys, xs = np.mgrid[: SIZE[1], : SIZE[0]] + 0.5
    r = np.hypot((xs - (x0 + x1) / 2) / ((x1 - x0) / 2), (ys - (y0 + y1) / 2) / ((y1 - y0) / 2))
    assert (values[r < 0.97] == 255).all()
    assert (values[r > 1.03] == 0).all()
    assert 0 < (values[(r > 0.99) & (r < 1.01)]).mean() < 255  # anti-aliased edge


def polygon_mask(points) -> np.ndarray:
    """Pixels whose centres lie inside the polygon."""
    xs = np.array([p[0] for p in points]) - 0.5
    ys = np.array([p[1] for p in points]) - 0.5
    out = np.zeros(SIZE[::-1], bool)
    rr, cc = fill_polygon(ys, xs, SIZE[::-1])
    out[rr, cc] = True
    return out


def assert_polygon_selected(values: np.ndarray, points) -> None:
    """Inside the polygon selected, outside not; only pixels its edge crosses may be partly selected."""
    inside = polygon_mask(points)
    assert not (inside & (values == 0)).any()
    assert not (~inside & (values == 255)).any()
    assert inside.sum() > 100


def test_freehand_lasso(window, qtbot):
    window.toolbox.activate("select-lasso")
    path = [(60 + 50 * np.cos(t), 90 + 40 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40, endpoint=False)]
    got = drag(window.canvas, path)
    qtbot.waitUntil(lambda: window.session.document.selection is not None, timeout=10_000)
    op = window.session.document.history.operations()[0][-1]
    assert op.shape == "polygon" and len(op.points) >= 30
    assert_polygon_selected(selected(window), got)


def test_polygon_lasso_closes_with_a_double_click_and_with_enter(window, qtbot):
    canvas = window.canvas
    tool = window.toolbox.activate("select-polygon")
    corners = [(30, 30), (180, 40), (150, 150)]
    got = [click(canvas, x, y) for x, y in corners[:-1]]
    hover(canvas, 160, 140)
    assert tool.feedback.isVisible() and len(tool.points) == 2
    got.append(double_click(canvas, *corners[-1]))
    qtbot.waitUntil(lambda: window.session.document.selection is not None, timeout=10_000)
    assert_polygon_selected(selected(window), got)
    assert window.session.document.history.index == 1

    # Enter closes; Esc drops an unfinished one; Backspace takes a point back; Shift (first click) adds
    square = [(170, 90), (230, 90), (230, 170), (170, 170), (10, 170)]
    points = [click(canvas, *square[0], SHIFT)] + [click(canvas, x, y) for x, y in square[1:]]
    QTest.keyClick(canvas, Qt.Key.Key_Backspace)
    assert len(tool.points) == 4
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.document.history.index == 2, timeout=10_000)
    both = polygon_mask(got) | polygon_mask(points[:4])
    values = selected(window)
    assert not (both & (values == 0)).any() and not (~both & (values == 255)).any()
    click(canvas, 10, 10)
    click(canvas, 100, 10)
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert tool.points == [] and not tool.feedback.isVisible()
    assert window.session.document.history.index == 2


def test_wand_tolerance_contiguity_and_source(window, qtbot):
    canvas = window.canvas
    tool = window.toolbox.activate("select-wand")
    tool.options()  # shown in Tool Options
    assert (tool.tolerance.minimum(), tool.tolerance.maximum()) == (0, 255)

    def wand(x, y, modifiers=Qt.KeyboardModifier.NoModifier):
        steps = window.session.document.history.index
        click(canvas, x, y, modifiers)
        qtbot.waitUntil(lambda: window.session.document.history.index == steps + 1, timeout=20_000)
        return selected(window)

    tool.tolerance.setValue(10)
    assert np.array_equal(wand(40, 40), box_mask(A))  # the pink beside it is 20 levels away
    tool.tolerance.setValue(30)
    assert np.array_equal(wand(40, 40), np.maximum(box_mask(A), box_mask(B)))
    tool.tolerance.setValue(10)
    tool.contiguous.setChecked(False)
    assert np.array_equal(wand(40, 40), np.maximum(box_mask(A), box_mask(C)))
    # the current layer's transparent pixels all match; the composite has paper there instead, every pixel of it
    tool.contiguous.setChecked(True)
    empty = 255 - np.maximum.reduce([box_mask(A), box_mask(B), box_mask(C)])
    assert np.array_equal(wand(5, 5), empty)
    tool.source.setCurrentIndex(tool.source.findData("composite"))
    assert np.array_equal(wand(5, 5), empty)  # the paper: the same pixels, now by their colour
    assert np.array_equal(wand(100, 50, SHIFT), np.maximum(empty, box_mask(B)))  # Shift adds
    layers = [op.layer for op in window.session.document.history.operations()[0]]
    assert layers == ["shapes"] * 4 + [None, None]


def test_select_menu_keys_and_the_ants_follow_undo(window, qtbot):
    canvas = window.canvas
    ants = window.editing.ants
    canvas.setFocus()
    doc = window.session.document
    assert not ants.visible
    QTest.keyClick(canvas, Qt.Key.Key_A, CTRL)
    assert (selected(window) == 255).all()
    qtbot.waitUntil(lambda: ants.visible and ants.shown is doc.selection, timeout=10_000)
    assert ants.path.boundingRect() == canvas.sceneRect().adjusted(0, 0, 0, 0).intersected(
        ants.path.boundingRect()) and ants.path.boundingRect().width() == SIZE[0]
    QTest.keyClick(canvas, Qt.Key.Key_A, CTRL | SHIFT)
    assert doc.selection is None
    qtbot.waitUntil(lambda: not ants.visible, timeout=10_000)
    reselect = window.editing.actions["reselect"]
    assert reselect.isEnabled()
    QTest.keyClick(canvas, Qt.Key.Key_D, CTRL | SHIFT)  # Reselect, as in Krita
    assert (selected(window) == 255).all() and doc.history.undo_text == "Reselect" and not reselect.isEnabled()
    window.undo()
    assert doc.selection is None and reselect.isEnabled()

    window.toolbox.activate("select-rect")
    box = drag_rect(window, qtbot, (50, 40), (120, 100))
    qtbot.waitUntil(lambda: ants.visible and ants.shown is doc.selection, timeout=10_000)
    rect = ants.path.boundingRect()
    assert (rect.left(), rect.top(), rect.right(), rect.bottom()) == box  # on the pixel edges
    assert ants.ants.zValue() > 0 and ants.ants.pen().isCosmetic()
    offset = ants.ants.pen().dashOffset()
    qtbot.waitUntil(lambda: ants.ants.pen().dashOffset() != offset, timeout=5_000)  # they march

    QTest.keyClick(canvas, Qt.Key.Key_I, CTRL | SHIFT)
    assert np.array_equal(selected(window), 255 - box_mask(box))
    qtbot.waitUntil(lambda: ants.shown is doc.selection, timeout=10_000)
    outer = ants.path.boundingRect()
    assert (outer.width(), outer.height()) == SIZE  # the canvas's edge is an edge of the inverted selection
    window.undo()
    assert np.array_equal(selected(window), box_mask(box))
    qtbot.waitUntil(lambda: ants.shown is doc.selection, timeout=10_000)
    assert ants.path.boundingRect() == rect
    window.undo()  # the rectangle
    window.undo()  # deselect
    assert (selected(window) == 255).all()  # select all is back
    qtbot.waitUntil(lambda: ants.shown is doc.selection and ants.visible, timeout=10_000)
    window.undo()
    assert doc.selection is None
    qtbot.waitUntil(lambda: not ants.visible, timeout=10_000)
    window.redo()
    qtbot.waitUntil(lambda: ants.visible, timeout=10_000)
    assert ants.path.contains(QPointF(1, 1))


def test_grow_shrink_feather_opaque_and_tag(window, qtbot):
    editing = window.editing
    doc = window.session.document
    window.toolbox.activate("select-rect")
    box = drag_rect(window, qtbot, (60, 60), (100, 100))

    def radius(action, px):
        steps = doc.history.index
        editing.actions[action].trigger()
        dialog = editing.dialog
        assert dialog is not None and dialog.spin.minimum() == 1 and dialog.spin.maximum() == 512
        dialog.spin.setValue(px)
        dialog.accept()
        qtbot.waitUntil(lambda: doc.history.index == steps + 1, timeout=20_000)

    x0, y0, x1, y1 = box
    radius("grow", 5)
    values = selected(window)
    assert (values[y0 - 5 : y1 + 5, x0 : x1] == 255).all() and (values[y0 : y1, x0 - 5 : x1 + 5] == 255).all()
    assert values[y0 - 6, x0] == 0 and values[y0 - 4, x0 - 4] == 0  # a rounded corner
    radius("shrink", 5)
    assert np.array_equal(selected(window), box_mask(box))
    radius("feather", 4)
    values = selected(window)
    assert values[(y0 + y1) // 2, (x0 + x1) // 2] == 255 and 0 < values[y0, (x0 + x1) // 2] < 255
    assert editing.radius == {"grow": 5, "shrink": 5, "feather": 4}

    window.session.set_current(doc.find("shapes").uid)
    editing.actions["select-opaque"].trigger()
    assert np.array_equal(selected(window), np.maximum.reduce([box_mask(A), box_mask(B), box_mask(C)]))
    editing.tag_menu.aboutToShow.emit()
    tags = [action.text() for action in editing.tag_menu.actions()]
    assert tags == ["topwear", "back hair"]
    editing.tag_menu.actions()[1].trigger()
    assert (selected(window) == 255).all()  # the paper covers the canvas
    ops = [(op.action or op.shape) for op in doc.history.operations()[0]]
    assert ops == ["rect", "grow", "shrink", "feather", "layer-alpha", "tag"]


def test_menu_entries_are_enabled_when_they_can_run(window, qtbot):
    actions = window.editing.actions
    assert actions["select-all"].isEnabled() and not actions["deselect"].isEnabled()
    assert not actions["delete"].isEnabled() and not actions["grow"].isEnabled()
    actions["select-all"].trigger()
    assert actions["deselect"].isEnabled() and actions["delete"].isEnabled() and actions["restore"].isEnabled()
    window.tabs.setCurrentWidget(window.workspaces["annotate"])  # no document canvas there: the keys do nothing
    assert not actions["select-all"].isEnabled() and not actions["delete"].isEnabled()
    window.tabs.setCurrentWidget(window.workspaces["stratify"])
    assert actions["delete"].isEnabled()


def test_quick_wand_clicks_each_count(window, qtbot, monkeypatch):
    """Clicks faster than the wand is computed wait for each other (each is planned on what the one before left),
    instead of being refused as stale."""
    from seethrough.app import errors

    monkeypatch.setattr(errors, "last_message", "")
    tool = window.toolbox.activate("select-wand")
    tool.tolerance.setValue(10)
    doc = window.session.document
    click(window.canvas, 40, 40)
    click(window.canvas, 100, 50, SHIFT)
    click(window.canvas, 180, 120, SHIFT)
    assert doc.history.index < 3  # the first is still being computed
    qtbot.waitUntil(lambda: doc.history.index == 3 and not tool.queue.busy, timeout=30_000)
    assert np.array_equal(selected(window), np.maximum.reduce([box_mask(A), box_mask(B), box_mask(C)]))
    assert errors.last_message == ""
