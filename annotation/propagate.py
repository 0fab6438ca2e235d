"""Copy labels from another pose or another model with the same part names (the authors' annotation UI offers
this: a model re-exported, or an outfit variant, keeps most ArtMesh ids or at least its part structure and names).

Two matches, in this order: the identical ArtMesh id; else the identical part path (display names of the parts
from the root down, ids where a part has no name) plus the identical ArtMesh display name. A key that several
source meshes share with different tags is ambiguous and copies nothing. Human labels of the target are never
overwritten; every copied label keeps the rule that set it in the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seethrough.annotation.labels import SOURCES
from seethrough.annotation.loader import load_model
from seethrough.annotation.model import Live2DModel
from seethrough.core.errors import BadInput

MODEL_SUFFIXES = (".model3.json", ".model.json")


@dataclass
class Source:
    """Labels to copy from: {mesh id: (tag, rule)}, and the model they belong to when it could be found."""

    labels: dict[str, tuple[str, str]]
    model: Live2DModel | None = None
    path: Path | None = None


@dataclass
class Propagation:
    assignments: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_id: int = 0
    by_path: int = 0
    skipped_human: int = 0


def read_label_entries(path: Path) -> dict[str, tuple[str, str]]:
    """A label file's entries, without checking them against a model (they are another model's)."""
    from seethrough.core.io import safe_json

    try:
        data = safe_json.read(path, "label file")
    except BadInput as exc:
        raise BadInput(f"cannot read the label file {path}: {exc}") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise BadInput(f"{path} is not a label file (no 'entries' object)")
    out = {}
    for mid, entry in entries.items():
        if isinstance(entry, dict) and isinstance(entry.get("tag"), str) and entry.get("source") in SOURCES:
            out[str(mid)] = (entry["tag"], entry["source"])
    return out


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def load_source(path: Path) -> Source:
    """From a model file (its labels are `<name>.labels.json` beside it) or a label file (its model, when one with
    the same name sits beside it, gives the part paths; else only ids can match)."""
    path = Path(path)
    if path.name.endswith(MODEL_SUFFIXES) or path.is_dir():
        model = load_model(path)
        labels = model.path.with_name(f"{_stem(model.path)}.labels.json")
        if not labels.is_file():
            raise BadInput(f"{model.path.name} has no label file ({labels.name}) to copy labels from")
        return Source(read_label_entries(labels), model, labels)
    entries = read_label_entries(path)
    for stem in dict.fromkeys([_stem(path), _stem(path).rsplit("-", 1)[0]]):  # Mark.labels / Mark-<hash>.labels
        for suffix in MODEL_SUFFIXES:
            candidate = path.with_name(stem + suffix)
            if candidate.is_file():
                try:
                    return Source(entries, load_model(candidate), path)
                except BadInput:
                    return Source(entries, None, path)  # the ids can still match
    return Source(entries, None, path)


def path_key(model: Live2DModel, mesh_id: str) -> tuple[str, ...] | None:
    """(part names root → parent…, mesh name); None for a mesh without a display name."""
    mesh = model.artmesh(mesh_id)
    if not mesh.name:
        return None
    return (*(model.parts[p].name or p for p in mesh.part_path), mesh.name)


def propagate(target: Live2DModel, source: Source, current: Mapping[str, tuple[str, str]] | None = None) -> Propagation:
    """What to copy onto `target` (`current`: its labels now, {id: (tag, rule)}; human ones are kept)."""
    current = current or {}
    result = Propagation()
    by_key: dict[tuple[str, ...], set[tuple[str, str]]] = {}
    if source.model is not None:
        ids = {m.id for m in source.model.artmeshes}
        for mid, label in source.labels.items():
            key = path_key(source.model, mid) if mid in ids else None
            if key is not None:
                by_key.setdefault(key, set()).add(label)
    for mesh in target.artmeshes:
        found: tuple[str, str] | None = None
        if mesh.id in source.labels:
            found = source.labels[mesh.id]
            result.by_id += 1
        elif by_key:
            key = path_key(target, mesh.id)
            labels = by_key.get(key, set()) if key is not None else set()
            if len({tag for tag, _ in labels}) == 1:  # unambiguous
                found = min(labels)
                result.by_path += 1
        if found is None:
            continue
        if current.get(mesh.id, ("", ""))[1] == "human":
            result.skipped_human += 1
            continue
        if current.get(mesh.id) != found:
            result.assignments[mesh.id] = found
    return result
