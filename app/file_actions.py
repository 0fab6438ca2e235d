"""Opening, saving and exporting documents from the GUI: dialogs, recent files, and the work in the job runner.

Reading and writing run off the UI thread (big PSDs take seconds); the document is replaced only when a read
succeeds, so a bad file leaves the open document as it was. Recent files live in QSettings.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from seethrough.app.errors import show_error
from seethrough.app.jobs import JobRunner
from seethrough.app.session import DocumentSession

log = logging.getLogger(__name__)

OPEN_FILTER = "Documents (*.stproj *.psd *.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
MAX_RECENT = 10


class FileActions(QObject):
    recent_changed = Signal()

    def __init__(self, session: DocumentSession, jobs: JobRunner, window: QWidget) -> None:
        super().__init__(window)
        self.session, self.jobs, self.window = session, jobs, window

    # --- recent files ---------------------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = QSettings().value("files/recent", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if p]

    def _remember(self, path: Path) -> None:
        items = [str(path), *(p for p in self.recent() if p != str(path))][:MAX_RECENT]
        QSettings().setValue("files/recent", items)
        QSettings().setValue("files/last", str(path))
        self.recent_changed.emit()

    # --- open ----------------------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open", "", OPEN_FILTER)
        if path:
            self.open(Path(path))

    def open(self, path: Path) -> None:
        from seethrough.core.io.open_any import open_document

        def job(progress, is_cancelled):  # noqa: ANN001, ANN202
            progress(0.1, f"reading {path.name}")
            return open_document(path)

        def done(doc) -> None:  # noqa: ANN001
            self.session.display_name = path.name
            self.session.set_document(doc, path if path.suffix.lower() == ".stproj" else None)
            self._remember(path)
            log.info("opened %s (%d layers)", path, len(doc.layers))

        def failed(exc: BaseException) -> None:
            if self.session.document is None:  # nothing open yet (start-up): show the sample behind the message
                self.open_sample()
            show_error(self.window, exc)

        self.jobs.submit(f"Open {path.name}", job, done, failed)

    def open_sample(self) -> None:
        from seethrough.core.sample import build_sample_document

        self.session.display_name = "sample"
        self.session.set_document(build_sample_document(), None)

    # --- save / export -------------------------------------------------------------------------------------------
    def save(self) -> None:
        if self.session.path is None:
            self.save_as()
        else:
            self._write(self.session.path, "project")

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project", "", "See-through project (*.stproj)")
        if path:
            path = Path(path) if path.endswith(".stproj") else Path(path + ".stproj")
            self._write(path, "project")

    def export_psd(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export layered PSD", "", "Photoshop (*.psd)")
        if path:
            self._write(Path(path) if path.lower().endswith(".psd") else Path(path + ".psd"), "psd")

    def export_png_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export PNG layers into folder")
        if folder:
            self._write(Path(folder), "folder")

    def _write(self, path: Path, kind: str) -> None:
        document = self.session.document
        if document is None:
            return
        doc = document.snapshot()  # the job writes exactly this, however the user edits meanwhile

        def job(progress, is_cancelled):  # noqa: ANN001, ANN202
            def report(done: int, total: int) -> None:
                progress(done / max(total, 1), f"writing {path.name}: {done}/{total}")

            cancel = is_cancelled  # the exporters raise Cancelled and leave nothing half-written

            if kind == "project":
                from seethrough.core.io.project import save_project

                save_project(doc, path)
            elif kind == "psd":
                from seethrough.core.io.psd_export import export_psd

                export_psd(doc, path, progress=report, cancel=cancel)
            else:
                from seethrough.core.io.psd_export import export_png_folder

                export_png_folder(doc, path, progress=report, cancel=cancel)
            return path

        def done(written: Path) -> None:
            if kind == "project":
                self.session.path = written
                document.history.mark_clean(doc)  # edits made while it was written stay unsaved
                self._remember(written)
            log.info("wrote %s", written)

        self.jobs.submit(f"Write {path.name}", job, done, lambda exc: show_error(self.window, exc))
