"""The brush on the real main window: real mouse, key and tablet events on the canvas paint, erase, restore, move
pixels, paint depth and masks; the dabs show before the release; a stroke is one undo step in the operation log that
replays headless to the same pixels; the keys and the options do what Krita's do."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication

from seethrough.cli import run as cli_run
from seethrough.core.compositing import composite
from seethrough.core.io.open_any import open_document
from seethrough.core.operations.editing import Stroke
from seethrough.core.operations.params import param_named
from tests.support.canvas_drags import move_held
from tests.support.windows import main_window

#: a path across the sample's lower face, where nothing above the face covers it (canvas pixels)
PATH = [(300.0, 456.0), (330.0, 462.0), (362.0, 466.0), (400.0, 466.0), (440.0, 461.0), (470.0, 454.0)]


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path, size=(1600, 1000), tab="stratify") as w:
        qtbot.waitUntil(lambda: w.canvas.last_image is not None, timeout=30_000)
        w.canvas.setFocus()
        yield w


def _brush(window, qtbot):
    qtbot.keyClick(window.canvas, Qt.Key.Key_B)  # the tool bar's shortcut
    tool = window.toolbox.active
    assert tool is window.toolbox.tools["brush"]
    return tool


def _view(canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def _drag(qtbot, canvas, path, modifiers=Qt.KeyboardModifier.NoModifier, midway=None) -> None:
    """Press, move along `path`, release (the mouse: pressure 1); `midway()` runs before the release."""
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, _view(canvas, *path[0]))
    for x, y in path[1:]:
        qtbot.mouseMove(viewport, _view(canvas, x, y))
    if midway is not None:
        midway()
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, _view(canvas, *path[-1]))


def _settle(window, qtbot) -> None:
    """Wait until every stroke has committed and the canvas shows the document."""
    qtbot.waitUntil(lambda: not window.canvas.live.busy, timeout=30_000)
    window.jobs.wait(30_000)
    qtbot.waitUntil(lambda: not window.jobs.busy_any, timeout=30_000)


def _last_stroke(window) -> Stroke:
    ops, _ = window.session.document.history.operations()
    assert isinstance(ops[-1], Stroke)
    return ops[-1]


def _distance_to_path(points, shape) -> np.ndarray:
    """Each canvas pixel centre's distance to the polyline through `points`."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32) + 0.5
    best = np.full(shape, np.inf, np.float32)
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        dx, dy = bx - ax, by - ay
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        best = np.minimum(best, np.hypot(xs - (ax + t * dx), ys - (ay + t * dy)))
    return best


def _on_path(points, step: float = 4.0) -> list[tuple[int, int]]:
    """Pixels on the polyline, every `step` px."""
    out = []
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        n = max(1, int(np.hypot(bx - ax, by - ay) / step))
        out += [(int(ax + (bx - ax) * i / n), int(ay + (by - ay) * i / n)) for i in range(n)]
    return out


