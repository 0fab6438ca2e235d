"""A model's labels as a value, and its label file: one body-part tag per ArtMesh id, who set it and when.

`LabelSet` is immutable (frozen entries, the excluded parts, the tag set): an edit makes a new set, so a snapshot
of it is the object itself and "unchanged since" is identity. Edits are commands on an annotation document's one
history (`annotation.document`); `LabelStore` at the end of this module is the small mutable face of that for
scripts and the command line.

Why autosave on every edit: labelling a model is hours of clicking; a crash or `kill -9` must cost at most the edit
in flight. Every change rewrites the whole (small) JSON file atomically (`core.io.atomic`: a temp file, fsync,
`os.replace`), so the file on disk is always either the previous or the new complete version, never a torn one.

Loading never modifies the file: a corrupt file, a file of a newer schema or a file for another model raises
(`BadInput` / `NewerSchema`) and leaves the bytes untouched. A file is for this model when its ids are the model's
and its `model_id` is the model's identity (`annotation.model_identity`), or one an older version wrote for it;
such a file gets the current identity on its next save.

Provenance: every entry names the rule that set it (`source`); an automatic entry also names the seed provider of
the run that set it (`provider`: layout, samhq, seethrough, or none). Schema history: 1 (no provider); 2 adds the
entries' `provider`. Files of schema 1 are read as they are (their entries have no provider) and saved as 2.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from seethrough.annotation.model_identity import ModelIdentity, identity_of, ids_identity
from seethrough.core.errors import BadInput, NewerSchema

if TYPE_CHECKING:
    from seethrough.annotation.document import AnnotationDocument
    from seethrough.core.commands import History

SCHEMA_VERSION = 2
SOURCES = (
    "human", "name-match", "sibling-vote", "parent-vote", "2d-seed", "hair-split", "eye-split",
    # geometry rules (annotation.body_layout) and seed-provider votes (annotation.seeds)
    "neck-geometry", "neckwear-geometry", "neck-not-skin", "feet-line", "leg-geometry", "waist-geometry",
    "torso-geometry", "arm-pair", "hair-colour-outlier", "foreground-prop", "ear-geometry", "eyelid-skin",
    "eye-colour", "held-item", "colour-continuity", "face-box", "face-shape", "trousers", "hair-colour", "face-layout",
    "head-layout", "off-body",
    "no-evidence",
    # rules added with the effect, accessory and clothing-boundary rules (docs/auto-labels.md)
    "hair-shadow", "face-band", "crown-shape", "coat-tails", "waist-item", "long-skirt", "leg-mass",
    "face-parts", "hidden-twin",
    "seed-layout", "seed-seethrough", "seed-samhq",
)
#: a confidence an automatic entry without one is read with
DEFAULT_CONFIDENCE = 0.5

#: one wanted label: (tag, source) or (tag, source, confidence); None removes the label
Assignment = tuple[str, str] | tuple[str, str, float] | None


def known_source(source: object) -> bool:
    """A rule of SOURCES, or the vote of any registered seed provider (`seed-<name>`)."""
    return isinstance(source, str) and (source in SOURCES or (source.startswith("seed-") and len(source) > 5))


@dataclass(frozen=True)
class LabelEntry:
    """One ArtMesh's label: its tag, the rule that set it ("human" for a person), when (epoch seconds), and for an
    automatic label how sure the rule was and the seed provider of its run (None for a person's label)."""

    tag: str
    source: str
    time: float = 0.0
    confidence: float | None = None
    provider: str | None = None

    @property
    def human(self) -> bool:
        return self.source == "human"

    @property
    def certainty(self) -> float:
        """1.0 for a person's label, else the rule's confidence (0.5 when the file did not record one)."""
        if self.human:
            return 1.0
        return DEFAULT_CONFIDENCE if self.confidence is None else self.confidence

    def same_label(self, other: LabelEntry | None) -> bool:
        """The same tag, rule, confidence and provider (the time does not count)."""
        return other is not None and (self.tag, self.source, self.confidence, self.provider) == (
            other.tag, other.source, other.confidence, other.provider)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tag": self.tag, "source": self.source, "time": self.time}
        if self.confidence is not None:
            out["confidence"] = self.confidence
        if self.provider is not None:
            out["provider"] = self.provider
        return out


@dataclass(frozen=True)
class LabelSet:
    """The labels of one model's ArtMeshes (`mesh_ids`, in the model's order), the parts the user set as not the
    character, and the tag set. Immutable: `with_changes` and `dataclasses.replace` make new sets."""

    mesh_ids: tuple[str, ...]
    entries: Mapping[str, LabelEntry] = field(default_factory=lambda: MappingProxyType({}))
    excluded_parts: frozenset[str] = frozenset()
    taxonomy_version: str = "v3"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mesh_ids", tuple(self.mesh_ids))
        # a read-only view of a copy: nobody else holds the dict behind it
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))
        object.__setattr__(self, "excluded_parts", frozenset(self.excluded_parts))

    @cached_property
    def known(self) -> frozenset[str]:
        return frozenset(self.mesh_ids)

    # --- queries ------------------------------------------------------------------------------------------------
    def entry(self, mesh_id: str) -> LabelEntry | None:
        return self.entries.get(mesh_id)

    def tag(self, mesh_id: str) -> str | None:
        e = self.entries.get(mesh_id)
        return e.tag if e else None

    def source(self, mesh_id: str) -> str | None:
        e = self.entries.get(mesh_id)
        return e.source if e else None

    def confidence(self, mesh_id: str) -> float | None:
        """How sure the rule that set the label was (1.0 for a person's label; None when unlabelled)."""
        e = self.entries.get(mesh_id)
        return e.certainty if e else None

    def provider(self, mesh_id: str) -> str | None:
        """The seed provider of the automatic run that set a label (None for a person's label, an unlabelled mesh
        or a label from a file of schema 1)."""
        e = self.entries.get(mesh_id)
        return e.provider if e else None

    def tags(self) -> dict[str, str]:
        return {k: e.tag for k, e in self.entries.items()}

    def human_ids(self) -> set[str]:
        return {k for k, e in self.entries.items() if e.human}

    def labelled(self) -> int:
        return len(self.entries)

    # --- new sets -----------------------------------------------------------------------------------------------
    def check_ids(self, ids: Iterable[str]) -> None:
        unknown = [i for i in ids if i not in self.known]
        if unknown:
            raise BadInput(f"ArtMesh ids not in this model: {', '.join(unknown[:5])}")

    def changes(self, assignments: Mapping[str, Assignment], now: float | None = None,
                provider: str | None = None) -> dict[str, LabelEntry | None]:
        """The entries that `{id: (tag, source[, confidence]) or None}` would change (None: the label goes);
        automatic entries record `provider`, the seed provider of the run, when given. Unchanged labels are left
        out, so an empty result means nothing to do."""
        self.check_ids(assignments)
        now = time.time() if now is None else now
        out: dict[str, LabelEntry | None] = {}
        for mid, value in assignments.items():
            if value is None:
                if mid in self.entries:
                    out[mid] = None
                continue
            tag, source = value[0], value[1]
            if not known_source(source):
                raise ValueError(f"unknown label source {source!r}; known: {', '.join(SOURCES)}")
            automatic = source != "human"
            confidence = round(float(value[2]), 3) if len(value) > 2 and automatic else None
            entry = LabelEntry(tag, source, now, confidence, provider if automatic else None)
            if not entry.same_label(self.entries.get(mid)):
                out[mid] = entry
        return out

    def with_changes(self, changes: Mapping[str, LabelEntry | None]) -> LabelSet:
        """A new set with `changes` applied (None removes a label)."""
        if not changes:
            return self
        self.check_ids(changes)
        entries = dict(self.entries)
        for mid, entry in changes.items():
            if entry is None:
                entries.pop(mid, None)
            else:
                entries[mid] = entry
        return replace(self, entries=entries)

    # --- the file -----------------------------------------------------------------------------------------------
    def to_json(self, model_id: str) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "model_id": model_id,
            "taxonomy_version": self.taxonomy_version,
            "excluded_parts": sorted(self.excluded_parts),
            "entries": {mid: self.entries[mid].to_json() for mid in self.mesh_ids if mid in self.entries},
        }


