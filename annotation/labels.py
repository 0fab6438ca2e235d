"""Per-model label file: one body-part tag per ArtMesh id, who set it and when, with undo/redo and autosave.

Why autosave on every edit: labelling a model is hours of clicking; a crash or `kill -9` must cost at most the edit
in flight. Every change rewrites the whole (small) JSON file through a temp file + fsync + `os.replace`, so the file
on disk is always either the previous or the new complete version, never a torn one.

Loading never modifies the file: a corrupt file, a file of a newer schema or a file for another model raises
(`BadInput` / `NewerSchema`) and leaves the bytes untouched.

Provenance: every entry names the rule that set it (`source`); an automatic entry also names the seed provider of
the run that set it (`provider`: layout, samhq, seethrough, or none). Schema history: 1 (no provider); 2 adds the
entries' `provider`. Files of schema 1 are read as they are (their entries have no provider) and saved as 2.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput, NewerSchema

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

#: one entry as stored: {"tag": str, "source": str, "time": float, "confidence": float and "provider": str
#: (automatic labels only)}
Entry = dict[str, Any]


def _known_source(source: object) -> bool:
    """A rule of SOURCES, or the vote of any registered seed provider (`seed-<name>`)."""
    return isinstance(source, str) and (source in SOURCES or (source.startswith("seed-") and len(source) > 5))


@dataclass
class _Step:
    """One undoable step: the entries of the touched ids before and after (None = no label)."""

    text: str
    before: dict[str, Entry | None]
    after: dict[str, Entry | None]


def model_hash(mesh_ids: Iterable[str], moc_path: str | os.PathLike[str] | None = None) -> str:
    """Identity of a model for its label file: sha1 of the moc bytes (when given) and the ArtMesh ids."""
    h = hashlib.sha1()
    if moc_path is not None:
        h.update(Path(moc_path).read_bytes())
    for mid in mesh_ids:
        h.update(mid.encode("utf-8") + b"\0")
    return h.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old or the new file, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class LabelStore:
    """Tags of one model's ArtMeshes, saved to `path` after every change (when `path` is set)."""

    def __init__(
        self,
        mesh_ids: Iterable[str],
        model_id: str | None = None,
        path: str | os.PathLike[str] | None = None,
        taxonomy_version: str = "v3",
        autosave: bool = True,
    ) -> None:
        self.mesh_ids: tuple[str, ...] = tuple(mesh_ids)
        self._known = frozenset(self.mesh_ids)
        self.model_id = model_id or model_hash(self.mesh_ids)
        self.path = Path(path) if path is not None else None
        self.taxonomy_version = taxonomy_version
        self.autosave = autosave
        self.entries: dict[str, Entry] = {}
        self.excluded_parts: set[str] = set()
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []

    # ---- loading -------------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        mesh_ids: Iterable[str],
        model_id: str | None = None,
        taxonomy_version: str = "v3",
    ) -> LabelStore:
        """Load the label file at `path` if it exists (validated against the model), else start an empty one."""
        store = cls(mesh_ids, model_id=model_id, path=path, taxonomy_version=taxonomy_version)
        if store.path is not None and store.path.exists():
            store._load(store.path)
        return store

    def _load(self, path: Path) -> None:
        from seethrough.core.io import safe_json

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
        foreign = sorted(k for k in data["entries"] if k not in self._known)
        if foreign:
            few = ", ".join(foreign[:5]) + (f" … ({len(foreign)} in all)" if len(foreign) > 5 else "")
            raise BadInput(
                f"label file {path} is for another model: ArtMesh ids not in this model: {few}; it was left untouched"
            )
        entries: dict[str, Entry] = {}
        for mid, item in data["entries"].items():
            if (not isinstance(item, dict) or not isinstance(item.get("tag"), str)
                    or not _known_source(item.get("source")) or not isinstance(item.get("time", 0.0), (int, float))):
                raise BadInput(f"label file {path}: bad entry for {mid!r}: {item!r}")
            entries[mid] = {"tag": item["tag"], "source": item["source"], "time": float(item.get("time", 0.0))}
            if isinstance(item.get("confidence"), (int, float)):
                entries[mid]["confidence"] = float(item["confidence"])
            if isinstance(item.get("provider"), str) and item["source"] != "human":
                entries[mid]["provider"] = item["provider"]
        self.entries = entries
        excluded = data.get("excluded_parts", [])
        if not isinstance(excluded, list) or not all(isinstance(x, str) for x in excluded):
            raise BadInput(f"label file {path}: excluded_parts must be a list of part ids")
        self.excluded_parts = set(excluded)
        self.taxonomy_version = str(data.get("taxonomy_version", self.taxonomy_version))
        if data.get("model_id"):
            self.model_id = str(data["model_id"])

    # ---- queries -------------------------------------------------------------------------------------------
    def tag(self, mesh_id: str) -> str | None:
        e = self.entries.get(mesh_id)
        return e["tag"] if e else None

    def source(self, mesh_id: str) -> str | None:
        e = self.entries.get(mesh_id)
        return e["source"] if e else None

    def confidence(self, mesh_id: str) -> float | None:
        """How sure the rule that set the label was (1.0 for a person's label; None when unlabelled)."""
        e = self.entries.get(mesh_id)
        if e is None:
            return None
        return 1.0 if e["source"] == "human" else float(e.get("confidence", 0.5))

    def tags(self) -> dict[str, str]:
        return {k: e["tag"] for k, e in self.entries.items()}

    def provider(self, mesh_id: str) -> str | None:
        """The seed provider of the automatic run that set a label (None for a person's label, an unlabelled mesh
        or a label from a file of schema 1)."""
        e = self.entries.get(mesh_id)
        return e.get("provider") if e else None

    def human_ids(self) -> set[str]:
        return {k for k, e in self.entries.items() if e["source"] == "human"}

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    # ---- edits ---------------------------------------------------------------------------------------------
    def set_tag(self, ids: Iterable[str], tag: str, source: str = "human") -> None:
        """Tag the ArtMeshes `ids` (one undo step)."""
        now = time.time()
        self.apply({mid: (tag, source) for mid in ids}, text=f"Tag as {tag}", now=now)

    def clear(self, ids: Iterable[str]) -> None:
        """Remove the labels of `ids` (one undo step)."""
        ids = list(ids)
        self._check_ids(ids)
        self._push(_Step("Clear labels", {}, {mid: None for mid in ids}))

    def apply(
        self,
        assignments: Mapping[str, tuple[str, str] | tuple[str, str, float] | None],
        text: str = "Auto-label",
        now: float | None = None,
        provider: str | None = None,
    ) -> int:
        """Apply many `{id: (tag, source)}` or `{id: (tag, source, confidence)}` at once as one undo step (`None`
        clears an id's label); automatic entries record `provider`, the seed provider of the run, when given.
        Returns how many entries changed."""
        self._check_ids(assignments)
        now = time.time() if now is None else now
        after: dict[str, Entry | None] = {}
        for mid, value in assignments.items():
            if value is None:
                if mid in self.entries:
                    after[mid] = None
                continue
            tag, source = value[0], value[1]
            if not _known_source(source):
                raise ValueError(f"unknown label source {source!r}; known: {', '.join(SOURCES)}")
            entry: Entry = {"tag": tag, "source": source, "time": now}
            if len(value) > 2 and source != "human":
                entry["confidence"] = round(float(value[2]), 3)
            if provider is not None and source != "human":
                entry["provider"] = provider
            old = self.entries.get(mid)
            same = old and old["tag"] == tag and old["source"] == source
            if same and all(old.get(k) == entry.get(k) for k in ("confidence", "provider")):  # type: ignore[union-attr]
                continue
            after[mid] = entry
        if after:
            self._push(_Step(text, {}, after))
        return len(after)

    def set_excluded_parts(self, part_ids: Iterable[str]) -> None:
        """The user's setting of parts that are not the character (saved, not undoable: it is a setting)."""
        self.excluded_parts = set(part_ids)
        self._autosave()

    def undo(self) -> bool:
        if not self._undo:
            return False
        step = self._undo.pop()
        self._write_entries(step.before)
        self._redo.append(step)
        self._autosave()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        step = self._redo.pop()
        self._write_entries(step.after)
        self._undo.append(step)
        self._autosave()
        return True

    def _push(self, step: _Step) -> None:
        step.before = {mid: (dict(self.entries[mid]) if mid in self.entries else None) for mid in step.after}
        self._write_entries(step.after)
        self._undo.append(step)
        self._redo.clear()
        self._autosave()

    def _write_entries(self, values: Mapping[str, Entry | None]) -> None:
        for mid, e in values.items():
            if e is None:
                self.entries.pop(mid, None)
            else:
                self.entries[mid] = dict(e)

    def _check_ids(self, ids: Iterable[str]) -> None:
        unknown = [i for i in ids if i not in self._known]
        if unknown:
            raise BadInput(f"ArtMesh ids not in this model: {', '.join(unknown[:5])}")

    # ---- saving --------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "model_id": self.model_id,
            "taxonomy_version": self.taxonomy_version,
            "excluded_parts": sorted(self.excluded_parts),
            "entries": {mid: self.entries[mid] for mid in self.mesh_ids if mid in self.entries},
        }

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("LabelStore.save needs a path")
        try:
            atomic_write_text(target, json.dumps(self.to_json(), ensure_ascii=False, indent=1))
        except OSError as e:
            raise BadInput(f"cannot write label file {target}: {e.strerror or e}") from e
        return target

    def _autosave(self) -> None:
        if self.autosave and self.path is not None:
            self.save()
