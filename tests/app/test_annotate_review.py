"""The review queue in Annotate on Mark, driven through its widgets: auto-label, the queue ordered by
(1 − confidence) × visible area, Enter accepts and moves on, a palette key fixes the current mesh, progress in
visible area, the seed map overlay (computed in the job runner), undo; screenshot (the `screens` fixture)."""

import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from seethrough.annotation.document import ChangeLabels
from seethrough.core.paths import fixtures_dir
from tests.support.windows import main_window

FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path, size=(1500, 1000), tab="annotate") as w:
        yield w


def test_review_queue_accept_fix_progress_and_seed_map(window, qtbot, tmp_path, screens):
    shutil.copytree(FIXTURES / "Mark", tmp_path / "Mark")
    ws = window.workspaces["annotate"]
    ws.open_model(tmp_path / "Mark" / "Mark.model3.json")
    qtbot.waitUntil(lambda: ws.state is not None and not window.jobs.busy, timeout=60_000)
    review = ws.review
    assert review.progress.text().startswith("0% of the visible area verified")
    assert len(review.items) == 30  # nothing labelled yet: every mesh, by visible area

    ws.auto_label()
    qtbot.waitUntil(lambda: not window.jobs.busy and ws.last_report is not None, timeout=60_000)
    items = review.items
    labels = ws.state.labels
    assert items and all(labels.confidence(it.id) is not None for it in items if it.tag)
    priorities = [it.priority for it in items]
    assert priorities == sorted(priorities, reverse=True)  # most uncertain visible area first
    top = items[0]
    assert top.priority == pytest.approx((1 - labels.confidence(top.id)) * review.areas[top.id])

    # Enter accepts the current mesh: it becomes a person's label, leaves the queue, the next one is selected
    review.list.setCurrentRow(0)
    assert ws.state.selected == [top.id]
    ws.canvas.setFocus()
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Return)
    labels = ws.state.labels  # labels are a value: each edit makes a new set
    assert labels.source(top.id) == "human" and labels.tag(top.id) == top.tag
    assert top.id not in [it.id for it in review.items]
    second = review.current()
    assert second is not None and ws.state.selected == [second.id]
    share = top.visible_area / sum(review.areas.values())
    assert review.progress_bar.value() == round(share * 1000)

    # the palette fixes the current mesh (number key 1 = the first tag of the page) and verifies it
    qtbot.keyClick(ws.canvas, Qt.Key.Key_1)
    first_tag = ws.tag_palette.tags[0]
    labels = ws.state.labels
    assert labels.tag(second.id) == first_tag and labels.source(second.id) == "human"
    assert second.id not in [it.id for it in review.items]

    # the seed map overlay is computed in the job runner and drawn over the model
    review.seed_box.setChecked(True)
    qtbot.waitUntil(lambda: not review.overlay_item.pixmap().isNull(), timeout=60_000)
    image = review.overlay_item.pixmap().toImage()
    assert (image.width(), image.height()) == (ws.state.frame.width, ws.state.frame.height)
    assert review.overlay_item.isVisible()
    review.list.setCurrentRow(0)
    assert ws.grab().save(str(screens / "annotate-review.png"))
    pixels = np.frombuffer(ws.grab().toImage().constBits(), np.uint8)
    assert pixels.std() > 10  # a real picture, not a blank widget

    # accepting everything left reaches 100 %
    while review.items:
        before = len(review.items)
        if review.current().tag is None:
            ws.assign("objects")
        else:
            review.accept_current()
        assert len(review.items) == before - 1
    assert review.progress.text().startswith("100% of the visible area verified")

    ws.undo()  # the last accept is one undo step: its mesh is back in the queue
    assert len(review.items) == 1


@pytest.mark.skipif(not (FIXTURES / "Wanko").is_dir(), reason="Wanko fixture absent")
def test_auto_label_leaves_effects_out_of_the_labels_and_the_queue(window, qtbot, tmp_path):
    shutil.copytree(FIXTURES / "Wanko", tmp_path / "Wanko")
    ws = window.workspaces["annotate"]
    ws.open_model(tmp_path / "Wanko" / "Wanko.model3.json")
    qtbot.waitUntil(lambda: ws.state is not None and not window.jobs.busy, timeout=60_000)
    document = ws.state.document  # an earlier run baked the effect in
    document.history.push(ChangeLabels(document.labels.changes({"D_EFFECT_03": ("objects", "no-evidence", 0.1)})))

    ws.auto_label()
    qtbot.waitUntil(lambda: not window.jobs.busy and ws.last_report is not None, timeout=60_000)
    report = ws.last_report
    assert report.excluded_reasons["D_EFFECT_03"] == "effect-name: D_EFFECT_03" and report.provider == "layout"
    labels = ws.state.labels
    assert labels.tag("D_EFFECT_03") is None  # cleared with the rest of the run
    assert "D_EFFECT_03" not in [it.id for it in ws.review.items]
    assert {labels.provider(m) for m in labels.entries if labels.source(m) != "human"} == {"layout"}
    assert ws.undo() and ws.state.labels.tag("D_EFFECT_03") == "objects"  # one undo step


