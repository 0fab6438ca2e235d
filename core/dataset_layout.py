"""The training-data layout written by the Live2D data engine, with a reader and a validator (no Live2D needed).

The layout (documented for people in `docs/dataset-layout.md`):

    DATASET/dataset.json                      the index, written last (atomically)
    DATASET/samples/<id>/composite.png        RGBA composite (straight alpha)
    DATASET/samples/<id>/composite_rgb.png    RGB composite over a flat background
    DATASET/samples/<id>/layers/<tag>.png     full-canvas RGBA of all meshes of that tag (hidden parts included)
    DATASET/samples/<id>/visible/<tag>.png    8-bit mask, 255 where that tag is visible in the composite
    DATASET/samples/<id>/depth/<tag>.png      16-bit pseudo-depth, round(d · 65535), 0 = front, 65535 only outside
    DATASET/samples/<id>/sample.json          the sample's entry of dataset.json

`<tag>` is the tag with spaces replaced by underscores. `training/` and the validator read it through here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from seethrough.core.errors import BadInput, NewerSchema

SCHEMA_VERSION = 1
SPLITS = ("train", "val", "test")
TAXONOMIES = ("v3", "v2")
DEPTH_SCALE = 65535


def tag_file_name(tag: str) -> str:
    """`front hair` → `front_hair` (the stem of a tag's PNG files)."""
    return tag.replace(" ", "_")


@dataclass(frozen=True)
class SampleEntry:
    id: str
    model: str
    pose: dict[str, float]
    split: str
    canvas: tuple[int, int]  # (W, H)
    tags: tuple[str, ...]
    bboxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: Any, where: str = "dataset.json") -> SampleEntry:
        if not isinstance(raw, dict):
            raise BadInput(f"{where}: a sample entry is not a JSON object")
        missing = [k for k in ("id", "model", "split", "canvas", "tags") if k not in raw]
        if missing:
            raise BadInput(f"{where}: sample {raw.get('id', '?')!r} lacks {', '.join(missing)}")
        try:
            canvas = (int(raw["canvas"][0]), int(raw["canvas"][1]))
            bboxes = {str(t): tuple(int(v) for v in box) for t, box in (raw.get("bboxes") or {}).items()}
            pose = {str(k): float(v) for k, v in (raw.get("pose") or {}).items()}
        except (TypeError, ValueError, IndexError) as exc:
            raise BadInput(f"{where}: sample {raw['id']!r} has a malformed field ({exc})") from None
        return cls(str(raw["id"]), str(raw["model"]), pose, str(raw["split"]), canvas,
                   tuple(str(t) for t in raw["tags"]), bboxes)  # type: ignore[arg-type]

    def to_json(self) -> dict:
        return {"id": self.id, "model": self.model, "pose": dict(self.pose), "split": self.split,
                "canvas": list(self.canvas), "tags": list(self.tags),
                "bboxes": {t: list(b) for t, b in self.bboxes.items()}}


@dataclass
class DatasetIndex:
    root: Path
    schema_version: int
    taxonomy: str
    tags: tuple[str, ...]
    samples: list[SampleEntry]
    #: how samples were put in splits: "model" (a character in one split), "pose" or "manual" (core.dataset_split)
    split_by: str = "model"

    def sample(self, sample_id: str) -> SampleEntry:
        for entry in self.samples:
            if entry.id == sample_id:
                return entry
        raise KeyError(f"no sample {sample_id!r} in {self.root}")

    def split(self, name: str) -> list[SampleEntry]:
        return [s for s in self.samples if s.split == name]

    def folder(self, sample_id: str) -> Path:
        return self.root / "samples" / sample_id


@dataclass
class Sample:
    entry: SampleEntry
    composite: np.ndarray  # (H, W, 4) uint8 RGBA
    composite_rgb: np.ndarray  # (H, W, 3) uint8
    layers: dict[str, np.ndarray]  # tag → (H, W, 4) uint8 RGBA
    visible: dict[str, np.ndarray]  # tag → (H, W) bool
    depth: dict[str, np.ndarray]  # tag → (H, W) float32 in [0, 1], 0 = front, 1 outside the tag


