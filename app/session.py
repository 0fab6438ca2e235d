"""The open document as the GUI sees it: one QObject that turns core document events into Qt signals.

Widgets never hold document state: they read `session.document` and change it only with
`session.push(command)`, which goes through the core history (and so through undo/redo).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from seethrough.core.commands import Command, ReplaceDocument
from seethrough.core.document import Document
from seethrough.core.errors import SeeThroughError


class DocumentSession(QObject):
    #: a new document was opened (or the current one closed: payload None)
    document_replaced = Signal(object)
    #: the layer stack changed (insert/remove/move/replace)
    layers_changed = Signal()
    #: one layer's properties or pixels changed (uid)
    layer_changed = Signal(str)
    #: the current layer changed (uid or "")
    current_layer_changed = Signal(str)
    #: undo/redo availability or texts changed
    history_changed = Signal()
    #: any visible change: layers_changed or layer_changed (for previews that just re-render)
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.path: Path | None = None
        self.display_name: str = ""  # the file the document came from (title bar); "" for a new one
        self.current_uid: str = ""
        self._unsubscribe = None

    # --- document lifetime ---------------------------------------------------------------------
    def set_document(self, doc: Document | None, path: Path | None = None) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self.document = doc
        self.path = path
        if doc is not None:
            self._unsubscribe = doc.subscribe(self._on_event)
            self.current_uid = doc.layers[-1].uid if doc.layers else ""
        else:
            self.current_uid = ""
        self.document_replaced.emit(doc)
        self.current_layer_changed.emit(self.current_uid)
        self.history_changed.emit()
        self.changed.emit()

    def replace_content(self, content: Document, text: str) -> None:
        """Make the open document hold `content` as one undoable step (or open it when none is open)."""
        if self.document is None:
            self.set_document(content, None)
        else:
            self.push(ReplaceDocument.of(content, text))

    def _on_event(self, event: str, payload: object) -> None:
        if event == "document":  # the whole content was replaced (undoably): views start over
            if self.document is not None and self.current_uid not in {layer.uid for layer in self.document}:
                self.current_uid = self.document.layers[-1].uid if self.document.layers else ""
                self.current_layer_changed.emit(self.current_uid)
            self.document_replaced.emit(self.document)
        elif event == "layers":
            if self.document is not None and self.current_uid not in {layer.uid for layer in self.document}:
                self.set_current(self.document.layers[-1].uid if self.document.layers else "")
            self.layers_changed.emit()
            self.changed.emit()
        elif event == "layer":
            self.layer_changed.emit(str(payload))
            self.changed.emit()
        elif event == "history":
            self.history_changed.emit()

    # --- editing -----------------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        if self.document is None:
            raise RuntimeError("no document is open")
        self.document.history.push(command)

    def try_push(self, build: Callable[[], Command], parent: QWidget | None = None) -> bool:
        """Build and push a command from a widget; a refusal (locked layer, bad input) is shown, not raised."""
        from seethrough.app.errors import show_error

        try:
            self.push(build())
        except SeeThroughError as exc:
            show_error(parent, exc)
            return False
        return True

    def undo(self) -> None:
        if self.document is not None:
            self.document.history.undo()

    def redo(self) -> None:
        if self.document is not None:
            self.document.history.redo()

    # --- current layer -----------------------------------------------------------------------------
    def set_current(self, uid: str) -> None:
        if uid != self.current_uid:
            self.current_uid = uid
            self.current_layer_changed.emit(uid)

    @property
    def current_layer(self):  # noqa: ANN201 - Layer | None
        if self.document is None or not self.current_uid:
            return None
        try:
            return self.document.layer(self.current_uid)
        except KeyError:
            return None