def _click_canvas(ws, qtbot, mesh_id):
    """Click where `mesh_id` is the visible top-most fragment."""
    state = ws.state
    rank = [m.id for m in state.raster.order].index(mesh_id)
    ys, xs = np.nonzero(state.top_map() == rank)
    i = len(xs) // 2
    pos = ws.canvas.view_position(int(xs[i]), int(ys[i])).toPoint()
    qtbot.mouseClick(ws.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def _click_row(review, qtbot, row):
    rect = review.list.visualItemRect(review.list.item(row))
    qtbot.mouseClick(review.list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())


def _in_view(canvas) -> bool:
    """Whether the selection's outline lies (at least partly) in the canvas's viewport."""
    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    return seen.intersects(canvas.outline_item.path().boundingRect())


def test_the_current_item_is_the_mesh_shown_and_enter_accepts_only_that(window, qtbot, tmp_path):
    shutil.copytree(FIXTURES / "Mark", tmp_path / "Mark")
    ws = window.workspaces["annotate"]
    ws.open_model(tmp_path / "Mark" / "Mark.model3.json")
    qtbot.waitUntil(lambda: ws.state is not None and not window.jobs.busy, timeout=60_000)
    review, state = ws.review, ws.state
    # at open, the highlighted first item is the mesh selected on the canvas, drawn there as the selection
    first = review.items[0]
    assert review.current() == first and state.selected == [first.id]
    tint = ws.canvas.tint_item.pixmap().toImage().convertToFormat(QImage.Format.Format_RGBA8888)  # kept alive
    rows = np.frombuffer(tint.constBits(), np.uint8).reshape(tint.height(), tint.bytesPerLine())
    tinted = rows[:, : tint.width() * 4].reshape(tint.height(), tint.width(), 4)[..., 3] > 0
    mask = state.selection_mask(ws.canvas.see_through)
    assert mask.any() and np.array_equal(tinted, mask)

    ws.auto_label()
    qtbot.waitUntil(lambda: not window.jobs.busy and ws.last_report is not None, timeout=60_000)
    assert review.current() is not None and state.selected == [review.current().id]  # reordered, still shown

    # a click on another queued mesh on the canvas: the queue follows, that mesh is its current item
    other = next(it for it in review.items[1:] if it.tag is not None and it.id not in state.selected)
    _click_canvas(ws, qtbot, other.id)
    assert state.selected == [other.id] and review.current().id == other.id

    # the selection is not one queued mesh: no current item, and Enter first shows one before anything is accepted
    labels = ws.state.labels
    ws.select([review.items[0].id, review.items[1].id])
    assert review.current() is None
    ws.canvas.setFocus()
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Return)
    assert ws.state.labels == labels  # nothing accepted unseen
    shown = review.items[0]
    assert review.current() == shown and state.selected == [shown.id]
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Return)  # now it was seen: Enter accepts it, and the next one is shown
    assert ws.state.labels.source(shown.id) == "human" and shown.id not in [it.id for it in review.items]
    assert review.current() == review.items[0] and state.selected == [review.items[0].id]

    # keyboard navigation in the list shows each item it reaches
    review.list.setFocus()
    qtbot.keyClick(review.list, Qt.Key.Key_Down)
    assert review.list.currentRow() == 1 and state.selected == [review.items[1].id]

    # clicking the current item shows it again: zoomed in and scrolled away, the canvas goes back to it
    canvas = ws.canvas
    canvas.zoom(6)
    box = canvas.outline_item.path().boundingRect()
    far = state.frame.width if box.center().x() < state.frame.width / 2 else 0
    canvas.centerOn(far, state.frame.height if box.center().y() < state.frame.height / 2 else 0)
    assert not _in_view(canvas)
    _click_row(review, qtbot, 1)
    assert state.selected == [review.items[1].id] and _in_view(canvas)

    # after a click elsewhere on the canvas the highlight goes; clicking the row shows the item again
    ws.select([])
    assert review.current() is None
    _click_row(review, qtbot, 0)
    assert review.current() == review.items[0] and state.selected == [review.items[0].id]