def read_dataset(path: str | Path) -> DatasetIndex:
    """The index of a dataset folder (or of its dataset.json); BadInput with the reason when it is not one."""
    root = Path(path)
    if root.name == "dataset.json":
        root = root.parent
    index = root / "dataset.json"
    if not index.is_file():
        raise BadInput(f"{root} is not a dataset folder: dataset.json is missing")
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{index} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
        raise BadInput(f"{index} has no list of samples")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise BadInput(f"{index} has no integer schema_version")
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"{index} was written by a newer version (schema {version} > {SCHEMA_VERSION})")
    samples = [SampleEntry.from_json(raw, str(index)) for raw in data["samples"]]
    split_by = str(data.get("split_by", "model"))
    if split_by not in ("model", "pose", "manual"):
        raise BadInput(f"{index}: split_by {split_by!r} is not one of model, pose, manual")
    return DatasetIndex(root, version, str(data.get("taxonomy", "v3")), tuple(data.get("tags", ())), samples,
                        split_by)


def _read_png(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    if not path.is_file():
        raise BadInput(f"the dataset is incomplete: {path} is missing")
    img = cv2.imread(str(path), flags)
    if img is None:
        raise BadInput(f"cannot read {path} (not a PNG, or damaged)")
    return img


def _rgba(img: np.ndarray, path: Path) -> np.ndarray:
    if img.ndim != 3 or img.shape[2] != 4 or img.dtype != np.uint8:
        raise BadInput(f"{path} is not an 8-bit RGBA PNG (shape {img.shape}, {img.dtype})")
    return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)


def check_canvas(img: np.ndarray, path: Path, canvas: tuple[int, int]) -> np.ndarray:
    """`img` itself when it covers the sample's canvas (W, H) exactly, else BadInput naming the file."""
    w, h = canvas
    if img.shape[:2] != (h, w):
        raise BadInput(f"{path} is {img.shape[1]}×{img.shape[0]}, but its sample's canvas is {w}×{h}")
    return img