# --- label files ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelFile:
    """A label file as read: its labels, the identity it recorded ("" when none) and whether that is the current
    identity of the model (else the next save writes the current one)."""

    labels: LabelSet
    stored_id: str
    current: bool


def read_label_file(path: str | os.PathLike[str], mesh_ids: Iterable[str], identity: ModelIdentity | None = None,
                    taxonomy_version: str = "v3") -> LabelFile:
    """The labels in `path`, checked against the model (its ids; its identity when given). Never writes."""
    from seethrough.core.io import safe_json

    path = Path(path)
    ids = tuple(mesh_ids)
    try:
        data = safe_json.read(path)
    except BadInput as e:
        raise BadInput(f"label file {e}; it was left untouched") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        raise BadInput(f"label file {path} has no 'entries' object; it was left untouched")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise BadInput(f"label file {path} has no integer schema_version")
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"label file {path} has schema {version}, newer than this app's {SCHEMA_VERSION}; update the app"
        )
    known = frozenset(ids)
    foreign = sorted(k for k in data["entries"] if k not in known)
    if foreign:
        few = ", ".join(foreign[:5]) + (f" … ({len(foreign)} in all)" if len(foreign) > 5 else "")
        raise BadInput(
            f"label file {path} is for another model: ArtMesh ids not in this model: {few}; it was left untouched"
        )
    stored = data.get("model_id")
    stored_id = str(stored) if stored else ""
    if identity is not None and stored_id and not identity.recognises(stored_id):
        raise BadInput(
            f"label file {path} is for another model (it was made on a model whose moc or ArtMeshes differ); it was "
            "left untouched — “Propagate labels from…” copies its labels by ArtMesh id and part path"
        )
    entries = {mid: _entry(path, mid, item) for mid, item in data["entries"].items()}
    excluded = data.get("excluded_parts", [])
    if not isinstance(excluded, list) or not all(isinstance(x, str) for x in excluded):
        raise BadInput(f"label file {path}: excluded_parts must be a list of part ids")
    labels = LabelSet(ids, entries, frozenset(excluded), str(data.get("taxonomy_version", taxonomy_version)))
    current = identity is not None and identity.is_current(stored_id)
    return LabelFile(labels, stored_id, current)


