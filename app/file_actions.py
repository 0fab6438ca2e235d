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
from seethrough.app.session import DocumentSession
from seethrough.app.settings import Settings

log = logging.getLogger(__name__)

OPEN_FILTER = "Documents (*.stproj *.psd *.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
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
        from seethrough.core.io.open_any import open_document

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

        def failed(exc: BaseException) -> None:
            if self.session.document is None:  # nothing open yet (start-up): show the sample behind the message
                self.open_sample(asked=True)
            show_error(self.window, exc)

        self.jobs.submit(f"Open {path.name}", job, done, failed)

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

    def save_as(self, then: Callable[[], object] | None = None) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save project", "", "See-through project (*.stproj)")
        if chosen:
            self._write(Path(chosen) if chosen.endswith(".stproj") else Path(chosen + ".stproj"), "project", then)

    def export_psd(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export layered PSD", "", "Photoshop (*.psd)")
        if path:
            self._write(Path(path) if path.lower().endswith(".psd") else Path(path + ".psd"), "psd")

    def export_png_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export PNG layers into folder")
        if folder:
            self._write(Path(folder), "folder")

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
