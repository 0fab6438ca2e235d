"""Opening, saving and exporting documents from the GUI: dialogs, recent files, the "Save changes?" guard, and the
work in the job system.

Reading and writing run off the UI thread (big PSDs take seconds); the document is replaced only when a read
succeeds, so a bad file leaves the open document as it was. A save writes exactly the snapshot taken when it was
asked for, and marks *that snapshot* clean: edits made while the file is written stay unsaved. Anything that would
drop unsaved edits (open, open sample, quit) asks Save / Discard / Cancel first (`maybe_save`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from seethrough.app import settings as keys
from seethrough.app.errors import show_error
from seethrough.app.jobs import JobManager
from seethrough.app.prompts import SaveAnswer, SaveChangesPrompt
from seethrough.app.save_names import suggested_path
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings
from seethrough.core.io.formats import open_filter

log = logging.getLogger(__name__)

OPEN_FILTER = open_filter()
MAX_RECENT = 10


class FileActions(QObject):
    recent_changed = Signal()
    #: a project file was written (path): the autosave of the document can go
    saved = Signal(object)

    def __init__(self, session: DocumentSession, jobs: JobManager, window: QWidget) -> None:
        super().__init__(window)
        self.session, self.jobs, self.window = session, jobs, window

    # --- recent files ---------------------------------------------------------------------------------------
    def recent(self) -> list[str]:
        return Settings().get(keys.RECENT_FILES)

    def _remember(self, path: Path) -> None:
        settings = Settings()
        items = [str(path), *(p for p in self.recent() if p != str(path))][:MAX_RECENT]
        settings.set(keys.RECENT_FILES, items)
        settings.set(keys.LAST_FILE, str(path))
        self.recent_changed.emit()

    # --- the guard --------------------------------------------------------------------------------------------
    def maybe_save(self, action: str, then: Callable[[], object]) -> bool:
        """True when the open document may be dropped now (nothing unsaved, or the user said Discard). On Save,
        the save starts and `then()` runs once it succeeded; on Cancel nothing happens. Both return False."""
        if not self.session.is_dirty:
            return True
        answer = SaveChangesPrompt.ask(self.window, self.session.display_name or "untitled", action)
        if answer is SaveAnswer.DISCARD:
            return True
        if answer is SaveAnswer.SAVE:
            self.save(then=then)
        return False

    # --- open ----------------------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        if not self.maybe_save("open another document", self.open_dialog):
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open", "", OPEN_FILTER)
        if path:
            self.open(Path(path), asked=True)

    def open(self, path: Path, asked: bool = False) -> None:
        """Open any file the format registry knows: a layer document replaces the open one (after asking about
        unsaved edits), a Live2D model opens in Annotate (the document is left alone)."""
        from seethrough.core.errors import SeeThroughError
        from seethrough.core.io.formats import format_for_reading
        from seethrough.core.io.open_any import open_document

        try:
            opens = format_for_reading(path).opens
        except SeeThroughError as exc:
            self._failed_to_open(exc)
            return
        if opens == "live2d":
            if self.session.document is None:  # start-up on a model: the other workspaces show the sample
                self.open_sample(asked=True)
            self._remember(path)
            self.session.model_requested.emit(path)
            return
        if not asked and not self.maybe_save(f"open {path.name}", lambda: self.open(path, asked=True)):
            return

        def job(progress, is_cancelled):  # noqa: ANN001
            progress(0.1, f"reading {path.name}")
            return open_document(path)

        def done(doc) -> None:  # noqa: ANN001
            self.session.display_name = path.name
            self.session.set_document(doc, path if path.suffix.lower() == ".stproj" else None)
            self._remember(path)
            log.info("opened %s (%d layers)", path, len(doc.layers))

        self.jobs.submit(f"Open {path.name}", job, done, self._failed_to_open)

    def _failed_to_open(self, exc: BaseException) -> None:
        if self.session.document is None:  # nothing open yet (start-up): show the sample behind the message
            self.open_sample(asked=True)
        show_error(self.window, exc)

    def open_sample(self, asked: bool = False) -> None:
        from seethrough.core.sample import build_sample_document

        if not asked and not self.maybe_save("open the sample", lambda: self.open_sample(asked=True)):
            return
        self.session.display_name = "sample"
        self.session.set_document(build_sample_document(), None)

    # --- save / export -------------------------------------------------------------------------------------------
    def save(self, then: Callable[[], object] | None = None) -> None:
        if self.session.path is None:
            self.save_as(then)
        else:
            self._write(self.session.path, "project", then)

    def suggested(self, suffix: str) -> str:
        """A file name for a save or export dialog: the document's name with `suffix`, beside the file it came
        from (or in the last folder used)."""
        return str(suggested_path(self.session.display_name, suffix, beside=self.session.path))

    def save_as(self, then: Callable[[], object] | None = None) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save project", self.suggested(".stproj"),
                                                "See-through project (*.stproj)")
        if chosen:
            self._write(Path(chosen) if chosen.endswith(".stproj") else Path(chosen + ".stproj"), "project", then)

    def export_psd(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export layered PSD", self.suggested(".psd"),
                                              "Photoshop (*.psd)")
        if path:
            self._write(Path(path) if path.lower().endswith(".psd") else Path(path + ".psd"), "psd")

    def export_png_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export PNG layers into folder",
                                                  str(Path(self.suggested("")).parent))
        if folder:
            self._write(Path(folder), "folder")

    def export_actions(self) -> None:
        """Write the operations done so far as an operation log (`seethrough-gui apply` replays it)."""
        if self.session.document is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export actions", self.suggested(".actions.json"),
                                              "Operation log (*.json)")
        if path:
            self.write_actions(Path(path) if path.lower().endswith(".json") else Path(path + ".json"))

    def write_actions(self, path: Path) -> list[str]:
        """Write the open document's operation log to `path` (atomically); the warnings are shown and returned."""
        from PySide6.QtWidgets import QMessageBox

        from seethrough.core.io.atomic import atomic_write_bytes
        from seethrough.core.io.safe_json import dumps
        from seethrough.core.operations import history_log

        assert self.session.document is not None
        log_json, warnings = history_log(self.session.document.history)
        try:
            atomic_write_bytes(path, (dumps(log_json) + "\n").encode("utf-8"))
        except OSError as exc:
            show_error(self.window, exc)
            return warnings
        count = len(log_json["operations"])
        text = f"{count} operation{'s' if count != 1 else ''} written to {path.name}."
        if warnings:
            box = QMessageBox(QMessageBox.Icon.Information, "Actions exported", text, QMessageBox.StandardButton.Ok,
                              self.window)
            box.setInformativeText("Not in the log:\n" + "\n".join(warnings))
            box.open()
        self.session.notice.emit(text)
        return warnings

    def _write(self, path: Path, kind: str, then: Callable[[], object] | None = None) -> None:
        if self.session.document is None:
            return
        snapshot = self.session.snapshot()  # the job writes exactly this, whatever is edited meanwhile

        def job(progress, is_cancelled):  # noqa: ANN001
            def report(done: int, total: int) -> None:
                progress(done / max(total, 1), f"writing {path.name}: {done}/{total}")

            progress(0.0, f"writing {path.name}")
            if kind == "project":
                from seethrough.core.io.project import save_project

                save_project(snapshot, path)
            elif kind == "psd":
                from seethrough.core.io.psd_export import export_psd

                export_psd(snapshot, path, progress=report, cancel=is_cancelled)
            else:
                from seethrough.core.io.psd_export import export_png_folder

                export_png_folder(snapshot, path, progress=report, cancel=is_cancelled)
            return path

        def done(written: Path) -> None:
            if kind == "project":
                self.session.mark_saved(snapshot, written)
                self._remember(written)
                self.saved.emit(written)
            log.info("wrote %s", written)
            if then is not None:
                then()

        self.jobs.submit(f"Write {path.name}", job, done, lambda exc: show_error(self.window, exc))
