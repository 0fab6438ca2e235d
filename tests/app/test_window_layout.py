"""The window as a Krita user judges it: the canvas is the centre and fits the document when it opens, on the first
start and every start after (the last file is reopened), and after every workspace switch; the window never grows
past its screen (tests run on a 1600×1000 offscreen screen: tests/data/offscreen-screen.json); nothing overlaps and
nothing is clipped at 1280×800; each workspace keeps its own panel layout; the theme is dark unless asked."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMainWindow, QWidget

from seethrough.core.io.psd_export import export_psd
from seethrough.core.paths import fixtures_dir
from seethrough.core.sample import build_sample_document

SMALL = (1280, 800)


def _start(qtbot, settings, open_path=None):
    from seethrough.app.application import create_main_window

    window = create_main_window(settings, open_path=open_path)
    window.show()
    qtbot.waitUntil(lambda: window.session.document is not None and window.canvas.last_image is not None,
                    timeout=60_000)
    return window


def _close(window, qtbot) -> None:
    window.jobs.wait(60_000)
    if "annotate" in window.workspaces:
        window.workspaces["annotate"].poser.wait(30_000)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible() and not window.jobs.threads_alive(), timeout=60_000)
    window.deleteLater()


def _screen(window) -> QRect:
    return window.screen().availableGeometry()


def _canvas_fits(window) -> bool:
    """The canvas widget takes the middle of the window and shows the whole document, as large as it fits."""
    canvas, doc = window.canvas, window.session.document
    view = canvas.viewport().rect()
    shown = canvas.mapFromScene(canvas.sceneRect()).boundingRect()
    whole = view.adjusted(-2, -2, 2, 2).contains(shown)
    large = shown.width() >= 0.8 * view.width() or shown.height() >= 0.8 * view.height()
    return (canvas.width() >= 0.35 * window.width() and canvas.height() >= 0.45 * window.height()
            and whole and large and doc is not None)


def test_starting_on_a_file_shows_the_whole_document_in_a_wide_canvas_every_time(qtbot, tmp_path):
    psd = tmp_path / "character.psd"
    export_psd(build_sample_document(), psd)
    settings = tmp_path / "settings" / "s.ini"
    for start in range(2):  # the first start, and the next one (the last file reopened, the layout restored)
        window = _start(qtbot, settings, open_path=psd if start == 0 else None)
        try:
            qtbot.waitUntil(lambda w=window: w.session.display_name == psd.name, timeout=60_000)
            qtbot.waitUntil(lambda w=window: _canvas_fits(w), timeout=30_000)
            assert window.frameGeometry().width() <= _screen(window).width()
        finally:
            _close(window, qtbot)


def _overlaps_and_clips(root: QWidget) -> list[str]:
    """Sibling widgets placed by the same layout that overlap, and widgets that stick out of their parent."""
    problems = []
    for parent in [root, *root.findChildren(QWidget)]:
        layout = parent.layout()
        if not parent.isVisible() or layout is None or isinstance(parent.parentWidget(), QAbstractScrollArea):
            continue
        children = [child for child in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                    if child.isVisible() and not child.isWindow() and layout.indexOf(child) >= 0
                    and not child.visibleRegion().isEmpty()]  # (a dock behind another's tab is placed off-window)
        for child in children:
            if not parent.rect().contains(child.geometry()):
                problems.append(f"{type(child).__name__} sticks out of {type(parent).__name__}")
        for i, a in enumerate(children):
            for b in children[i + 1:]:
                if a.geometry().intersects(b.geometry()):
                    problems.append(f"{type(a).__name__} overlaps {type(b).__name__} in {type(parent).__name__}")
    return problems


def test_every_workspace_fits_1280_by_800_without_overlaps(qtbot, tmp_path):
    window = _start(qtbot, tmp_path / "settings" / "s.ini")
    try:
        window.resize(*SMALL)
        for workspace in window.workspaces.values():
            window.tabs.setCurrentWidget(workspace)
            qtbot.wait(50)
            QApplication.processEvents()
            hint = window.minimumSizeHint()
            assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], (workspace.key, hint)
            assert (window.width(), window.height()) == SMALL, workspace.key  # nothing pushed the window
            assert _overlaps_and_clips(window) == [], workspace.key
            if workspace.shows_document:
                assert window.host.stack.currentWidget() is window.canvas
                qtbot.waitUntil(lambda: _canvas_fits(window), timeout=30_000)
    finally:
        _close(window, qtbot)


def _docks_cut_on_the_side(window) -> list[str]:
    """Visible docks whose content is wider than the dock shows (a panel to scroll sideways)."""
    cut = []
    for title, dock in window.docks.items():
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            area = dock.widget()
            if area.widget().minimumSizeHint().width() > area.viewport().width():
                cut.append(title)
    return cut


def test_no_panel_scrolls_sideways_and_the_histogram_fits_at_1440_by_900(qtbot, tmp_path):
    window = _start(qtbot, tmp_path / "settings" / "s.ini")
    try:
        window.resize(1440, 900)
        for workspace in window.workspaces.values():
            window.tabs.setCurrentWidget(workspace)
            qtbot.wait(50)
            QApplication.processEvents()
            assert _docks_cut_on_the_side(window) == [], workspace.key
            # the canvas's zoom and cursor position are in the status bar only where the canvas is
            assert window.zoom_label.isVisible() == window.cursor_label.isVisible() == workspace.shows_document
        plot = window.workspaces["stratify"].plot
        assert plot.plotItem.geometry().width() <= plot.viewport().width()  # the whole 0–1 depth axis shows
    finally:
        _close(window, qtbot)


def test_a_long_status_ends_in_an_ellipsis_and_shows_whole_on_hover(qtbot):
    from seethrough.app.elided_label import ElidedLabel

    label = ElidedLabel("Hiyori.model3.json: 133/134 ArtMeshes labelled, 1 selected, 2 model warnings")
    qtbot.addWidget(label)
    label.resize(600, 20)
    assert label.shown_text() == label.text()
    label.resize(120, 20)
    shown = label.shown_text()
    assert shown.endswith("…") and label.text().startswith(shown[:-1]) and len(shown) < len(label.text())
    assert label.fontMetrics().horizontalAdvance(shown) <= 120
    from PySide6.QtWidgets import QSizePolicy

    assert label.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Ignored  # the text never widens its row


@pytest.mark.skipif(not (fixtures_dir() / "Hiyori").is_dir(), reason="Live2D fixtures not found")
def test_opening_a_big_model_never_grows_the_window_past_the_screen(qtbot, tmp_path):
    shutil.copytree(fixtures_dir() / "Hiyori", tmp_path / "Hiyori")
    window = _start(qtbot, tmp_path / "settings" / "s.ini")
    try:
        area = _screen(window)
        window.resize(area.width() - 20, area.height() - 40)
        window.files.open(tmp_path / "Hiyori" / "Hiyori.model3.json")
        annotate = window.workspaces["annotate"]
        qtbot.waitUntil(lambda: annotate.state is not None and not window.jobs.busy, timeout=120_000)
        QApplication.processEvents()
        assert area.contains(window.frameGeometry()), (window.frameGeometry(), area)
    finally:
        _close(window, qtbot)


def test_each_workspace_keeps_its_own_panel_layout_across_restarts(qtbot, tmp_path):
    settings = tmp_path / "settings" / "s.ini"
    window = _start(qtbot, settings)
    try:
        stratify, preview = window.workspaces["stratify"], window.workspaces["preview"]
        window.tabs.setCurrentWidget(stratify)
        assert window.docks["Reconstruction"].isVisible()
        window.docks["Reconstruction"].close()
        window.tabs.setCurrentWidget(preview)
        assert not window.docks["Layers"].isVisible() or "Layers" in preview.shared_panels
        assert not window.docks["Depth Strata"].isVisible()  # another workspace's panel never shows here
        window.tabs.setCurrentWidget(stratify)
        assert not window.docks["Reconstruction"].isVisible()
    finally:
        _close(window, qtbot)
    window = _start(qtbot, settings)
    try:
        window.tabs.setCurrentWidget(window.workspaces["stratify"])
        assert not window.docks["Reconstruction"].isVisible()
        window.actions_by_name["Reset Layout"].trigger()
        assert window.docks["Reconstruction"].isVisible()
    finally:
        _close(window, qtbot)


def test_the_theme_is_dark_by_default_and_light_on_request(qtbot, tmp_path):
    window = _start(qtbot, tmp_path / "settings" / "s.ini")
    try:
        def lightness() -> int:
            return QApplication.palette().color(QPalette.ColorRole.Window).lightness()

        assert lightness() < 100
        window.set_theme("light")
        assert lightness() > 180
    finally:
        window.set_theme("dark")
        _close(window, qtbot)


def test_tools_have_icons_shortcuts_and_options(qtbot, tmp_path):
    window = _start(qtbot, tmp_path / "settings" / "s.ini")
    try:
        toolbox = window.toolbox
        for key, action in toolbox.actions.items():
            assert not action.icon().isNull() and action.toolTip(), key
        window.tabs.setCurrentWidget(window.workspaces["stratify"])
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, Qt.Key.Key_R)
        assert toolbox.active is toolbox.tools["region"]
        assert toolbox.options_panel.title.text() == "Region"
        for button in window.layers_panel.buttons.values():
            assert button.text() == "" and not button.icon().isNull() and button.toolTip()
        assert isinstance(window, QMainWindow)
    finally:
        _close(window, qtbot)


def test_view_zoom_acts_on_the_view_of_the_active_workspace(qtbot, tmp_path):
    window = _start(qtbot, tmp_path / "settings" / "s.ini")
    try:
        zoom_in = window.actions_by_name["Zoom In"]
        window.tabs.setCurrentWidget(window.workspaces["stratify"])
        before = window.canvas.zoom
        zoom_in.trigger()
        assert window.canvas.zoom > before and not window.canvas.fitting
        annotate = window.workspaces["annotate"]
        window.tabs.setCurrentWidget(annotate)
        document_zoom, annotate_zoom = window.canvas.zoom, annotate.canvas.transform().m11()
        zoom_in.trigger()
        assert annotate.canvas.transform().m11() > annotate_zoom and window.canvas.zoom == document_zoom
        window.tabs.setCurrentWidget(window.workspaces["train"])
        assert not zoom_in.isEnabled()  # nothing to zoom there
    finally:
        _close(window, qtbot)
