"""What the Edit menu and the canvas's context menu do with the selected pixels, through the real window: each
entry does what it says, as one undo step that undo takes back byte for byte; and the whole session (tools,
actions, masks, transforms) exported as an operation log replays headless to the same document."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QColorDialog

from seethrough.cli import run as cli_run
from seethrough.core.io.open_any import open_document
from seethrough.core.io.psd_export import export_psd
from tests.support.canvas_drags import drag
from tests.support.editing_doc import RED, box_mask, save_editing_document
from tests.support.editing_window import layer_on_canvas, open_editing_document, select_box
from tests.support.windows import main_window


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path) as w:
        open_editing_document(w, qtbot, tmp_path)
        yield w


def run_entry(window, qtbot, key: str, then=None) -> None:
    """Trigger an entry; wait for its one step (jobs included)."""
    doc = window.session.document
    steps = doc.history.index
    window.editing.actions[key].trigger()
    if then is not None:
        then()
    qtbot.waitUntil(lambda: doc.history.index == steps + 1, timeout=30_000)
    window.jobs.wait(10_000)
    assert doc.history.index == steps + 1


BOX = (30, 30, 100, 60)  # across A and B


def snapshot_pixels(window) -> dict[str, np.ndarray]:
    doc = window.session.document
    return {layer.name: layer.on_canvas(doc.size) for layer in doc.layers}


def test_delete_copy_cut_each_one_step(window, qtbot):
    doc = window.session.document
    select_box(window, qtbot, BOX)
    inside = box_mask(BOX) > 0
    shapes = layer_on_canvas(window, "shapes")

    before = snapshot_pixels(window)
    QTest.keyClick(window.canvas, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)  # copy to a new layer
    qtbot.waitUntil(lambda: doc.find("shapes selection") is not None, timeout=30_000)
    copy = layer_on_canvas(window, "shapes selection")
    assert np.array_equal(copy[inside], shapes[inside]) and (copy[~inside] == 0).all()
    assert np.array_equal(layer_on_canvas(window, "shapes"), shapes)
    new = doc.find("shapes selection")
    assert (new.tag, doc.index_of(new.uid)) == ("topwear", doc.index_of(doc.find("shapes").uid) + 1)
    assert new.depth is not None and np.allclose(new.depth, 0.3)
    window.undo()
    assert doc.find("shapes selection") is None and snapshot_pixels(window).keys() == before.keys()
    window.redo()

    window.session.set_current(doc.find("shapes").uid)
    run_entry(window, qtbot, "cut-new-layer")
    cut = doc.layers[doc.index_of(doc.find("shapes").uid) + 1]  # right above; the copy is above it
    assert cut.name == "shapes selection"
    assert np.array_equal(cut.on_canvas(doc.size)[inside], shapes[inside])
    remaining = layer_on_canvas(window, "shapes")
    assert (remaining[inside][:, 3] == 0).all() and np.array_equal(remaining[~inside], shapes[~inside])
    window.undo()
    assert np.array_equal(layer_on_canvas(window, "shapes"), shapes)
    window.redo()

    window.session.set_current(doc.find("paper").uid)
    paper = layer_on_canvas(window, "paper")
    window.canvas.setFocus()
    steps = doc.history.index
    QTest.keyClick(window.canvas, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: doc.history.index == steps + 1, timeout=30_000)
    erased = layer_on_canvas(window, "paper")
    assert (erased[inside][:, 3] == 0).all() and np.array_equal(erased[~inside], paper[~inside])
    window.undo()
    assert np.array_equal(layer_on_canvas(window, "paper"), paper)
    window.redo()
    ops = [(op.op, op.action, op.cut if op.op == "selection" else None) for op in doc.history.operations()[0]]
    assert ops == [("select", None, None), ("selection", "new-layer", False), ("selection", "new-layer", True),
                   ("selection", "delete", False)]


def test_move_to_an_existing_layer_and_to_a_new_one(window, qtbot):
    doc = window.session.document
    select_box(window, qtbot, BOX)
    inside = box_mask(BOX) > 0
    shapes, paper = layer_on_canvas(window, "shapes"), layer_on_canvas(window, "paper")
    editing = window.editing

    def move(choose) -> None:
        steps = doc.history.index
        editing.actions["move-to-layer"].trigger()
        dialog = editing.dialog
        assert dialog is not None
        choose(dialog)
        dialog.buttons.accepted.emit()
        qtbot.waitUntil(lambda: doc.history.index == steps + 1, timeout=30_000)

    def existing(dialog) -> None:
        assert [dialog.layer_box.itemText(i) for i in range(dialog.layer_box.count())] == ["paper"]
        dialog.existing.setChecked(True)

    move(existing)
    moved = layer_on_canvas(window, "paper")
    # "shapes" is above "paper": its pixels go over the paper's, and the picture does not change
    assert np.array_equal(moved[inside & (shapes[..., 3] == 255)], shapes[inside & (shapes[..., 3] == 255)])
    assert np.array_equal(moved[~inside], paper[~inside])
    assert (layer_on_canvas(window, "shapes")[inside][:, 3] == 0).all()
    assert np.allclose(doc.find("paper").depth[30:60, 30:100][shapes[30:60, 30:100, 3] == 255], 0.9)  # its depth
    window.undo()
    assert np.array_equal(layer_on_canvas(window, "paper"), paper)
    assert np.array_equal(layer_on_canvas(window, "shapes"), shapes)
    window.redo()

    window.undo()  # back to shapes whole, then into a new layer

    def new_layer(dialog) -> None:
        dialog.new.setChecked(True)
        dialog.name_edit.setText("paper")  # taken: refused in the dialog
        dialog.buttons.accepted.emit()
        assert dialog.isVisible() and "exists" in dialog.message.text()
        dialog.name_edit.setText("red part")

    move(new_layer)
    part = doc.find("red part")
    assert part is not None and part.tag == "topwear" and np.allclose(part.depth, 0.3)
    assert np.array_equal(part.on_canvas(doc.size)[inside], shapes[inside])


def test_fill_with_the_foreground_colour_or_a_chosen_one(window, qtbot):
    doc = window.session.document
    select_box(window, qtbot, BOX)
    inside = box_mask(BOX) > 0
    shapes = layer_on_canvas(window, "shapes")
    editing = window.editing
    editing.colour_source = lambda: QColor("#1040c0")  # what the brush's colour chips give
    run_entry(window, qtbot, "fill")
    filled = layer_on_canvas(window, "shapes")
    assert (filled[inside] == [0x10, 0x40, 0xC0, 255]).all() and np.array_equal(filled[~inside], shapes[~inside])
    assert doc.history.operations()[0][-1].color == "#1040c0"

    editing.colour_source = None  # no colour chips: a colour dialog asks

    def choose() -> None:
        dialog = editing.dialog
        assert isinstance(dialog, QColorDialog)
        dialog.setCurrentColor(QColor(0, 200, 100))
        dialog.accept()

    run_entry(window, qtbot, "fill", then=choose)
    assert (layer_on_canvas(window, "shapes")[inside] == [0, 200, 100, 255]).all()


def test_restore_inpaint_and_redecompose(window, qtbot):
    doc = window.session.document
    source = np.asarray(doc.source)
    hole = (40, 40, 50, 50)  # inside the red square A
    select_box(window, qtbot, hole)
    run_entry(window, qtbot, "delete")
    inside = box_mask(hole) > 0
    assert (layer_on_canvas(window, "shapes")[inside][:, 3] == 0).all()

    run_entry(window, qtbot, "restore")
    restored = layer_on_canvas(window, "shapes")
    assert np.array_equal(restored[inside], source[inside])  # the illustration's own pixels (the composite here)

    window.undo()  # the hole again, then invented from around it
    run_entry(window, qtbot, "inpaint")
    painted = layer_on_canvas(window, "shapes")[inside].astype(int)
    assert (painted[:, 3] == 255).all()
    assert (np.abs(painted[:, :3] - RED).max(axis=1) <= 2).all()  # red all around: red inside
    assert doc.history.operations()[0][-1].inpainter == "opencv"  # no LaMa here

    steps = doc.history.index
    window.editing.actions["redecompose"].trigger()
    assert window.session.region == hole and doc.history.index == steps
    assert window.host.active is window.workspaces["decompose"]


def test_canvas_context_menu_offers_the_actions(window, qtbot):
    select_box(window, qtbot, BOX)
    canvas = window.canvas
    canvas.customContextMenuRequested.emit(QPoint(20, 20))
    menu = window.editing.context_menu
    texts = [action.text() for action in menu.actions() if not action.isSeparator()]
    assert texts[:3] == ["Select All", "Deselect", "Invert Selection"]
    assert "Copy Selection to New Layer" in texts and "Inpaint Selection" in texts
    delete = next(action for action in menu.actions() if action.text() == "Delete Selected Pixels")
    assert delete.isEnabled()
    menu.close()


def _psd_bytes(doc, folder, name) -> dict[str, bytes]:
    written = export_psd(doc, folder / f"{name}.psd")
    return {p.name.replace(name, "X"): p.read_bytes().replace(name.encode(), b"X") for p in written}


def test_the_session_replays_headless_to_the_same_document(window, qtbot, tmp_path):
    """Selections by several tools and modifiers, actions, a mask and a transform of a selection: File ▸ Export
    Actions, then `seethrough-gui apply` on the same file gives the same document (the same PSD bytes)."""
    from tests.support.canvas_drags import click

    doc = window.session.document
    editing = window.editing
    select_box(window, qtbot, (30, 30, 100, 60))
    window.toolbox.activate("select-ellipse")
    drag(window.canvas, [(120, 60), (210, 150)], Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: doc.history.index == 2, timeout=10_000)
    run_entry(window, qtbot, "copy-new-layer")
    window.session.set_current(doc.find("shapes").uid)
    wand = window.toolbox.activate("select-wand")
    wand.tolerance.setValue(25)
    click(window.canvas, 90, 40)
    qtbot.waitUntil(lambda: doc.history.index == 4, timeout=20_000)
    editing.colour_source = lambda: QColor(40, 40, 220)
    run_entry(window, qtbot, "fill")
    editing.actions["mask-add"].trigger()
    window.toolbox.activate("select-lasso")
    drag(window.canvas, [(100, 30), (130, 30), (130, 70), (100, 70)], Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: doc.history.index == 7, timeout=10_000)
    transform = window.toolbox.activate("transform")
    qtbot.waitUntil(lambda: transform.target is not None, timeout=10_000)
    transform.panel.tx.setValue(12)
    transform.panel.rotate.setValue(30)
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: doc.history.index == 8, timeout=30_000)

    log_path = tmp_path / "editing.actions.json"
    assert window.files.write_actions(log_path) == []
    log = json.loads(log_path.read_text(encoding="utf-8"))
    assert [(e["op"], e.get("shape") or e.get("action")) for e in log["operations"]] == [
        ("select", "rect"), ("select", "ellipse"), ("selection", "new-layer"), ("select", "wand"),
        ("selection", "fill"), ("mask", "add"), ("select", "polygon"), ("transform", None)]
    out = tmp_path / "replayed.stproj"
    assert cli_run(["apply", str(save_editing_document(tmp_path / "again")), str(log_path), "-o", str(out)]) == 0
    replayed = open_document(out)
    assert _psd_bytes(replayed, tmp_path, "cli") == _psd_bytes(doc, tmp_path, "gui")