def test_a_drag_on_a_new_layer_paints_live_along_the_path_as_one_step_that_replays_headless(window, qtbot, tmp_path):
    doc = window.session.document
    face = doc.find("face")
    window.session.set_current(face.uid)
    window.actions_by_name["New Layer"].trigger()  # Layer ▸ New Layer (Ctrl+Shift+N)
    layer = window.session.current_layer
    assert layer.name == "Layer 1" and layer.is_empty
    assert doc.index_of(layer.uid) == doc.index_of(face.uid) + 1  # above the current layer
    tool = _brush(window, qtbot)
    tool.panel.colours.set_foreground(tool.panel.colours.foreground.fromRgb(230, 40, 30))
    tool.set_size(16)
    steps = doc.history.index
    canvas = window.canvas
    x0, y0 = int(min(p[0] for p in PATH)) - 20, int(min(p[1] for p in PATH)) - 20
    box = (x0, y0, int(max(p[0] for p in PATH)) + 20, int(max(p[1] for p in PATH)) + 20)
    before_on_screen = canvas.displayed_rgba(box)

    def shown_before_the_release() -> None:  # the live preview: the dabs are on screen, nothing is committed
        qtbot.waitUntil(lambda: not canvas.live._dirty, timeout=10_000)
        shown = canvas.displayed_rgba(box)
        for x, y in _on_path(PATH):
            assert tuple(shown[y - y0, x - x0]) == (230, 40, 30, 255)
        assert doc.history.index == steps and doc.layer(layer.uid).is_empty

    _drag(qtbot, canvas, PATH, midway=shown_before_the_release)
    _settle(window, qtbot)
    assert doc.history.index == steps + 1 and doc.history.undo_text == "Brush stroke"
    painted = doc.layer(layer.uid)
    stroke = _last_stroke(window)
    assert all(len(p) == 3 and p[2] == 1.0 for p in stroke.points)  # the mouse: pressure 1
    alpha = painted.on_canvas(doc.size)[..., 3]
    distance = _distance_to_path([p[:2] for p in stroke.points], alpha.shape)
    assert (alpha[distance <= 5] == 255).all()  # under the path
    assert not alpha[distance >= 16 / 2 + 1.5].any()  # and nowhere else
    assert np.array_equal(canvas.displayed_rgba(box)[..., 3], before_on_screen[..., 3])  # the face was opaque there

    log = tmp_path / "paint.actions.json"
    assert window.files.write_actions(log) == []
    entries = json.loads(log.read_text(encoding="utf-8"))["operations"]
    assert [e["op"] for e in entries] == ["new-layer", "stroke"]
    assert entries[1]["layer"] == "Layer 1" and entries[1]["color"] == "#e6281e" and entries[1]["size"] == 16
    out = tmp_path / "replayed.stproj"
    assert cli_run(["apply", "sample", str(log), "-o", str(out)]) == 0
    assert np.array_equal(open_document(out).find("Layer 1").on_canvas(doc.size), painted.on_canvas(doc.size))

    window.undo()  # one step takes the whole stroke back
    assert doc.layer(layer.uid).is_empty
    qtbot.waitUntil(lambda: tuple(canvas.displayed_rgba(box)[466 - y0, 400 - x0]) != (230, 40, 30, 255),
                    timeout=30_000)


def test_e_toggles_the_eraser_and_erasing_lowers_alpha(window, qtbot):
    doc = window.session.document
    face = doc.find("face")
    window.session.set_current(face.uid)
    tool = _brush(window, qtbot)
    qtbot.keyClick(window.canvas, Qt.Key.Key_E)
    assert tool.mode == "erase"
    before = face.on_canvas(doc.size)
    _drag(qtbot, window.canvas, PATH)
    _settle(window, qtbot)
    after = doc.layer(face.uid).on_canvas(doc.size)
    for x, y in _on_path(PATH):
        assert before[y, x, 3] == 255 and after[y, x, 3] == 0
    assert (after[..., 3] <= before[..., 3]).all() and np.array_equal(after[..., :3], before[..., :3])
    assert window.session.document.history.undo_text == "Erase"
    qtbot.keyClick(window.canvas, Qt.Key.Key_E)
    assert tool.mode == "paint"


def test_restore_brings_back_the_illustrations_pixels(window, qtbot):
    doc = window.session.document
    face = doc.find("face")
    window.session.set_current(face.uid)
    tool = _brush(window, qtbot)
    tool.set_mode("erase")
    _drag(qtbot, window.canvas, PATH)
    tool.set_mode("restore")
    _drag(qtbot, window.canvas, PATH)
    _settle(window, qtbot)
    restored = doc.layer(face.uid).on_canvas(doc.size)
    for x, y in _on_path(PATH):
        assert tuple(restored[y, x]) == tuple(doc.source[y, x])
    assert [op.tool for op in doc.history.operations()[0][-2:]] == ["erase", "restore"]


def test_move_to_layer_moves_the_pixels_to_the_target(window, qtbot):
    doc = window.session.document
    face = doc.find("face")
    window.session.set_current(face.uid)
    window.layers_panel.buttons["new"].click()
    target = window.session.current_layer
    window.session.set_current(face.uid)
    tool = _brush(window, qtbot)
    tool.set_mode("move-to-layer")
    options = tool.panel
    assert options.target.isVisibleTo(options)
    options.target.setCurrentIndex(options.target.findData(target.uid))
    before = face.on_canvas(doc.size)
    _drag(qtbot, window.canvas, PATH)
    _settle(window, qtbot)
    source, joined = doc.layer(face.uid).on_canvas(doc.size), doc.layer(target.uid).on_canvas(doc.size)
    for x, y in _on_path(PATH):
        assert source[y, x, 3] == 0 and tuple(joined[y, x]) == tuple(before[y, x])
    left = (before[..., 3] > 0) & (source[..., 3] == 0)
    assert left.any() and np.array_equal(joined[left], before[left])  # every pixel that left is in the target
    assert _last_stroke(window).target == target.name


