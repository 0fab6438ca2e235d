"""The annotation document: a model being labelled, as a value changed by commands on one history.

It holds the label set (`annotation.labels.LabelSet`, immutable), the pose the user set (parameter id → value) and
which ArtMeshes are hidden in the view. Labels change only through commands (`ChangeLabels`) pushed on the
document's `history` — core's `History`, the same undo machinery as the layer document's, so there is one undo log
and no other. Pose and visibility are views of the model, not edits: they change directly and are not undone, but
they are part of every snapshot, because renders and the labelling rules read them.

`snapshot()` is O(1) (it shares the immutable values); jobs (auto-label, propagation, pose renders, exports) read a
snapshot, never the live model, and hand back a command that is applied only if the labels are still those of the
snapshot (`annotation.label_operations.commit`). A worker that must render loads its own copy of the model
(`AnnotationSnapshot.load_model`), posed at the snapshot's pose.

Autosave: the label file (`label_path`) is rewritten after every history change that changed the labels (an edit,
an undo, a redo), never when it is only opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from seethrough.annotation.labels import LabelEntry, LabelSet, write_label_file
from seethrough.annotation.model_identity import ids_identity
from seethrough.core.commands import Command, History, HistoryPosition
from seethrough.core.errors import BadInput

if TYPE_CHECKING:
    from seethrough.annotation.label_operations import LabelOperation
    from seethrough.annotation.model import Live2DModel
    from seethrough.core.document import Document

Listener = Callable[[str, object], None]


@dataclass(frozen=True, eq=False)
class AnnotationSnapshot:
    """The annotation document at one moment: labels, pose, hidden meshes, and the history position. Immutable."""

    labels: LabelSet
    pose: Mapping[str, float]
    hidden: frozenset[str]
    position: HistoryPosition
    model_path: Path | None = None

    @property
    def mesh_ids(self) -> tuple[str, ...]:
        return self.labels.mesh_ids

    def load_model(self) -> Live2DModel:
        """The worker's own copy of the model, posed at the snapshot's pose (the live model is never read). Refuses
        a model file that changed on disk since it was opened (its ArtMeshes are not the labels' any more)."""
        from seethrough.annotation.loader import load_model

        if self.model_path is None:
            raise BadInput("these labels have no model to render")
        model = load_model(self.model_path)
        if tuple(m.id for m in model.artmeshes) != self.mesh_ids:
            raise BadInput(f"{self.model_path.name} changed on disk since it was opened (its ArtMeshes differ): "
                           "open it again")
        self.pose_model(model)
        return model

    def pose_model(self, model: Live2DModel) -> None:
        """Put `model` (a copy of this model) in the snapshot's pose: its defaults, then the snapshot's values."""
        known = {p.id for p in model.parameters}
        model.reset_parameters()
        model.set_parameters({k: v for k, v in self.pose.items() if k in known})
        model.update()


@dataclass
class ChangeLabels(Command):
    """Set, change or remove labels (`changes`: mesh id → new entry, None removes it), and optionally the excluded
    parts and the tag set, as one undo step. Computed against a label set; undo puts that very set back."""

    changes: Mapping[str, LabelEntry | None] = field(default_factory=dict)
    text: str = "Edit labels"
    excluded_parts: frozenset[str] | None = None
    taxonomy_version: str | None = None
    #: the label operation this command applies, when it is one (`annotation.label_operations`)
    label_operation: LabelOperation | None = None
    _before: LabelSet | None = None

    @property
    def empty(self) -> bool:
        """It would change nothing at all (no undo step is recorded for it)."""
        return not self.changes and self.excluded_parts is None and self.taxonomy_version is None

    def after(self, labels: LabelSet) -> LabelSet:
        """`labels` with this command applied."""
        out = labels.with_changes(self.changes)
        if self.excluded_parts is not None and self.excluded_parts != out.excluded_parts:
            out = replace(out, excluded_parts=self.excluded_parts)
        if self.taxonomy_version is not None and self.taxonomy_version != out.taxonomy_version:
            out = replace(out, taxonomy_version=self.taxonomy_version)
        return out

    def redo(self, doc: Document | AnnotationDocument) -> None:
        target = _annotation(doc)
        self._before = target.labels
        target._set_labels(self.after(target.labels))

    def undo(self, doc: Document | AnnotationDocument) -> None:
        assert self._before is not None
        _annotation(doc)._set_labels(self._before)


def _annotation(doc: object) -> AnnotationDocument:
    if not isinstance(doc, AnnotationDocument):
        raise TypeError("label commands run on an annotation document")
    return doc


class AnnotationDocument:
    """A model's labels being edited (with its pose and hidden meshes). Change the labels only through commands
    (`doc.history.push(ChangeLabels(…))`, or the label operations)."""

    def __init__(
        self,
        labels: LabelSet,
        *,
        model_path: Path | None = None,
        pose: Mapping[str, float] | None = None,
        label_path: Path | None = None,
        model_id: str = "",
        autosave: bool = True,
        limit: int = 1000,
    ) -> None:
        """`limit`: undo steps kept (labelling a model is many small clicks; a step holds one label set)."""
        self._labels = labels
        self._pose: Mapping[str, float] = MappingProxyType(dict(pose or {}))
        self._hidden: frozenset[str] = frozenset()
        self._listeners: list[Listener] = []
        self.model_path = model_path
        #: the label file written after every change (None: not saved)
        self.label_path = label_path
        #: the model identity written into the label file (`annotation.model_identity`)
        self.model_id = model_id or ids_identity(labels.mesh_ids)
        self.autosave = autosave
        self._saved = labels  # the labels the file holds: what it was opened with, then what was last written
        # core's History runs commands on "its document": it only hands this object to the commands (ChangeLabels
        # takes an AnnotationDocument) and calls `emit`, which this class has too
        self.history: History = History(cast("Document", self), limit)

    # --- content ------------------------------------------------------------------------------------------------
    @property
    def labels(self) -> LabelSet:
        return self._labels

    @property
    def pose(self) -> Mapping[str, float]:
        return self._pose

    @property
    def hidden(self) -> frozenset[str]:
        return self._hidden

    @property
    def mesh_ids(self) -> tuple[str, ...]:
        return self._labels.mesh_ids

    def snapshot(self) -> AnnotationSnapshot:
        """The labels, pose and hidden meshes now, and the history position; O(1) (shares the immutable values)."""
        return AnnotationSnapshot(self._labels, self._pose, self._hidden, self.history.position, self.model_path)

    # --- views of the model (not undone) ------------------------------------------------------------------------
    def set_pose(self, values: Mapping[str, float]) -> None:
        """The pose the user set (parameter id → value)."""
        self._pose = MappingProxyType(dict(values))
        self.emit("pose")

    def set_hidden(self, mesh_ids: Iterable[str]) -> None:
        """The meshes hidden in the view."""
        hidden = frozenset(mesh_ids)
        if hidden != self._hidden:
            self._hidden = hidden
            self.emit("hidden")

    # --- for commands only ----------------------------------------------------------------------------------------
    def _set_labels(self, labels: LabelSet) -> None:
        self._labels = labels
        self.emit("labels")

    # --- observation ----------------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event, payload)` on every change; returns an unsubscribe function. Events: "labels" (a
        command changed them), "history" (after every push, undo and redo), "pose", "hidden"."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, event: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(event, payload)
        if event == "history":
            self._autosave()

    # --- the label file ---------------------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        """Write the labels to `path` (default: the label file) now."""
        target = path if path is not None else self.label_path
        if target is None:
            raise ValueError("these labels have no label file to save to")
        written = write_label_file(target, self._labels, self.model_id)
        if target == self.label_path:
            self._saved = self._labels
        return written

    @property
    def unsaved(self) -> bool:
        """The labels differ from what the label file holds (a failed autosave)."""
        return self._labels is not self._saved

    def _autosave(self) -> None:
        if self.autosave and self.label_path is not None and self.unsaved:
            self.save()
