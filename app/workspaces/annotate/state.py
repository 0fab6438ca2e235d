"""What the Annotate workspace works on: a loaded Live2D model, its label store and its rendered fragments.

Kept apart from the widgets so that the workspace only displays and edits this object (no Qt here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotation.labels import LabelStore, model_hash
from annotation.loader import load_model
from annotation.model import Live2DModel
from annotation.render import ModelRaster, fit_frame, to_uint8
from core.paths import user_data_dir
from core.taxonomy import taxonomy

RENDER_SIZE = 768


def label_path_for(model_file: Path) -> Path:
    """Next to the model when that folder is writable, else in the user's data folder."""
    stem = model_file.name.split(".")[0]
    beside = model_file.with_name(f"{stem}.labels.json")
    try:
        probe = model_file.parent / ".seethrough-write-test"
        probe.write_text("")
        probe.unlink()
        return beside
    except OSError:
        return user_data_dir() / "labels" / f"{stem}.labels.json"


@dataclass
class AnnotationState:
    model: Live2DModel
    store: LabelStore
    raster: ModelRaster
    hidden: set[str] = field(default_factory=set)
    selected: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, size: int = RENDER_SIZE, tagset: str = "v3") -> AnnotationState:
        model = load_model(path)
        ids = [m.id for m in model.artmeshes]
        store = LabelStore.open(label_path_for(model.path), ids, model_id=model_hash(ids), taxonomy_version=tagset)
        return cls(model, store, ModelRaster(model, fit_frame(model, size)))

    # --- rendering -------------------------------------------------------------------------------------------
    def rerender(self) -> None:
        """After a pose change: rasterise the fragments again."""
        self.raster = ModelRaster(self.model, self.raster.frame)

    def composite(self) -> np.ndarray:
        shown = {m.id for m in self.model.artmeshes if m.id not in self.hidden}
        return to_uint8(self.raster.composite(shown))

    def overlay(self, opacity: float) -> np.ndarray:
        """The render with each visible fragment tinted by its tag's colour (untagged: none)."""
        image = self.composite().astype(np.float32)
        top = self.raster.top_mesh()
        colours = np.zeros((len(self.raster.order) + 1, 3), np.float32)
        tinted = np.zeros(len(self.raster.order) + 1, bool)
        for rank, mesh in enumerate(self.raster.order):
            tag = self.store.tag(mesh.id)
            if tag and mesh.id not in self.hidden:
                colours[rank] = taxonomy().color(tag)
                tinted[rank] = True
        tint = colours[top]
        on = tinted[top][..., None] & (image[..., 3:4] > 0)
        image[..., :3] = np.where(on, image[..., :3] * (1 - opacity) + tint * opacity, image[..., :3])
        return image.round().astype(np.uint8)

    def fragment(self, mesh_id: str) -> np.ndarray:
        """One fragment alone, its hidden part included (clipping applied)."""
        return to_uint8(self.raster.fragments[mesh_id])

    def tag_composite(self, tag: str) -> np.ndarray:
        ids = {mid for mid, t in self.store.tags().items() if t == tag}
        return to_uint8(self.raster.composite(ids))

    # --- picking ---------------------------------------------------------------------------------------------
    def meshes_at(self, x: int, y: int) -> list[str]:
        """Fragments covering a pixel, nearest first (Alt-click cycles through them)."""
        frame = self.raster.frame
        if not (0 <= x < frame.width and 0 <= y < frame.height):
            return []
        hits = [m.id for m in self.raster.order
                if m.id not in self.hidden and self.raster.fragments[m.id][y, x, 3] > 0.1]
        return list(reversed(hits))

    # --- queries ---------------------------------------------------------------------------------------------
    def filtered(self, pattern: str = "", unlabelled_only: bool = False, source: str | None = None) -> list[str]:
        try:
            regex = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error:
            regex = None
        out = []
        for mesh in self.model.artmeshes:
            if regex and not (regex.search(mesh.id) or regex.search(mesh.name or "")):
                continue
            if unlabelled_only and self.store.tag(mesh.id):
                continue
            if source and self.store.source(mesh.id) != source:
                continue
            out.append(mesh.id)
        return out

    def coverage(self) -> tuple[int, int]:
        labelled = sum(1 for m in self.model.artmeshes if self.store.tag(m.id))
        return labelled, len(self.model.artmeshes)