def _entry(path: Path, mid: str, item: Any) -> LabelEntry:
    if (not isinstance(item, dict) or not isinstance(item.get("tag"), str) or not known_source(item.get("source"))
            or not _number(item.get("time", 0.0))):
        raise BadInput(f"label file {path}: bad entry for {mid!r}: {item!r}")
    source = item["source"]
    confidence = float(item["confidence"]) if _number(item.get("confidence")) and source != "human" else None
    provider = item["provider"] if isinstance(item.get("provider"), str) and source != "human" else None
    return LabelEntry(item["tag"], source, float(item.get("time", 0.0)), confidence, provider)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def write_label_file(path: str | os.PathLike[str], labels: LabelSet, model_id: str) -> Path:
    """Write `labels` to `path` atomically, under the model identity `model_id`."""
    from seethrough.core.io import safe_json
    from seethrough.core.io.atomic import atomic_write_bytes

    target = Path(path)
    try:
        atomic_write_bytes(target, safe_json.dumps(labels.to_json(model_id)).encode("utf-8"))
    except BadInput as e:
        raise BadInput(f"cannot write label file {target}: {e}") from e
    except OSError as e:
        raise BadInput(f"cannot write label file {target}: {e.strerror or e}") from e
    return target


def model_hash(mesh_ids: Iterable[str], moc_path: str | os.PathLike[str] | None = None) -> str:
    """The identity of a model with these ids and moc file (`annotation.model_identity`; kept for callers)."""
    return identity_of(mesh_ids, Path(moc_path) if moc_path is not None else None).current


