"""Reversible document edits and the history that runs them.

Every change to a `Document` is a `Command` with `redo(doc)` / `undo(doc)`. Layers are immutable values: a
command builds new `Layer` objects and swaps them in, and undo puts the old objects back. `History` keeps the
log, merges consecutive commands with the same `merge_key` (slider drags), groups steps in transactions and
tracks the clean (saved) state with QUndoStack's semantics (docs/document-model.md). The GUI's undo actions and
the CLI use it directly.

Locked layers: no command changes a locked layer's pixels, mask, name, tag, opacity, depth or existence
(`LayerLocked`); its visibility and lock may change, and it may move in the stack.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from seethrough.core.errors import BadInput, LayerLocked

if TYPE_CHECKING:
    from seethrough.core.document import Document, DocumentLike, DocumentSnapshot, Layer
    from seethrough.core.operations.base import Operation
    from seethrough.core.tiles import TiledPlane

#: layer fields a SetLayerProperty may change
LAYER_PROPERTIES = frozenset({"name", "tag", "visible", "opacity", "locked", "depth_value", "provenance", "blend_mode"})
#: of those, the ones a locked layer still lets change
UNLOCKED_PROPERTIES = frozenset({"visible", "locked"})


def require_unlocked(layer: Layer, action: str) -> None:
    """Raise `LayerLocked` (one line naming the layer) when `layer` is locked."""
    if layer.locked:
        raise LayerLocked(f"layer {layer.name!r} is locked: unlock it to {action}")


class Command:
    text = "Edit"
    merge_key: str | None = None
    #: the operation (core.operations) whose application this command is, when it is one: what the history's
    #: operation log records
    operation: Operation | None = None

    def redo(self, doc: Document) -> None:
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        raise NotImplementedError

    def merge(self, other: Command) -> bool:
        """Absorb a later command with the same merge key; return True if merged."""
        return False


@dataclass
class SetLayerProperty(Command):
    uid: str
    prop: str
    value: Any
    old: Any = None
    text: str = ""
    _before: Layer | None = None

    def __post_init__(self) -> None:
        if self.prop not in LAYER_PROPERTIES:
            raise ValueError(f"cannot set layer property {self.prop!r}")
        self.text = self.text or f"Set {self.prop.replace('_', ' ')}"
        self.merge_key = f"prop:{self.uid}:{self.prop}" if self.prop in {"opacity", "depth_value"} else None

    def redo(self, doc: Document) -> None:
        layer = doc.layer(self.uid)
        if self.prop not in UNLOCKED_PROPERTIES:
            require_unlocked(layer, f"change its {self.prop.replace('_', ' ')}")
        self._before = layer
        self.old = getattr(layer, self.prop)
        doc._replace_layer(replace(layer, **{self.prop: self.value}))
        doc.emit("layer", self.uid)

    def undo(self, doc: Document) -> None:
        assert self._before is not None
        doc._replace_layer(self._before)
        doc.emit("layer", self.uid)

    def merge(self, other: Command) -> bool:
        if isinstance(other, SetLayerProperty) and other.merge_key == self.merge_key:
            self.value = other.value
            return True
        return False


@dataclass
class ReplaceLayers(Command):
    """Remove the layers `remove_uids` and insert `new_layers` at the position of the lowest removed one.

    The general form of add, delete, merge, duplicate, stratify and left/right split. Locked layers cannot be
    removed. With nothing to remove, `new_layers` go at `index` (default: on top).
    """

    remove_uids: Sequence[str]
    new_layers: Sequence[Layer]
    text: str = "Replace layers"
    index: int | None = None
    _before: tuple[Layer, ...] = ()

    def redo(self, doc: Document) -> None:
        positions = sorted(doc.index_of(uid) for uid in self.remove_uids)
        for i in positions:
            require_unlocked(doc.layers[i], "remove or replace it")
        self._before = doc.layers
        removed = set(positions)
        kept = [layer for i, layer in enumerate(doc.layers) if i not in removed]
        if positions:
            at = positions[0]
        else:
            at = len(kept) if self.index is None else max(0, min(self.index, len(kept)))
        doc._set_content(layers=(*kept[:at], *self.new_layers, *kept[at:]))
        doc.emit("layers")

    def undo(self, doc: Document) -> None:
        doc._set_content(layers=self._before)
        doc.emit("layers")


@dataclass
class MoveLayer(Command):
    uid: str
    to_index: int
    text: str = "Move layer"
    _before: tuple[Layer, ...] = ()

    def redo(self, doc: Document) -> None:
        self._before = doc.layers
        layers = list(doc.layers)
        layer = layers.pop(doc.index_of(self.uid))
        layers.insert(max(0, min(self.to_index, len(layers))), layer)
        doc._set_content(layers=layers)
        doc.emit("layers")

    def undo(self, doc: Document) -> None:
        doc._set_content(layers=self._before)
        doc.emit("layers")


@dataclass
class ReorderLayers(Command):
    """Put the stack in the order given by `uids` (bottom to top), e.g. sort by depth."""

    uids: Sequence[str]
    text: str = "Reorder layers"
    _before: tuple[Layer, ...] = ()

    def redo(self, doc: Document) -> None:
        by_uid = {layer.uid: layer for layer in doc.layers}
        if len(self.uids) != len(by_uid) or set(self.uids) != set(by_uid):
            raise ValueError("reorder must name every layer exactly once")
        self._before = doc.layers
        doc._set_content(layers=[by_uid[uid] for uid in self.uids])
        doc.emit("layers")

    def undo(self, doc: Document) -> None:
        doc._set_content(layers=self._before)
        doc.emit("layers")


@dataclass
class SetLayerPixels(Command):
    """Replace a layer's pixels (and optionally depth and offset): mask edits, inpainting, filters.

    The command takes ownership of `rgba` (and `depth`): they become the new layer's read-only arrays.
    """

    uid: str
    rgba: Any
    offset: tuple[int, int] | None = None
    depth: Any = None
    keep_depth: bool = True
    text: str = "Edit pixels"
    _before: Layer | None = None

    def redo(self, doc: Document) -> None:
        layer = doc.layer(self.uid)
        require_unlocked(layer, "edit its pixels")
        new_depth = self.depth
        if new_depth is None and self.keep_depth and layer.depth is not None:
            new_depth = layer.depth if layer.depth.shape == self.rgba.shape[:2] else None
        offset = self.offset if self.offset is not None else layer.offset
        self._before = layer
        doc._replace_layer(replace(layer, rgba=self.rgba, depth=new_depth, offset=offset))
        doc.emit("layer", self.uid)

    def undo(self, doc: Document) -> None:
        assert self._before is not None
        doc._replace_layer(self._before)
        doc.emit("layer", self.uid)


@dataclass(frozen=True)
class PlaneEdit:
    """New planes for one layer, computed from `base` (the layer as it was when the edit was computed)."""

    base: Layer
    pixels: TiledPlane
    depth: TiledPlane | None
    offset: tuple[int, int]


@dataclass
class SetLayerPlanes(Command):
    """Swap in new tiled planes for one or more layers as one step: brush strokes, move-to-layer.

    Shares every untouched tile with the layers it replaces, so the step costs the tiles it changed. Refuses
    (changing nothing) when a layer is locked or its pixels, depth or offset changed since `base` was read;
    other properties changed meanwhile (name, visibility) are kept.
    """

    edits: Sequence[PlaneEdit]
    text: str = "Paint"
    _before: tuple[Layer, ...] = ()

    def redo(self, doc: Document) -> None:
        current = [doc.layer(edit.base.uid) for edit in self.edits]
        for layer, edit in zip(current, self.edits):
            require_unlocked(layer, "edit its pixels")
            if (layer.pixels is not edit.base.pixels or layer.depth_plane is not edit.base.depth_plane
                    or layer.offset != edit.base.offset):
                raise BadInput(f"layer {layer.name!r} changed since this edit was computed: nothing was applied")
        self._before = tuple(current)
        for layer, edit in zip(current, self.edits):
            doc._replace_layer(layer.with_planes(edit.pixels, edit.depth, edit.offset))
        for edit in self.edits:
            doc.emit("layer", edit.base.uid)

    def undo(self, doc: Document) -> None:
        for layer in self._before:
            doc._replace_layer(layer)
        for layer in self._before:
            doc.emit("layer", layer.uid)


@dataclass
class ReplaceDocument(Command):
    """Swap the whole content (canvas size, source image, layers, metadata) as one undoable step; the selection
    is dropped (undo brings it back).

    For results that replace what is open: Decompose, Annotate → Stratify. Use `ReplaceDocument.of(other)`.
    """

    size: tuple[int, int]
    layers: Sequence[Layer]
    source: Any = None
    metadata: Mapping[str, Any] | None = None
    text: str = "Replace document"
    _before: tuple[Any, ...] = ()

    @classmethod
    def of(cls, content: DocumentLike, text: str = "Replace document") -> ReplaceDocument:
        """The command that makes the document equal to `content` (a document or a snapshot)."""
        return cls(content.size, tuple(content.layers), content.source, content.metadata, text=text)

    def redo(self, doc: Document) -> None:
        self._before = (doc.size, doc.layers, doc.source, doc.metadata, doc.selection, doc.deselected)
        doc._set_content(
            size=self.size, layers=self.layers, source=self.source, metadata=self.metadata or {}, selection=None,
            deselected=None,  # a selection of the old content is nothing to reselect on the new one
        )
        doc.emit("document")
        doc.emit("layers")
        if self._before[4] is not None:
            doc.emit("selection")

    def undo(self, doc: Document) -> None:
        size, layers, source, metadata, selection, deselected = self._before
        doc._set_content(size=size, layers=layers, source=source, metadata=metadata, selection=selection,
                         deselected=deselected)
        doc.emit("document")
        doc.emit("layers")
        if selection is not None:
            doc.emit("selection")


@dataclass
class Macro(Command):
    """Several commands as one undo step."""

    commands: list[Command] = field(default_factory=list)
    text: str = "Edit"

    def redo(self, doc: Document) -> None:
        for command in self.commands:
            command.redo(doc)

    def undo(self, doc: Document) -> None:
        for command in reversed(self.commands):
            command.undo(doc)


@dataclass(frozen=True)
class HistoryPosition:
    """A point in a history: `index` commands done, in the state numbered `state`.

    `state` is unique to one content: it changes when a command is pushed or merged into, so a position taken
    before an edit never matches the state after it, even at the same index.
    """

    index: int
    state: int


class History:
    """The undo log of one document, with a clean (saved) state like QUndoStack's.

    The clean state is a position: `mark_clean(snapshot)` records the position of the snapshot that was saved,
    so edits made while the save ran leave the document dirty. It becomes unreachable (`clean_index` None) when
    it is undone away and a new command is pushed, when its command is dropped by the limit, or when it was
    merged into after the snapshot was taken. Nothing merges into the command that produced the clean state.
    """

    def __init__(self, doc: Document, limit: int = 200) -> None:
        self._doc = doc
        self._serial = itertools.count(1)
        self._base = 0  # the state with nothing done
        self._done: list[tuple[Command, int]] = []  # (command, state after it)
        self._undone: list[tuple[Command, int]] = []  # the next redo last
        self._open: list[Macro] = []
        self._clean: int | None = self._base
        self.limit = limit
        #: steps that fell off the start of the log (the limit) since it was last cleared
        self.dropped = 0

    # --- editing ------------------------------------------------------------------------------------
    def push(self, command: Command) -> Command:
        """Run `command` and record it. Returns the command (or the one it merged into).

        A command whose `redo` raises (e.g. `LayerLocked`) changes nothing and is not recorded.
        """
        command.redo(self._doc)
        if self._open:
            self._open[-1].commands.append(command)
            return command
        self._drop_redo()
        if self._done and command.merge_key:
            top, state = self._done[-1]
            if top.merge_key == command.merge_key and state != self._clean and top.merge(command):
                if command.operation is not None:  # the later operation holds the merged step's final value
                    top.operation = command.operation
                self._done[-1] = (top, next(self._serial))
                self._changed()
                return top
        self._record(command)
        return command

    @contextmanager
    def transaction(self, text: str) -> Iterator[Macro]:
        """Group the commands pushed inside the block into one undo step (undone if the block raises)."""
        macro = Macro(text=text)
        self._open.append(macro)
        try:
            yield macro
        except BaseException:
            self._open.pop()
            macro.undo(self._doc)
            raise
        self._open.pop()
        if macro.commands:
            if self._open:
                self._open[-1].commands.append(macro)
            else:
                self._drop_redo()
                self._record(macro)

    def undo(self) -> bool:
        if not self._done or self._open:
            return False
        command, state = self._done.pop()
        command.undo(self._doc)
        self._undone.append((command, state))
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._undone or self._open:
            return False
        command, state = self._undone.pop()
        command.redo(self._doc)
        self._done.append((command, state))
        self._changed()
        return True

    def clear(self) -> None:
        """Forget every step; the current content becomes the clean state."""
        self._done.clear()
        self._undone.clear()
        self.dropped = 0
        self._base = next(self._serial)
        self._clean = self._base
        self._changed()

    # --- queries ------------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1][0].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1][0].text if self._undone else ""

    @property
    def index(self) -> int:
        return len(self._done)

    def operations(self) -> tuple[list[Operation], list[str]]:
        """The operations of the steps done, oldest first (inside transactions too), and the undo texts of the steps
        that are not operations (they cannot be replayed)."""
        ops: list[Operation] = []
        other: list[str] = []

        def walk(command: Command) -> None:
            if command.operation is not None:
                ops.append(command.operation)
            elif isinstance(command, Macro) and command.commands:
                for inner in command.commands:
                    walk(inner)
            else:
                other.append(command.text)

        for command, _ in self._done:
            walk(command)
        return ops, other

    @property
    def count(self) -> int:
        """Steps in the log (done and undone)."""
        return len(self._done) + len(self._undone)

    @property
    def position(self) -> HistoryPosition:
        """Where the document is now. Inside an open transaction with edits, a position no state will match."""
        if any(macro.commands for macro in self._open):
            return HistoryPosition(len(self._done), next(self._serial))
        return HistoryPosition(len(self._done), self._state())

    # --- clean state --------------------------------------------------------------------------------
    def mark_clean(self, saved: DocumentSnapshot | HistoryPosition | None = None) -> None:
        """Record that the content at `saved` (a snapshot or position; default: now) is what is on disk."""
        if saved is None:
            position = self.position
        else:
            position = saved if isinstance(saved, HistoryPosition) else saved.position
        self._clean = position.state if position.state in self._reachable() else None
        self._changed()

    def set_clean(self) -> None:
        """The current content is saved (QUndoStack.setClean)."""
        self.mark_clean()

    def reset_clean(self) -> None:
        """No state is saved any more (QUndoStack.resetClean): the document stays dirty until the next save."""
        self._clean = None
        self._changed()

    @property
    def is_clean(self) -> bool:
        if any(macro.commands for macro in self._open):
            return False
        return self._clean is not None and self._clean == self._state()

    @property
    def clean_index(self) -> int | None:
        """The index at which the document is clean (QUndoStack.cleanIndex), None when unreachable."""
        if self._clean is None:
            return None
        if self._clean == self._base:
            return 0
        for i, (_, state) in enumerate(self._done):
            if state == self._clean:
                return i + 1
        for k, (_, state) in enumerate(reversed(self._undone)):
            if state == self._clean:
                return len(self._done) + k + 1
        return None

    # --- internals ------------------------------------------------------------------------------------
    def _state(self) -> int:
        return self._done[-1][1] if self._done else self._base

    def _reachable(self) -> set[int]:
        return {self._base, *(s for _, s in self._done), *(s for _, s in self._undone)}

    def _drop_redo(self) -> None:
        if self._undone:
            if self._clean in {s for _, s in self._undone}:
                self._clean = None
            self._undone.clear()

    def _record(self, command: Command) -> None:
        self._done.append((command, next(self._serial)))
        while len(self._done) > self.limit:
            _, state = self._done.pop(0)
            self.dropped += 1
            if self._clean == self._base:
                self._clean = None
            self._base = state
        self._changed()

    def _changed(self) -> None:
        self._doc.emit("history")
