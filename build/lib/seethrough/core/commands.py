"""Reversible document edits and the history that runs them.

Every change to a `Document` is a `Command` with `redo(doc)` / `undo(doc)`. `History` keeps the log,
merges consecutive commands with the same `merge_key` (slider drags) and groups steps in transactions.
The GUI's QUndoStack mirrors this history; the CLI uses it directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seethrough.core.document import Document, Layer

#: layer fields a SetLayerProperty may change
LAYER_PROPERTIES = frozenset({"name", "tag", "visible", "opacity", "locked", "depth_value", "provenance"})


class Command:
    text = "Edit"
    merge_key: str | None = None

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

    def __post_init__(self) -> None:
        if self.prop not in LAYER_PROPERTIES:
            raise ValueError(f"cannot set layer property {self.prop!r}")
        self.text = self.text or f"Set {self.prop.replace('_', ' ')}"
        self.merge_key = f"prop:{self.uid}:{self.prop}" if self.prop in {"opacity", "depth_value"} else None

    def redo(self, doc: Document) -> None:
        layer = doc.layer(self.uid)
        self.old = getattr(layer, self.prop)
        setattr(layer, self.prop, self.value)
        doc.emit("layer", self.uid)

    def undo(self, doc: Document) -> None:
        setattr(doc.layer(self.uid), self.prop, self.old)
        doc.emit("layer", self.uid)

    def merge(self, other: Command) -> bool:
        if isinstance(other, SetLayerProperty) and other.merge_key == self.merge_key:
            self.value = other.value
            return True
        return False


@dataclass
class ReplaceLayers(Command):
    """Remove the layers `remove_uids` and insert `new_layers` at the position of the lowest removed one.

    The general form of add, delete, merge, duplicate, stratify and left/right split.
    With nothing to remove, `new_layers` go at `index` (default: on top).
    """

    remove_uids: Sequence[str]
    new_layers: Sequence[Layer]
    text: str = "Replace layers"
    index: int | None = None
    _removed: list[tuple[int, Layer]] = field(default_factory=list)
    _at: int = 0

    def redo(self, doc: Document) -> None:
        positions = sorted((doc.index_of(uid), uid) for uid in self.remove_uids)
        self._removed = [(i, doc.layers[i]) for i, _ in positions]
        for i, _ in reversed(positions):
            del doc.layers[i]
        if positions:
            self._at = positions[0][0]
        else:
            self._at = len(doc.layers) if self.index is None else max(0, min(self.index, len(doc.layers)))
        doc.layers[self._at : self._at] = list(self.new_layers)
        doc.emit("layers")

    def undo(self, doc: Document) -> None:
        del doc.layers[self._at : self._at + len(self.new_layers)]
        for i, layer in self._removed:
            doc.layers.insert(i, layer)
        doc.emit("layers")


@dataclass
class MoveLayer(Command):
    uid: str
    to_index: int
    text: str = "Move layer"
    _from: int = 0

    def redo(self, doc: Document) -> None:
        self._from = doc.index_of(self.uid)
        layer = doc.layers.pop(self._from)
        doc.layers.insert(max(0, min(self.to_index, len(doc.layers))), layer)
        doc.emit("layers")

    def undo(self, doc: Document) -> None:
        layer = doc.layers.pop(doc.index_of(self.uid))
        doc.layers.insert(self._from, layer)
        doc.emit("layers")


@dataclass
class ReorderLayers(Command):
    """Put the stack in the order given by `uids` (bottom to top), e.g. sort by depth."""

    uids: Sequence[str]
    text: str = "Reorder layers"
    _old: list[str] = field(default_factory=list)

    def _apply(self, doc: Document, order: Sequence[str]) -> None:
        by_uid = {layer.uid: layer for layer in doc.layers}
        if set(order) != set(by_uid):
            raise ValueError("reorder must name every layer exactly once")
        doc.layers[:] = [by_uid[uid] for uid in order]
        doc.emit("layers")

    def redo(self, doc: Document) -> None:
        self._old = [layer.uid for layer in doc.layers]
        self._apply(doc, self.uids)

    def undo(self, doc: Document) -> None:
        self._apply(doc, self._old)


@dataclass
class SetLayerPixels(Command):
    """Replace a layer's pixels (and optionally depth and offset): mask edits, inpainting, filters."""

    uid: str
    rgba: Any
    offset: tuple[int, int] | None = None
    depth: Any = None
    keep_depth: bool = True
    text: str = "Edit pixels"
    _old: tuple[Any, Any, tuple[int, int]] | None = None

    def redo(self, doc: Document) -> None:
        layer = doc.layer(self.uid)
        self._old = (layer.rgba, layer.depth, layer.offset)
        new_depth = self.depth
        if new_depth is None and self.keep_depth and layer.depth is not None:
            new_depth = layer.depth if layer.depth.shape == self.rgba.shape[:2] else None
        layer.rgba = self.rgba
        layer.depth = new_depth
        layer.offset = self.offset if self.offset is not None else layer.offset
        doc.emit("layer", self.uid)

    def undo(self, doc: Document) -> None:
        assert self._old is not None
        layer = doc.layer(self.uid)
        layer.rgba, layer.depth, layer.offset = self._old
        doc.emit("layer", self.uid)


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


class History:
    """The undo log of one document."""

    def __init__(self, doc: Document, limit: int = 200) -> None:
        self._doc = doc
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._open: list[Macro] = []
        self._clean_index: int | None = 0
        self.limit = limit

    def push(self, command: Command) -> Command:
        """Run `command` and record it. Returns the command (or the one it merged into)."""
        command.redo(self._doc)
        if self._open:
            self._open[-1].commands.append(command)
            return command
        self._undone.clear()
        if self._done and command.merge_key and self._done[-1].merge_key == command.merge_key:
            if self._done[-1].merge(command):
                self._changed()
                return self._done[-1]
        self._done.append(command)
        if len(self._done) > self.limit:
            del self._done[0]
            self._clean_index = None if self._clean_index in (None, 0) else self._clean_index - 1
        self._changed()
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
                self._undone.clear()
                self._done.append(macro)
                self._changed()

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        command.undo(self._doc)
        self._undone.append(command)
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.redo(self._doc)
        self._done.append(command)
        self._changed()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    @property
    def index(self) -> int:
        return len(self._done)

    def set_clean(self) -> None:
        self._clean_index = len(self._done)

    @property
    def is_clean(self) -> bool:
        return self._clean_index == len(self._done)

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_index = 0
        self._changed()

    def _changed(self) -> None:
        self._doc.emit("history")
