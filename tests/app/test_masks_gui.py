"""Layer masks from the Layer menu, through the real window: add (from the selection), disable and enable, apply,
delete, each one undo step; the Layers panel shows the mask and whether it is in force; M switches the brush to
painting the mask (`session.edit_mask`) only while the current layer has one."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from seethrough.app.panels.layers_panel import MASK_THUMB, THUMB, thumbnail
from tests.support.editing_doc import A, box_mask
from tests.support.editing_window import open_editing_document, select_box
from tests.support.windows import main_window


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path) as w:
        open_editing_document(w, qtbot, tmp_path)
        yield w


def row_text(window, name: str) -> str:
    model = window.layers_panel.model
    doc = window.session.document
    return model.data(model.index(model.row_of(doc.find(name).uid)), Qt.ItemDataRole.DisplayRole)


def corner(pixmap) -> np.ndarray:
    """The mask badge's corner of a layer thumbnail, as RGBA."""
    image = pixmap.toImage().convertToFormat(pixmap.toImage().Format.Format_RGBA8888)
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    x = 6 + THUMB - MASK_THUMB
    return raw[THUMB - MASK_THUMB : THUMB, x : x + MASK_THUMB].copy()


def trigger(window, key: str) -> None:
    doc = window.session.document
    steps = doc.history.index
    window.editing.actions[key].trigger()
    assert doc.history.index == steps + 1


def test_add_disable_enable_apply_delete_from_the_layer_menu(window, qtbot):
    doc = window.session.document
    actions = window.editing.actions
    shapes = doc.find("shapes")
    assert actions["mask-add"].isEnabled() and not actions["mask-apply"].isEnabled()
    plain = corner(thumbnail(shapes))
    select_box(window, qtbot, A)  # only the square A will show
    trigger(window, "mask-add")
    shapes = doc.find("shapes")
    assert shapes.layer_mask is not None and shapes.layer_mask.enabled
    shown = shapes.shown_rgba[..., 3] > 0
    assert np.array_equal(np.pad(shown, ((20, 40), (20, 40))), box_mask(A) > 0)  # shapes' box is (20, 20)–(200, 140)
    assert row_text(window, "shapes").endswith("· mask")
    badge = corner(thumbnail(shapes))
    assert not np.array_equal(badge, plain)  # the mask's own thumbnail in the corner: white where A is
    assert not actions["mask-add"].isEnabled() and actions["mask-apply"].isEnabled()
    assert actions["mask-toggle"].text() == "Disable Mask"

    trigger(window, "mask-toggle")
    shapes = doc.find("shapes")
    assert not shapes.layer_mask.enabled and np.array_equal(shapes.shown_rgba, shapes.rgba)
    assert row_text(window, "shapes").endswith("· mask off")
    crossed = corner(thumbnail(shapes))
    assert not np.array_equal(crossed, badge) and (crossed[2, 2, :3] == [230, 40, 40]).all()  # crossed out in red
    assert actions["mask-toggle"].text() == "Enable Mask"
    trigger(window, "mask-toggle")
    assert doc.find("shapes").layer_mask.enabled

    pixels = doc.find("shapes").shown_rgba.copy()
    trigger(window, "mask-apply")
    shapes = doc.find("shapes")
    assert shapes.layer_mask is None and np.array_equal(shapes.rgba, pixels)
    assert "mask" not in row_text(window, "shapes")
    window.undo()
    assert doc.find("shapes").layer_mask is not None

    trigger(window, "mask-delete")
    shapes = doc.find("shapes")
    assert shapes.layer_mask is None and (shapes.rgba[..., 3] > 0).sum() > box_mask(A).astype(bool).sum()
    window.undo()
    assert doc.find("shapes").layer_mask is not None
    ops = [op.action for op in doc.history.operations()[0] if op.op == "mask"]
    assert ops == ["add", "disable", "enable"]


def test_m_edits_the_mask_only_while_the_layer_has_one(window, qtbot):
    session = window.session
    edit = window.editing.actions["mask-edit"]
    assert not edit.isEnabled()
    flips: list[bool] = []
    session.edit_mask_changed.connect(flips.append)
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_M)
    assert not session.edit_mask  # no mask: nothing to edit
    window.editing.actions["mask-add"].trigger()
    assert edit.isEnabled() and session.edit_mask and edit.isChecked()  # as in Krita, the new mask is painted
    QTest.keyClick(window.canvas, Qt.Key.Key_M)
    assert not session.edit_mask and not edit.isChecked()
    QTest.keyClick(window.canvas, Qt.Key.Key_M)
    assert session.edit_mask and edit.isChecked()
    session.set_current(session.document.find("paper").uid)  # no mask there
    assert not session.edit_mask and not edit.isEnabled() and not edit.isChecked()
    session.set_current(session.document.find("shapes").uid)
    assert not session.edit_mask  # it stays off until asked for again
    QTest.keyClick(window.canvas, Qt.Key.Key_M)
    assert session.edit_mask
    window.undo()  # the mask goes: so does editing it
    assert not session.edit_mask
    assert flips == [True, False, True, False, True, False]
