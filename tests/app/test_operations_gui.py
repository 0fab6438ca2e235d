"""The GUI and the CLI perform the same operations: edits made through the widgets are recorded, exported as an
operation log (File ▸ Export Actions…) and replayed headless (`seethrough-gui apply`) to the same document, byte for
byte; the CLI's own subcommands give the same result as the GUI's buttons; and the widgets offer exactly the limits
the operations declare."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from seethrough.cli import run as cli_run
from seethrough.core.io.open_any import open_document
from seethrough.core.io.psd_export import export_psd
from seethrough.core.operations.params import param_named
from seethrough.core.operations.splits import Stratify
from tests.support.windows import main_window


@pytest.fixture()
def window(qtbot, tmp_path):
    with main_window(qtbot, tmp_path, tab="stratify") as w:
        yield w


def _psd_bytes(doc, folder, name) -> dict[str, bytes]:
    """The document as the PSD set a user exports (no uids in it: split layers get new ones every run), with the
    set's own file names (which the companion file records) made neutral."""
    written = export_psd(doc, folder / f"{name}.psd")
    # the companion file names the set's files; the PSDs' own bytes are compared as they are
    return {p.name.replace(name, "X"): p.read_bytes().replace(name.encode(), b"X") if p.suffix == ".json"
            else p.read_bytes() for p in written}


def _select(window, name) -> None:
    window.session.set_current(window.session.document.find(name).uid)


def _stratify_through_the_widgets(window, qtbot, name: str, k: int) -> None:
    stratify = window.workspaces["stratify"]
    _select(window, name)
    stratify.k_spin.setValue(k)
    qtbot.waitUntil(lambda: stratify.view is not None and stratify.view.layer is window.session.current_layer
                    and len(stratify.thresholds) == k - 1, timeout=30_000)
    count = len(window.session.document.layers)
    stratify.apply_button.click()
    qtbot.waitUntil(lambda: len(window.session.document.layers) > count, timeout=60_000)


def test_a_session_of_gui_edits_replays_headless_to_the_same_document(window, qtbot, tmp_path):
    doc = window.session.document
    _stratify_through_the_widgets(window, qtbot, "front hair", 2)
    stratify = window.workspaces["stratify"]
    _select(window, "handwear")
    qtbot.waitUntil(lambda: stratify.lr_button.isEnabled(), timeout=30_000)
    stratify.lr_button.click()
    qtbot.waitUntil(lambda: doc.find("handwear-r") is not None, timeout=60_000)
    model = window.layers_panel.model
    face_row = model.row_of(doc.find("face").uid)
    model.setData(model.index(face_row), "skin", Qt.ItemDataRole.EditRole)  # rename in place
    _select(window, "skin")
    properties = window.properties_panel
    properties.opacity.setValue(0.55)
    properties.opacity.editingFinished.emit()
    properties.depth_value.setValue(0.3)
    properties.depth_value.editingFinished.emit()
    _select(window, "nose")
    count = len(doc.layers)
    window.layers_panel.act("merge")
    qtbot.waitUntil(lambda: len(doc.layers) == count - 1, timeout=60_000)
    window.layers_panel.act("sort")

    log_path = tmp_path / "session.actions.json"
    assert window.files.write_actions(log_path) == []
    log = json.loads(log_path.read_text(encoding="utf-8"))
    assert [e["op"] for e in log["operations"]] == ["stratify", "lr-split", "rename", "opacity", "depth",
                                                    "merge-down", "sort-by-depth"]

    out = tmp_path / "replayed.stproj"
    assert cli_run(["apply", "sample", str(log_path), "-o", str(out)]) == 0
    replayed = open_document(out)
    assert _psd_bytes(replayed, tmp_path, "cli") == _psd_bytes(doc, tmp_path, "gui")


def test_the_cli_subcommands_give_the_guis_result(window, qtbot, tmp_path):
    _stratify_through_the_widgets(window, qtbot, "front hair", 3)
    out = tmp_path / "cli.stproj"
    assert cli_run(["stratify", "sample", "--tags", "front hair", "--k", "3", "-o", str(out)]) == 0
    assert _psd_bytes(open_document(out), tmp_path, "cli") == _psd_bytes(window.session.document, tmp_path, "gui")

    stratify = window.workspaces["stratify"]
    _select(window, "handwear")
    qtbot.waitUntil(lambda: stratify.lr_button.isEnabled(), timeout=30_000)
    stratify.lr_button.click()
    qtbot.waitUntil(lambda: window.session.document.find("handwear-r") is not None, timeout=60_000)
    both = tmp_path / "both.stproj"
    assert cli_run(["lrsplit", str(out), "--tags", "handwear", "-o", str(both)]) == 0
    assert _psd_bytes(open_document(both), tmp_path, "cli2") == _psd_bytes(window.session.document, tmp_path, "gui2")


def test_the_widgets_offer_the_declared_limits_and_both_refuse_one_past_them(window, capsys, tmp_path):
    stratify = window.workspaces["stratify"]
    k = param_named(Stratify, "k")
    assert (stratify.k_spin.minimum(), stratify.k_spin.maximum()) == (k.spec.lo, k.spec.hi)
    assert stratify.k_spin.value() == k.default
    assert [stratify.inpaint.itemText(i) for i in range(stratify.inpaint.count())] == list(k_choices())
    stratify.k_spin.setValue(int(k.spec.hi) + 1)  # the GUI cannot go past the limit
    assert stratify.k_spin.value() == k.spec.hi
    assert "between 2 and 8" in stratify.k_spin.toolTip()

    assert cli_run(["stratify", "sample", "--tags", "front hair", "--k", "8", "-o", str(tmp_path / "a.psd")]) == 0
    assert cli_run(["stratify", "sample", "--tags", "front hair", "--k", "9", "-o", str(tmp_path / "b.psd")]) == 2
    cli_message = capsys.readouterr().err.strip().removeprefix("seethrough-gui: ")
    with pytest.raises(Exception) as gui_refusal:
        Stratify(layer=window.session.current_uid, k=stratify.k_spin.value() + 1)
    assert cli_message == str(gui_refusal.value) == "k: 9 is out of range (must be between 2 and 8)"


def k_choices() -> tuple:
    return param_named(Stratify, "inpaint").choices or ()