def test_depth_painting_changes_only_depth_and_the_depth_view_shows_it_live(window, qtbot):
    doc = window.session.document
    face = doc.find("face")
    window.session.set_current(face.uid)
    window.actions_by_name["Show Pseudo-depth"].trigger()
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.last_image is not None and canvas.last_image[..., 0].std() > 0 and
                    canvas.show_depth, timeout=30_000)
    window.jobs.wait(30_000)
    tool = _brush(window, qtbot)
    tool.set_mode("depth")
    assert tool.panel.value.isVisibleTo(tool.panel) and tool.panel.value_label.text() == "Depth"
    tool.panel.value.setValue(0.0)  # nearest: white in the depth view

    def white_under_the_path() -> None:
        qtbot.waitUntil(lambda: not canvas.live._dirty, timeout=10_000)
        for x, y in _on_path(PATH):
            assert tuple(canvas.displayed_rgba((x, y, x + 1, y + 1))[0, 0]) == (255, 255, 255, 255)

    _drag(qtbot, canvas, PATH, midway=white_under_the_path)
    _settle(window, qtbot)
    painted = doc.layer(face.uid)
    assert painted.pixels is face.pixels  # not one pixel changed
    depth = painted.depth_on_canvas(doc.size)
    old = face.depth_on_canvas(doc.size)
    for x, y in _on_path(PATH):
        assert depth[y, x] == 0.0 and old[y, x] > 0.0
    far = _distance_to_path(PATH, depth.shape) > 30
    assert np.array_equal(depth[far], old[far])


def test_m_paints_the_layer_mask_once_one_is_added(window, qtbot):
    doc = window.session.document
    face = doc.find("face")
    window.session.set_current(face.uid)
    tool = _brush(window, qtbot)
    qtbot.keyClick(window.canvas, Qt.Key.Key_M)
    assert tool.mode == "mask"
    options = tool.panel
    assert options.mask_row.isVisibleTo(options) and "no mask" in options.mask_note.text()
    steps = doc.history.index
    _drag(qtbot, window.canvas, PATH)  # refused before a dab: there is no mask yet
    _settle(window, qtbot)
    assert doc.history.index == steps
    options.add_mask.click()
    assert doc.layer(face.uid).layer_mask is not None and not options.mask_row.isVisibleTo(options)
    options.value.setValue(0.0)  # hide
    masked_before = doc.layer(face.uid)
    _drag(qtbot, window.canvas, PATH)
    _settle(window, qtbot)
    painted = doc.layer(face.uid)
    assert painted.pixels is masked_before.pixels and painted.depth_plane is masked_before.depth_plane
    mask = painted.layer_mask.over((0, 0, doc.width, doc.height))
    for x, y in _on_path(PATH):
        assert mask[y, x] == 0 and painted.shown_on_canvas(doc.size)[y, x, 3] == 0
    assert (mask[_distance_to_path(PATH, mask.shape) > 30] == 255).all()
    assert doc.history.undo_text == "Paint layer mask"
    qtbot.keyClick(window.canvas, Qt.Key.Key_M)
    assert tool.mode == "paint"


