"""Make the README's screenshots from the real app: `python -m tests.support.readme_screenshots [--fixtures DIR]`.

The window is built as `seethrough-gui` builds it (`create_main_window`, on the built-in sample), at 1440×900, with
its settings, autosaves and label files in a scratch folder (a Live2D model is copied there first: labelling writes
a label file beside the model). It writes resources/screenshots/{stratify,editing,decompose,preview,train,annotate}.png.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "resources" / "screenshots"
SIZE = (1440, 900)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", type=Path, default=Path(os.environ.get("SEETHROUGH_FIXTURES",
                                                                             ROOT.parent / "shared/fixtures/live2d")))
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="seethrough-screens-"))
    os.environ["SEETHROUGH_HOME"] = str(scratch / "home")
    try:
        shoot(scratch, args.fixtures)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def shoot(scratch: Path, fixtures: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from seethrough.app.application import create_main_window
    from tests.support.stall import spin_until

    app = QApplication.instance() or QApplication([])
    window = create_main_window(settings_path=scratch / "settings.ini")
    window.resize(*SIZE)
    window.show()
    session = window.session
    spin_until(lambda: session.document is not None and window.canvas.last_image is not None, 120)

    def settle() -> None:
        spin_until(lambda: not window.jobs.busy_any, 300)
        for _ in range(20):
            app.processEvents()

    def wait_ms(ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def save(name: str) -> None:
        settle()
        OUT.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(OUT / f"{name}.png")):
            raise SystemExit(f"could not write {OUT / name}.png")
        print(OUT / f"{name}.png")

    # Stratify: the front hair's depth histogram and its two clusters, the canvas in the centre
    stratify = window.workspaces["stratify"]
    window.tabs.setCurrentWidget(stratify)
    session.set_current(session.require_document().find("front hair").uid)
    spin_until(lambda: len(stratify.thresholds) >= 1, 120)
    save("stratify")

    # Editing: a rectangle selection (marching ants) with the brush's options shown
    from tests.support.canvas_drags import drag

    doc = session.require_document()
    session.set_current(doc.find("front hair").uid)
    window.toolbox.activate("select-rect")
    x0, y0, x1, y1 = doc.find("front hair").bbox
    steps = doc.history.index
    drag(window.canvas, [(x0, y0), ((x0 + x1) // 2, (y0 + y1) // 2)])
    spin_until(lambda: doc.history.index == steps + 1, 30)
    window.toolbox.activate("brush")
    window.docks["Tool Options"].raise_()
    save("editing")
    window.docks["Depth Strata"].raise_()

    # Decompose: the input, the models box and what is missing
    decompose = window.workspaces["decompose"]
    window.tabs.setCurrentWidget(decompose)
    decompose.use_session_source()
    save("decompose")

    # Preview: the 2.5D view of the sample, swayed a little
    preview = window.workspaces["preview"]
    window.tabs.setCurrentWidget(preview)
    spin_until(lambda: not window.jobs.busy_any, 120)
    wait_ms(1500)  # a second and a half of motion
    save("preview")

    # Train: a short run of the tiny layer config on a tiny dataset, its loss curve drawn, then stopped
    from tests.support.tiny_dataset import write_dataset

    train = window.workspaces["train"]
    window.tabs.setCurrentWidget(train)
    train.dataset_edit.setText(str(write_dataset(scratch / "dataset", samples=4)))
    train._refresh_dataset()
    train.config_combo.setCurrentIndex(train.config_combo.findText("layers_stage1_tiny"))
    train.steps_spin.setValue(400)
    train.output_edit.setText(str(scratch / "run"))
    train.start()
    spin_until(lambda: curve_points(train) >= 40 or not train.process.is_running(), 600)
    save("train")
    train.stop()
    spin_until(lambda: not train.process.is_running(), 300)

    # Annotate: a Live2D model, auto-labelled, tag colours on
    model = fixtures / "Hiyori"
    if model.is_dir():
        copy = scratch / "Hiyori"
        shutil.copytree(model, copy)
        annotate = window.workspaces["annotate"]
        window.tabs.setCurrentWidget(annotate)
        annotate.open_model(copy / "Hiyori.model3.json")
        spin_until(lambda: annotate.state is not None, 300)
        settle()
        annotate.auto_label()
        spin_until(lambda: annotate.state is not None and annotate.state.labels.labelled() > 0, 300)
        save("annotate")
    else:
        print(f"no Live2D fixtures at {fixtures}: annotate.png not remade")
    # the selection made the document "modified": stop the jobs and leave without the Save/Discard question
    window.jobs.stopping()
    window.jobs.wait(60_000)


def curve_points(train) -> int:
    x, _ = train.loss_curve.getData()
    return 0 if x is None else len(x)


if __name__ == "__main__":
    main()