# --- a label file for scripts --------------------------------------------------------------------------------------
class LabelStore:
    """One model's labels opened for a script or the command line: a label set changed by commands on the history
    of an annotation document (`annotation.document`), saved to `path` after every change (when `path` is set and
    `autosave`). It keeps no undo log of its own: `history` is the document's.

    `model_id`: the model's identity (`annotation.model_identity.model_identity(model)`, or its current string);
    without one, the ids alone identify the model and a file's stored identity is not checked."""

    def __init__(
        self,
        mesh_ids: Iterable[str],
        model_id: ModelIdentity | str | None = None,
        path: str | os.PathLike[str] | None = None,
        taxonomy_version: str = "v3",
        autosave: bool = True,
        labels: LabelSet | None = None,
    ) -> None:
        from seethrough.annotation.document import AnnotationDocument

        ids = tuple(mesh_ids)
        if isinstance(model_id, str):
            model_id = ModelIdentity(model_id)
        self.identity: ModelIdentity | None = model_id
        written = model_id.current if model_id is not None else ids_identity(ids)
        self.document: AnnotationDocument = AnnotationDocument(
            labels if labels is not None else LabelSet(ids, taxonomy_version=taxonomy_version),
            label_path=Path(path) if path is not None else None, model_id=written, autosave=autosave)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        mesh_ids: Iterable[str],
        model_id: ModelIdentity | str | None = None,
        taxonomy_version: str = "v3",
    ) -> LabelStore:
        """Load the label file at `path` if it exists (validated against the model), else start an empty one."""
        identity = ModelIdentity(model_id) if isinstance(model_id, str) else model_id
        ids = tuple(mesh_ids)
        if not Path(path).exists():
            return cls(ids, identity, path, taxonomy_version)
        found = read_label_file(path, ids, identity, taxonomy_version)
        if identity is None and found.stored_id:  # no model to check against: the file keeps its own identity
            identity = ModelIdentity(found.stored_id)
        return cls(ids, identity, path, taxonomy_version, labels=found.labels)

    # --- the value and its history ------------------------------------------------------------------------------
    @property
    def labels(self) -> LabelSet:
        return self.document.labels

    @property
    def history(self) -> History:
        return self.document.history

    @property
    def mesh_ids(self) -> tuple[str, ...]:
        return self.labels.mesh_ids

    @property
    def entries(self) -> Mapping[str, LabelEntry]:
        return self.labels.entries

    @property
    def excluded_parts(self) -> frozenset[str]:
        return self.labels.excluded_parts

    @property
    def taxonomy_version(self) -> str:
        return self.labels.taxonomy_version

    @property
    def model_id(self) -> str:
        return self.document.model_id

    @property
    def path(self) -> Path | None:
        return self.document.label_path

    @path.setter
    def path(self, value: str | os.PathLike[str] | None) -> None:
        self.document.label_path = Path(value) if value is not None else None

    # --- queries ------------------------------------------------------------------------------------------------
    def tag(self, mesh_id: str) -> str | None:
        return self.labels.tag(mesh_id)

    def source(self, mesh_id: str) -> str | None:
        return self.labels.source(mesh_id)

    def confidence(self, mesh_id: str) -> float | None:
        return self.labels.confidence(mesh_id)

    def provider(self, mesh_id: str) -> str | None:
        return self.labels.provider(mesh_id)

    def tags(self) -> dict[str, str]:
        return self.labels.tags()

    def human_ids(self) -> set[str]:
        return self.labels.human_ids()

    # --- edits (each one command on the history) ----------------------------------------------------------------
    def set_tag(self, ids: Iterable[str], tag: str, source: str = "human") -> None:
        """Tag the ArtMeshes `ids` (one undo step)."""
        self.apply({mid: (tag, source) for mid in ids}, text=f"Tag as {tag}")

    def clear(self, ids: Iterable[str]) -> None:
        """Remove the labels of `ids` (one undo step)."""
        self.apply(dict.fromkeys(ids), text="Clear labels")

    def apply(
        self,
        assignments: Mapping[str, Assignment],
        text: str = "Auto-label",
        now: float | None = None,
        provider: str | None = None,
        taxonomy_version: str | None = None,
    ) -> int:
        """Apply many `{id: (tag, source)}` or `{id: (tag, source, confidence)}` at once as one undo step (`None`
        clears an id's label); automatic entries record `provider`, the seed provider of the run, when given.
        Returns how many entries changed."""
        changes = self.labels.changes(assignments, now, provider)
        self.push(changes, text, taxonomy_version)
        return len(changes)

    def push(self, changes: Mapping[str, LabelEntry | None], text: str = "Edit labels",
             taxonomy_version: str | None = None) -> None:
        """Apply entries computed elsewhere (`LabelSet.changes`, a labelling run) as one undo step; nothing is
        recorded when nothing changes."""
        from seethrough.annotation.document import ChangeLabels

        retag = taxonomy_version is not None and taxonomy_version != self.taxonomy_version
        if changes or retag:
            self.history.push(ChangeLabels(changes, text=text, taxonomy_version=taxonomy_version if retag else None))

    def set_excluded_parts(self, part_ids: Iterable[str]) -> None:
        """The parts that are not the character (auto-label leaves their meshes out; one undo step)."""
        from seethrough.annotation.document import ChangeLabels

        parts = frozenset(part_ids)
        if parts != self.excluded_parts:
            self.history.push(ChangeLabels({}, text="Set excluded parts", excluded_parts=parts))

    # --- saving -------------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return self.labels.to_json(self.model_id)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("LabelStore.save needs a path")
        return write_label_file(target, self.labels, self.model_id)