def test_brackets_and_shift_drag_change_the_size_and_the_outline_follows(window, qtbot):
    tool = _brush(window, qtbot)
    canvas = window.canvas
    size = param_named(Stroke, "size")
    assert tool.size == size.default and tool.panel.brush_size.spin.maximum() == size.spec.hi
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert tool.size == pytest.approx(size.default * 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert tool.size == pytest.approx(size.default / 1.25, abs=0.05)
    qtbot.mouseMove(canvas.viewport(), _view(canvas, 200, 500))  # hover: the outline follows, at the size
    assert tool.outline.isVisible()
    assert abs(tool.outline.pos().x() - 200) < 2 and abs(tool.outline.pos().y() - 500) < 2
    assert tool.outline.diameter == pytest.approx(tool.size)
    steps = window.session.document.history.index
    start = tool.size
    a, b = _view(canvas, 200, 500), _view(canvas, 240, 500)
    _drag(qtbot, canvas, [canvas.mapToScene(a).toTuple(), canvas.mapToScene(b).toTuple()],
          Qt.KeyboardModifier.ShiftModifier)
    dx = canvas.mapToScene(b).x() - canvas.mapToScene(a).x()
    assert tool.size == pytest.approx(start + 2 * dx, abs=0.1) and tool.outline.diameter == pytest.approx(tool.size)
    _settle(window, qtbot)
    assert window.session.document.history.index == steps  # resizing painted nothing
    canvas.leaveEvent(QEvent(QEvent.Type.Leave))
    assert not tool.outline.isVisible()


def test_x_swaps_the_colours_and_ctrl_click_picks_the_composites(window, qtbot):
    tool = _brush(window, qtbot)
    chips = tool.panel.colours
    assert (chips.foreground.name(), chips.background.name()) == ("#000000", "#ffffff")
    qtbot.keyClick(window.canvas, Qt.Key.Key_X)
    assert (chips.foreground.name(), chips.background.name()) == ("#ffffff", "#000000")
    doc = window.session.document
    steps = doc.history.index
    x, y = 372, 466
    point = window.canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, point)
    picked = window.canvas.mapToScene(point)
    r, g, b, _a = composite(doc)[int(picked.y()), int(picked.x())]
    assert chips.foreground.getRgb()[:3] == (r, g, b) and chips.foreground.name() != "#ffffff"
    assert doc.history.index == steps  # picking paints nothing


def _tablet(canvas, kind: QEvent.Type, x: float, y: float, pressure: float) -> None:
    pen = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)
    pos = QPointF(_view(canvas, x, y))
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
    event = QTabletEvent(kind, pen, pos, QPointF(canvas.viewport().mapToGlobal(pos)), pressure, 0.0, 0.0, 0.0, 0.0,
                         0.0, Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, buttons)
    QApplication.sendEvent(canvas.viewport(), event)
    assert event.isAccepted()


def test_a_lighter_pen_makes_a_smaller_dab(window, qtbot):
    doc = window.session.document
    window.layers_panel.buttons["new"].click()
    layer = window.session.current_layer
    tool = _brush(window, qtbot)
    tool.set_size(40)
    assert tool.panel.pressure_size.isChecked()  # the default: pressure drives the size
    for x, pressure in ((200.0, 0.3), (400.0, 1.0)):
        _tablet(window.canvas, QEvent.Type.TabletPress, x, 600.0, pressure)
        _tablet(window.canvas, QEvent.Type.TabletRelease, x, 600.0, pressure)
        _settle(window, qtbot)
    alpha = doc.layer(layer.uid).on_canvas(doc.size)[..., 3]
    light, firm = (alpha[:, :300] > 0).sum(), (alpha[:, 300:] > 0).sum()
    assert 0 < light < 0.2 * firm  # 0.3² of the area, give or take the rim
    assert [op.points[0][2] for op in doc.history.operations()[0][-2:]] == pytest.approx([0.3, 1.0])


