"""The open document as the GUI sees it: one QObject that turns core document events into Qt signals, and the
bus for requests between workspaces.

Widgets never hold document state: they read `session.document` and change it only with
`session.push(command)`, which goes through the core history (and so through undo/redo). Background jobs take
`session.snapshot()` (an immutable value) and hand back a Command. A whole new document (Decompose's result,
Annotate → Stratify) comes in through `offer_document`: an undoable replacement when a document is open.
Cross-workspace requests are signals here (`go_to`, `layer_model_chosen`), so no workspace touches another's widgets.
Editing state shared by the canvas tools lives here too: `selection_changed` (the document's selection, for the
marching ants and the menus) and `edit_mask` (Layer ▸ Edit Mask, M: the brush paints the current layer's mask; it
is on only while that layer has a mask, `edit_mask_changed` says when it flips).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from seethrough.core.commands import Command, ReplaceDocument
from seethrough.core.document import Document, DocumentSnapshot, Layer
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
    #: show another workspace ("stratify", "preview", …) or start an export ("export")
    go_to = Signal(str)
    #: Train → Decompose: use this trained layer model folder
    layer_model_chosen = Signal(str)
    #: open this Live2D model (a path) in the Annotate workspace: File ▸ Open, drag and drop, the command line
    model_requested = Signal(object)
    #: annotate the next model of a batch's review list (its report.json, or None: the list opened last)
    review_list_requested = Signal(object)
    #: the canvas region the user selected (x0, y0, x1, y1), or None: what "Re-decompose region" works on
    region_changed = Signal(object)
    #: a short message for the status bar (an operation's note: a fallback used, an optional model missing)
    notice = Signal(str)
    #: what is selected changed (`document.selection`: a select operation, its undo, a new document)
    selection_changed = Signal()
    #: the brush paints the current layer's mask instead of its pixels (Krita's M), or no longer does (bool)
    edit_mask_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.path: Path | None = None
        self.display_name: str = ""  # the file the document came from (title bar); "" for a new one
        self.current_uid: str = ""
        #: the document came from an autosave: unsaved until the user saves it, whatever its history says
        self.recovered = False
        self.region: tuple[int, int, int, int] | None = None
        #: the brush paints the current layer's mask (Layer ▸ Edit Mask, M); only ever on while that layer has one
        self.edit_mask = False
        self._unsubscribe: Callable[[], None] | None = None

    def set_region(self, box: tuple[int, int, int, int] | None) -> None:
        """Select a canvas region (or clear it with None)."""
        self.region = None if box is None else (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
        self.region_changed.emit(self.region)

    def set_edit_mask(self, on: bool) -> None:
        """Paint the current layer's mask with the brush (True) or its pixels (False)."""
        on = bool(on) and self._current_has_mask()
        if on != self.edit_mask:
            self.edit_mask = on
            self.edit_mask_changed.emit(on)

    def _current_has_mask(self) -> bool:
        layer = self.current_layer
        return layer is not None and layer.layer_mask is not None

    def _drop_edit_mask_without_mask(self) -> None:
        """Mask editing ends when the current layer has no mask (another layer became current, or it was deleted)."""
        if self.edit_mask and not self._current_has_mask():
            self.set_edit_mask(False)

    # --- document lifetime ---------------------------------------------------------------------
    def set_document(self, doc: Document | None, path: Path | None = None, recovered: bool = False) -> None:
        self.recovered = recovered
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
        self._drop_edit_mask_without_mask()
        self.document_replaced.emit(doc)
        self.current_layer_changed.emit(self.current_uid)
        self.selection_changed.emit()
        self.history_changed.emit()
        self.changed.emit()

    def replace_content(self, content: Document, text: str) -> None:
        """Make the open document hold `content` as one undoable step (or open it when none is open)."""
        if self.document is None:
            self.set_document(content, None)
        else:
            self.push(ReplaceDocument.of(content, text))

    def _on_event(self, event: str, payload: object) -> None:
        if event == "document":  # the whole content was swapped (ReplaceDocument, or its undo)
            if self.document is not None:
                self.current_uid = self.document.layers[-1].uid if self.document.layers else ""
            self.document_replaced.emit(self.document)
            self.current_layer_changed.emit(self.current_uid)
            self.selection_changed.emit()
        elif event == "selection":
            self.selection_changed.emit()
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
        self._drop_edit_mask_without_mask()

    @property
    def is_dirty(self) -> bool:
        """The open document has edits no file holds."""
        doc = self.document
        return doc is not None and (self.recovered or not doc.history.is_clean)

    def require_document(self) -> Document:
        """The open document, for code that runs only while one is open (RuntimeError when none is)."""
        if self.document is None:
            raise RuntimeError("no document is open")
        return self.document

    def snapshot(self) -> DocumentSnapshot:
        """An immutable value of the document now (O(1)): what background jobs read."""
        return self.require_document().snapshot()

    def unchanged_since(self, snapshot: DocumentSnapshot, uids: Sequence[str] | None = None) -> bool:
        """Whether a command a job computed from `snapshot` still applies to the open document
        (core.operations.unchanged_since)."""
        from seethrough.core.operations import unchanged_since

        return self.document is not None and unchanged_since(self.document, snapshot, uids)

    def mark_saved(self, snapshot: DocumentSnapshot, path: Path | None = None) -> None:
        """`snapshot` was written to a file: the document is clean if it still equals that snapshot."""
        if self.document is None:
            return
        self.document.history.mark_clean(snapshot)
        if path is not None:
            self.path = path
            self.display_name = path.name
        self.recovered = False
        self.history_changed.emit()

    def offer_document(self, doc: Document, display_name: str, text: str = "") -> None:
        """A new document made in the app (Decompose, Annotate → Stratify): replaces the open one as one undoable
        step named `text` (default "Replace with <name>"), or becomes the document when none is open. The file path
        is dropped so Save asks for a new one."""
        self.path = None
        self.display_name = display_name
        self.replace_content(doc, text or f"Replace with {display_name}")

    # --- editing -----------------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        self.require_document().history.push(command)

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
            self._drop_edit_mask_without_mask()
            self.current_layer_changed.emit(uid)

    @property
    def current_layer(self) -> Layer | None:
        if self.document is None or not self.current_uid:
            return None
        try:
            return self.document.layer(self.current_uid)
        except KeyError:
            return None