def read_sample(index: DatasetIndex, sample_id: str) -> Sample:
    """All images of one sample, decoded (depth as float32 in [0, 1]); each is checked against the canvas."""
    entry = index.sample(sample_id)
    folder = index.folder(sample_id)

    def png(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
        return check_canvas(_read_png(path, flags), path, entry.canvas)

    composite = _rgba(png(folder / "composite.png"), folder / "composite.png")
    rgb = png(folder / "composite_rgb.png", cv2.IMREAD_COLOR)
    layers, visible, depth = {}, {}, {}
    for tag in entry.tags:
        stem = tag_file_name(tag)
        layers[tag] = _rgba(png(folder / "layers" / f"{stem}.png"), folder / "layers" / f"{stem}.png")
        visible[tag] = png(folder / "visible" / f"{stem}.png", cv2.IMREAD_GRAYSCALE) > 127
        raw = png(folder / "depth" / f"{stem}.png")
        if raw.dtype != np.uint16 or raw.ndim != 2:
            raise BadInput(f"{folder / 'depth' / stem}.png is not a 16-bit grey PNG")
        depth[tag] = raw.astype(np.float32) / DEPTH_SCALE
    return Sample(entry, composite, cv2.cvtColor(rgb, cv2.COLOR_BGR2RGB), layers, visible, depth)


def validate_dataset(path: str | Path, check_pixels: bool = True) -> list[str]:
    """Every problem found in a dataset folder, one line each (empty list: valid). With `check_pixels`, every
    image is decoded and checked against the layout's rules (sizes, types, disjoint visibility, depth range)."""
    try:
        index = read_dataset(path)
    except BadInput as exc:
        return [str(exc)]
    problems: list[str] = []
    if index.taxonomy not in TAXONOMIES:
        problems.append(f"unknown taxonomy {index.taxonomy!r} (expected one of {', '.join(TAXONOMIES)})")
    seen: set[str] = set()
    split_of_model: dict[str, str] = {}
    for entry in index.samples:
        where = f"sample {entry.id!r}"
        if entry.id in seen:
            problems.append(f"{where}: the id is used twice")
        seen.add(entry.id)
        if entry.split not in SPLITS:
            problems.append(f"{where}: split {entry.split!r} is not one of {', '.join(SPLITS)}")
        if index.split_by == "model" and split_of_model.setdefault(entry.model, entry.split) != entry.split:
            problems.append(f"{where}: model {entry.model!r} appears in two splits (the split is per model)")
        unknown = [t for t in entry.tags if t not in index.tags]
        if unknown:
            problems.append(f"{where}: tags not in the dataset's tag list: {', '.join(unknown)}")
        if set(entry.bboxes) != set(entry.tags):
            problems.append(f"{where}: bboxes and tags name different tags")
        folder = index.folder(entry.id)
        if not folder.is_dir():
            problems.append(f"{where}: folder {folder} is missing")
            continue
        problems.extend(_validate_sample_files(index, entry, folder, check_pixels))
    return problems


def _validate_sample_files(index: DatasetIndex, entry: SampleEntry, folder: Path, check_pixels: bool) -> list[str]:
    where = f"sample {entry.id!r}"
    problems = []
    try:
        own = json.loads((folder / "sample.json").read_text(encoding="utf-8"))
        if SampleEntry.from_json(own, str(folder / "sample.json")) != entry:
            problems.append(f"{where}: sample.json differs from its dataset.json entry")
    except (OSError, json.JSONDecodeError, BadInput) as exc:
        problems.append(f"{where}: sample.json unreadable ({exc})")
    expected = {f"{sub}/{tag_file_name(t)}.png" for t in entry.tags for sub in ("layers", "visible", "depth")}
    subs = ("layers", "visible", "depth")
    present = {f"{p.parent.name}/{p.name}" for sub in subs for p in (folder / sub).glob("*.png")}
    for name in sorted(expected - present):
        problems.append(f"{where}: {name} is missing")
    for name in sorted(present - expected):
        problems.append(f"{where}: {name} is not listed in the sample's tags")
    if not check_pixels or expected - present:
        return problems
    try:
        sample = read_sample(index, entry.id)
    except BadInput as exc:
        return [*problems, f"{where}: {exc}"]
    w, h = entry.canvas
    images = {"composite": sample.composite, "composite_rgb": sample.composite_rgb}
    images.update({f"layers/{t}": v for t, v in sample.layers.items()})
    images.update({f"visible/{t}": v for t, v in sample.visible.items()})
    images.update({f"depth/{t}": v for t, v in sample.depth.items()})
    for name, img in images.items():
        if img.shape[:2] != (h, w):
            problems.append(f"{where}: {name} is {img.shape[1]}×{img.shape[0]}, the canvas is {w}×{h}")
    if any(p.endswith("canvas is " + f"{w}×{h}") for p in problems):
        return problems
    if sample.visible:
        overlap = np.stack(list(sample.visible.values())).sum(axis=0)
        if overlap.max() > 1:
            problems.append(f"{where}: visibility masks overlap on {int((overlap > 1).sum())} px")
    for tag in entry.tags:
        alpha = sample.layers[tag][..., 3] > 0
        if not alpha.any():
            problems.append(f"{where}: layer {tag!r} is empty")
            continue
        if (sample.visible[tag] & ~alpha).any():
            problems.append(f"{where}: {tag!r} is visible where its layer is transparent")
        if (sample.depth[tag][~alpha] < 1.0).any():
            problems.append(f"{where}: depth of {tag!r} is set outside its layer (must be {DEPTH_SCALE} there)")
        if (sample.depth[tag][alpha] >= 1.0).any():
            problems.append(f"{where}: depth of {tag!r} is missing ({DEPTH_SCALE}) under its layer")
        ys, xs = np.nonzero(alpha)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        if tuple(entry.bboxes.get(tag, ())) != box:
            problems.append(f"{where}: bbox of {tag!r} is {entry.bboxes.get(tag)}, its layer's alpha box is {box}")
    return problems
