"""Which model a label file belongs to: one identity, computed the same way by the GUI and the command line.

The identity is the sha1 of the model's moc file (its bytes), then of each ArtMesh id followed by a NUL, in the
model's order. Why these two:

- the moc holds everything the labels describe — the meshes, their parts, deformers and keyforms — so a label file
  is recognised only by the model it was made on, not by another model that happens to use the same ids (Cubism's
  default names `ArtMesh`, `ArtMesh2` …, or a template's ids, are shared by many unrelated models);
- the ids are what the entries are keyed by, so they are part of it too (and make a model without a readable moc
  still distinguishable by its meshes);
- textures, motions, physics, expressions and the settings file are left out: repainting a texture or adding a
  motion does not change what a mesh is, and must not orphan its labels.

A model re-exported with changed meshes gets a new identity: its old label file is then refused and left untouched,
and Annotate's "Propagate labels from…" copies its labels over by ArtMesh id and part path.

Earlier versions wrote two other identities (`legacy_identities`): the GUI hashed the ids alone, the command line
the moc file plus the ids when it could find the moc (the formula kept here), else the ids alone. A label file that
carries either is recognised for its model and gets the current identity on its next save — never by being opened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from seethrough.annotation.model import Live2DModel
from seethrough.core.errors import BadInput


@dataclass(frozen=True)
class ModelIdentity:
    """A model's identity for its label file (`current`), and the identities older versions wrote for it."""

    current: str
    legacy: tuple[str, ...] = ()

    def recognises(self, stored: str) -> bool:
        """Whether a label file that records `stored` belongs to this model."""
        return stored == self.current or stored in self.legacy

    def is_current(self, stored: str) -> bool:
        return stored == self.current


def ids_identity(mesh_ids: Iterable[str]) -> str:
    """sha1 of the ArtMesh ids alone: the GUI's identity before this one (and that of a label set with no model)."""
    return _digest(None, mesh_ids)


def moc_identity(moc: bytes, mesh_ids: Iterable[str]) -> str:
    """sha1 of the moc bytes, then of the ArtMesh ids: the identity."""
    return _digest(moc, mesh_ids)


def _digest(moc: bytes | None, mesh_ids: Iterable[str]) -> str:
    h = hashlib.sha1()
    if moc is not None:
        h.update(moc)
    for mid in mesh_ids:
        h.update(mid.encode("utf-8") + b"\0")
    return h.hexdigest()


def identity_of(mesh_ids: Iterable[str], moc_file: Path | None) -> ModelIdentity:
    """The identity of a model with these ArtMesh ids (in the model's order) and this moc file."""
    ids = tuple(mesh_ids)
    by_ids = ids_identity(ids)
    if moc_file is None:
        return ModelIdentity(by_ids)
    try:
        moc = Path(moc_file).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the moc file {moc_file}: {exc.strerror or exc}") from None
    return ModelIdentity(moc_identity(moc, ids), legacy=(by_ids,))


def model_identity(model: Live2DModel) -> ModelIdentity:
    """The identity of a loaded model (its moc file and its ArtMeshes)."""
    return identity_of([m.id for m in model.artmeshes], model.moc_file)
