"""What the Annotate workspace works on: a loaded Live2D model, its annotation document (the labels as a value, the
pose, the hidden meshes; `annotation.document`), its rendered fragments and the selection — and the pixel work the
views need (overlay, picking) and the labelling rules of the view (what a click picks, what the rubber band selects,
what "hide selected tags" hides, where the label file goes).

No Qt here: the widgets only display and edit this object, so every rule is plain Python that the GUI tests exercise
through the widgets. The live model is the view's: it is posed and read on the UI thread only; jobs read the
document's snapshots and render their own copies of the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seethrough.annotation.document import AnnotationDocument
from seethrough.annotation.labels import LabelSet, read_label_file
from seethrough.annotation.loader import load_model
from seethrough.annotation.model import Live2DModel
from seethrough.annotation.model_identity import ModelIdentity, model_identity
from seethrough.annotation.poses import default_poses
from seethrough.annotation.render import ALPHA_VISIBLE, Frame, ModelRaster, content_frame, model_raster, to_uint8
from seethrough.core.errors import BadInput
from seethrough.core.paths import user_data_dir
from seethrough.core.taxonomy import taxonomy

RENDER_SIZE = 1024


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


def open_labels(model: Live2DModel, tagset: str = "v3") -> tuple[AnnotationDocument, str]:
    """The model's annotation document, its labels read from the label file, and a warning ("" when none). A label
    file that cannot be used (another model's, damaged, newer) is left untouched: labels then go to a side file
    named after the model's identity. Nothing is written until the first edit."""
    ids = tuple(m.id for m in model.artmeshes)
    identity = model_identity(model)
    path = label_path_for(model.path)
    warning = ""
    try:
        labels = _read_or_empty(path, ids, identity, tagset)
    except BadInput as exc:
        side = path.with_name(f"{path.name.removesuffix('.labels.json')}-{identity.current[:8]}.labels.json")
        if not _writable(side.parent):
            side = user_data_dir() / "labels" / side.name
        labels = _read_or_empty(side, ids, identity, tagset)
        path, warning = side, f"{exc}\nLabels of this session are saved to {side} instead."
    pose = model.parameter_values()
    return AnnotationDocument(labels, model_path=model.path, pose=pose, label_path=path,
                              model_id=identity.current), warning


def _read_or_empty(path: Path, ids: tuple[str, ...], identity: ModelIdentity, tagset: str) -> LabelSet:
    if not path.exists():
        return LabelSet(ids, taxonomy_version=tagset)
    return read_label_file(path, ids, identity, tagset).labels


def _writable(folder: Path) -> bool:
    try:
        probe = folder / ".seethrough-write-test"
        probe.write_text("")
        probe.unlink()
        return True
    except OSError:
        return False


@dataclass
class AnnotationState:
    """The open model (`model`: the live one, posed and read on the UI thread only), its annotation document, the
    view frame, the selection, and the raster of the current pose."""

    model: Live2DModel
    document: AnnotationDocument
    frame: Frame
    selected: list[str] = field(default_factory=list)
    warning: str = ""
    _raster: ModelRaster | None = field(default=None, repr=False)
    _raster_version: int = field(default=-1, repr=False)
    #: (raster, hidden ids, image): the composite of the shown fragments for one raster and one hidden set
    _composite: tuple[ModelRaster, frozenset[str], np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: Path, size: int = RENDER_SIZE, tagset: str = "v3") -> AnnotationState:
        """Load the model and its labels; the view frame fits the character over the default pose sweep, so that
        posing the model never moves it out of view."""
        model = load_model(path)
        document, warning = open_labels(model, tagset)
        frame = content_frame(model, size, 0.04, poses=[values for _, values in default_poses(model)])
        state = cls(model, document, frame, warning=warning)
        state.raster  # noqa: B018 - rasterise now (in the loading job), not on the UI thread later
        return state

    @property
    def labels(self) -> LabelSet:
        return self.document.labels

    @property
    def hidden(self) -> frozenset[str]:
        return self.document.hidden

    @property
    def raster(self) -> ModelRaster:
        """The fragments at the model's current pose (kept until the model's next `update()`)."""
        if self._raster is None or self._raster_version != self.model.state_version:
            self._raster, self._raster_version = model_raster(self.model, self.frame), self.model.state_version
        return self._raster

    @property
    def mesh_ids(self) -> list[str]:
        return [m.id for m in self.model.artmeshes]

    # --- pose ------------------------------------------------------------------------------------------------------
    def full_pose(self, values: Mapping[str, float]) -> dict[str, float]:
        """Every parameter: `values` where given (unknown ids dropped), the defaults elsewhere."""
        return {p.id: float(values.get(p.id, p.default)) for p in self.model.parameters}

    def request_pose(self, values: Mapping[str, float]) -> None:
        """The user posed the model: the document holds the pose now (jobs started from here on use it); the view
        follows when the render arrives (`install_pose`)."""
        self.document.set_pose(self.full_pose(values))

    def set_pose(self, values: Mapping[str, float]) -> None:
        """Pose the live model (UI thread)."""
        self.model.reset_parameters()
        self.model.set_parameters(self.full_pose(values))
        self.model.update()

    def install_pose(self, values: Mapping[str, float], raster: ModelRaster, hidden: frozenset[str],
                     composite: np.ndarray) -> None:
        """Pose the model and take a raster (and composite) rendered elsewhere at that pose (the pose worker
        renders on its own copy of the model), so the UI thread only sets parameters (< 1 ms)."""
        self.set_pose(values)
        self._raster, self._raster_version = raster, self.model.state_version
        self._composite = (raster, hidden, composite)

    # --- images ----------------------------------------------------------------------------------------------
    def shown(self) -> set[str]:
        return {m.id for m in self.model.artmeshes if m.id not in self.hidden}

    def composite(self) -> np.ndarray:
        """The shown fragments composited: (H, W, 4) uint8 (cached per raster and hidden set)."""
        raster, hidden = self.raster, frozenset(self.hidden)
        if self._composite is None or self._composite[0] is not raster or self._composite[1] != hidden:
            self._composite = (raster, hidden, to_uint8(raster.composite(self.shown())))
        return self._composite[2]

    def top_map(self) -> np.ndarray:
        """Per pixel, the index (in `raster.order`) of the top-most shown fragment with alpha > 0.1, −1 where none.
        Hidden fragments do not hide what lies under them."""
        raster = self.raster
        top = np.full((self.frame.height, self.frame.width), -1, np.int32)
        for rank, mesh in enumerate(raster.order):
            pixels, (x0, y0, x1, y1) = raster.crops[mesh.id]
            if pixels.size and mesh.id not in self.hidden:
                top[y0:y1, x0:x1][pixels[..., 3] > ALPHA_VISIBLE] = rank
        return top

    def overlay(self, opacity: float, contours: bool = True) -> np.ndarray:
        """The render with each visible fragment tinted by its tag's colour (untagged: untouched), and a thin line
        where the visible fragment changes (the fragments' contours)."""
        image = self.composite().astype(np.float32)  # a copy: the cached composite stays as it is
        top = self.top_map()
        order = self.raster.order
        colours = np.zeros((len(order) + 1, 3), np.float32)
        tinted = np.zeros(len(order) + 1, bool)
        for rank, mesh in enumerate(order):
            tag = self.labels.tag(mesh.id)
            if tag:
                colours[rank], tinted[rank] = taxonomy().color(tag), True
        on = tinted[top][..., None] & (image[..., 3:4] > 0)
        image[..., :3] = np.where(on, image[..., :3] * (1 - opacity) + colours[top] * opacity, image[..., :3])
        if contours:
            edge = np.zeros(top.shape, bool)
            edge[:, 1:] |= top[:, 1:] != top[:, :-1]
            edge[1:, :] |= top[1:, :] != top[:-1, :]
            edge &= top >= 0
            image[edge, :3] *= 0.35
            image[edge, 3] = np.maximum(image[edge, 3], 160)
        return image.round().astype(np.uint8)

    def selection_mask(self, see_through: bool) -> np.ndarray:
        """Where the selected fragments are: their whole shape (`see_through`, hidden parts included) or only where
        they are the visible top-most fragment."""
        mask = np.zeros((self.frame.height, self.frame.width), bool)
        if not self.selected:
            return mask
        if see_through:
            for mid in self.selected:
                pixels, (x0, y0, x1, y1) = self.raster.crops[mid]
                if pixels.size:
                    mask[y0:y1, x0:x1] |= pixels[..., 3] > ALPHA_VISIBLE
            return mask
        ranks = [i for i, m in enumerate(self.raster.order) if m.id in set(self.selected)]
        return np.isin(self.top_map(), ranks)

    def fragment(self, mesh_id: str) -> np.ndarray:
        """One fragment alone, its hidden part included (clipping applied), cropped to its box."""
        pixels, _ = self.raster.crops[mesh_id]
        return to_uint8(pixels) if pixels.size else np.zeros((1, 1, 4), np.uint8)

    def tag_composite(self, tag: str) -> np.ndarray:
        """All fragments of `tag` composited on the full frame: a stray fragment stands out (paper Fig. 10 C)."""
        ids = {mid for mid, t in self.labels.tags().items() if t == tag}
        return to_uint8(self.raster.composite(ids))

    def tag_preview(self, tag: str, margin: float = 0.06) -> np.ndarray:
        """`tag_composite` cropped to the box of all its fragments (plus a margin): one stray fragment far away
        widens the box and shows up as an island."""
        image = self.tag_composite(tag)
        ys, xs = np.nonzero(image[..., 3])
        if len(xs) == 0:
            return image
        pad = int(margin * max(np.ptp(xs), np.ptp(ys)))
        h, w = image.shape[:2]
        y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, h)
        x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, w)
        return image[y0:y1, x0:x1]

    # --- picking ---------------------------------------------------------------------------------------------
    def meshes_at(self, x: int, y: int) -> list[str]:
        """Shown fragments with alpha > 0 at a pixel, nearest first (Alt-click cycles through them)."""
        if not (0 <= x < self.frame.width and 0 <= y < self.frame.height):
            return []
        raster = self.raster
        hits = [m.id for m in raster.order if m.id not in self.hidden and raster.alpha_at(m.id, x, y) > 0.0]
        return hits[::-1]

    def pick(self, x: int, y: int) -> str | None:
        """The top-most shown fragment at a pixel (its visibility mask covers it), or None."""
        raster = self.raster
        for mid in self.meshes_at(x, y):
            if raster.alpha_at(mid, x, y) > ALPHA_VISIBLE:
                return mid
        return None

    def meshes_in_rect(self, x0: int, y0: int, x1: int, y1: int) -> list[str]:
        """Shown fragments lying entirely inside a rectangle (their alpha > 0.1 box), hidden parts included."""
        out = []
        for mesh in self.model.artmeshes:
            if mesh.id in self.hidden:
                continue
            pixels, (bx, by, _, _) = self.raster.crops[mesh.id]
            if not pixels.size:
                continue
            ys, xs = np.nonzero(pixels[..., 3] > ALPHA_VISIBLE)
            if len(xs) and x0 <= bx + xs.min() and bx + xs.max() < x1 and y0 <= by + ys.min() and by + ys.max() < y1:
                out.append(mesh.id)
        return out

    # --- selection ------------------------------------------------------------------------------------------------
    def select(self, ids: Iterable[str], mode: str = "replace") -> list[str]:
        """Select ArtMeshes: "replace" the selection, "toggle" each (Ctrl-click) or "add" them (Ctrl rubber band).
        Returns the new selection."""
        ids = list(ids)
        current = list(self.selected)
        if mode == "toggle":
            current = [m for m in current if m not in ids] + [m for m in ids if m not in current]
        elif mode == "add":
            current += [m for m in ids if m not in current]
        else:
            current = ids
        self.selected = current
        return current

    # --- visibility by tag ---------------------------------------------------------------------------------------
    def selected_tags(self) -> set[str | None]:
        return {self.labels.tag(mid) for mid in self.selected}

    def set_tags_hidden(self, tags: set[str | None], hidden: bool) -> None:
        ids = {mid for mid in self.mesh_ids if self.labels.tag(mid) in tags}
        self.set_visible(ids, not hidden)

    def set_visible(self, mesh_ids: Iterable[str], visible: bool) -> None:
        ids = set(mesh_ids)
        self.document.set_hidden(self.hidden - ids if visible else self.hidden | ids)

    def hide_all_but_selected(self) -> None:
        self.document.set_hidden(set(self.mesh_ids) - set(self.selected))

    def show_all(self) -> None:
        self.document.set_hidden(())

    # --- queries ---------------------------------------------------------------------------------------------
    def matches(self, mesh_id: str, regex: re.Pattern[str] | None, unlabelled_only: bool, source: str | None) -> bool:
        """The ArtMesh list's filter: regex over id and display name, unlabelled only, labelled by one rule."""
        if regex is not None:
            mesh = self.model.artmesh(mesh_id)
            if not (regex.search(mesh.id) or regex.search(mesh.name or "")):
                return False
        if unlabelled_only and self.labels.tag(mesh_id):
            return False
        return not (source and self.labels.source(mesh_id) != source)

    def coverage(self) -> tuple[int, int]:
        labelled = sum(1 for m in self.model.artmeshes if self.labels.tag(m.id))
        return labelled, len(self.model.artmeshes)