def test_the_pressure_curve_is_edited_by_dragging_and_drives_the_stroke(window, qtbot):
    tool = _brush(window, qtbot)
    options = tool.panel
    default = param_named(Stroke, "pressure_curve").default
    assert options.params("x", (0, 0, 1)).pressure_curve == default
    options.presets.setCurrentText("Soft")
    options.presets.activated.emit(options.presets.currentIndex())
    soft = options.curve.curve()
    assert soft != default and options.params("x", (0, 0, 1)).pressure_curve == soft
    editor = options.curve
    middle = editor.to_widget(soft[1]).toPoint()
    qtbot.mousePress(editor, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.mouseMove(editor, middle + QPoint(0, 20))
    qtbot.mouseRelease(editor, Qt.MouseButton.LeftButton, pos=middle + QPoint(0, 20))
    dragged = options.params("x", (0, 0, 1)).pressure_curve
    assert dragged[1][1] < soft[1][1] and dragged[0] == soft[0] and dragged[-1] == soft[-1]
    qtbot.mouseDClick(editor, Qt.MouseButton.LeftButton, pos=editor.to_widget(dragged[1]).toPoint())
    assert len(options.curve.curve()) == len(dragged) - 1


def test_the_options_follow_the_operations_declaration_and_fit(window, qtbot, screens):
    tool = _brush(window, qtbot)
    options = tool.panel
    for name, widget in (("size", options.brush_size), ("hardness", options.hardness), ("opacity", options.opacity),
                         ("flow", options.flow), ("spacing", options.spacing), ("smoothing", options.smoothing),
                         ("value", options.value)):
        p = param_named(Stroke, name)
        assert (widget.minimum(), widget.maximum(), widget.value()) == (p.spec.lo, p.spec.hi, p.default)
        assert p.spec.help in widget.toolTip()
    assert [options.mode.itemText(i) for i in range(options.mode.count())] == list(param_named(Stroke, "tool").choices)
    dock = window.docks["Tool Options"]
    dock.show()
    dock.raise_()
    for mode in ("move-to-layer", "mask", "depth", "paint"):
        tool.set_mode(mode)
        qtbot.wait(50)
        assert dock.grab().save(str(screens / f"brush-options-{mode}.png"))
        assert options.grab().save(str(screens / f"brush-options-{mode}-whole.png"))
    shown = [w for w in options.findChildren(type(options.brush_size)) if w.isVisibleTo(options)]
    assert shown and all(w.width() >= 120 for w in shown)  # nothing squeezed
    assert window.grab().save(str(screens / "brush.png"))


def test_strokes_in_quick_succession_all_land_and_a_composite_mid_stroke_keeps_the_dabs(window, qtbot):
    doc = window.session.document
    window.layers_panel.new_layer()
    layer = window.session.current_layer
    tool = _brush(window, qtbot)
    tool.panel.colours.set_foreground(tool.panel.colours.foreground.fromRgb(20, 200, 90))
    canvas = window.canvas
    steps = doc.history.index
    first = [(300.0, 200.0), (360.0, 210.0)]
    second = [(300.0, 600.0), (360.0, 610.0)]
    _drag(qtbot, canvas, first)  # released: its commit is queued ...

    def composite_lands_mid_stroke() -> None:  # ... while the second is drawn and a whole composite lands
        rendered = []
        canvas.rendered.connect(lambda: rendered.append(True))
        canvas.render_now()
        qtbot.waitUntil(lambda: bool(rendered), timeout=30_000)
        qtbot.waitUntil(lambda: not canvas.live._dirty, timeout=10_000)
        for x, y in (first[0], second[0]):
            assert tuple(canvas.displayed_rgba((int(x), int(y), int(x) + 1, int(y) + 1))[0, 0]) == (20, 200, 90, 255)

    _drag(qtbot, canvas, second, midway=composite_lands_mid_stroke)
    _settle(window, qtbot)
    assert doc.history.index == steps + 2  # two strokes, two steps, neither refused as stale
    alpha = doc.layer(layer.uid).on_canvas(doc.size)[..., 3]
    assert alpha[200, 330] == 255 and alpha[605, 330] == 255


def test_space_drag_pans_the_view_and_paints_nothing(window, qtbot):
    tool = _brush(window, qtbot)
    canvas = window.canvas
    canvas.actual_size()
    canvas.set_zoom(3.0)  # the document is larger than the view: there is room to pan
    qtbot.wait(20)
    assert canvas.horizontalScrollBar().maximum() > 100 and canvas.verticalScrollBar().maximum() > 100
    doc = window.session.document
    steps = doc.history.index
    scroll = (canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value())
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    assert canvas.viewport().cursor().shape() == Qt.CursorShape.OpenHandCursor
    viewport, centre = canvas.viewport(), canvas.viewport().rect().center()
    hand = [centre, centre - QPoint(20, 15), centre - QPoint(40, 30)]  # screen points: the view moves under them
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, hand[0])
    for at in hand[1:]:
        move_held(viewport, at)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, hand[-1])
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    _settle(window, qtbot)
    moved = (canvas.horizontalScrollBar().value() - scroll[0], canvas.verticalScrollBar().value() - scroll[1])
    assert moved == (40, 30)  # the view followed the hand: dragged up-left by (40, 30), it scrolled by as much
    assert doc.history.index == steps  # and the brush painted nothing
    assert canvas.viewport().cursor().shape() == tool.cursor().shape()  # the brush is back
