"""Reading an exported dataset (layout: docs/dataset-layout.md) into training samples.

`dataset.json` lists the samples with their split; each `samples/<id>/` folder holds `composite.png` (RGBA),
`layers/<tag>.png` (full-canvas RGBA, hidden parts included) and `depth/<tag>.png` (16-bit, value = d·65535,
0 = near, 65535 outside the tag). Tag names with spaces are stored with underscores.

A dataset written as WebDataset tar shards (`core.dataset_shards`: `shards.json` instead of `dataset.json`) is read
the same way: the same files, read from the sample's shard by offset instead of from its folder.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from seethrough.core.dataset_shards import INDEX_NAME as SHARD_INDEX
from seethrough.core.dataset_shards import ShardReader
from seethrough.core.errors import BadInput
from seethrough.training.augment import TrainSample

SCHEMA_VERSION = 1


def tag_file_name(tag: str) -> str:
    return tag.replace(" ", "_")


def _read_rgba(path: Path) -> np.ndarray:
    if not path.exists():
        raise BadInput(f"the dataset is incomplete: {path} is missing")
    return _as_rgba(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), path)


def _as_rgba(img: np.ndarray | None, path: Path) -> np.ndarray:
    if img is None:
        raise BadInput(f"cannot read {path}")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
    elif img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    if img.dtype == np.uint16:
        img = (img // 256).astype(np.uint8)
    return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)


def _read_depth(path: Path) -> np.ndarray:
    return _as_depth(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), path)


def _as_depth(img: np.ndarray | None, path: Path) -> np.ndarray:
    if img is None:
        raise BadInput(f"cannot read {path}")
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    return (img.astype(np.float32) / scale).reshape(img.shape[:2])


@dataclass(frozen=True)
class SampleEntry:
    id: str
    split: str
    tags: tuple[str, ...]
    canvas: tuple[int, int] | None = None  # (W, H) as dataset.json states it
    shard: str | None = None  # a shard dataset's: the sample's tar (relative to the root) and its key there
    key: str | None = None


def _canvas(raw: dict) -> tuple[int, int] | None:
    value = raw.get("canvas")
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    return None


def _check_size(img: np.ndarray, path: Path, canvas: tuple[int, int]) -> np.ndarray:
    w, h = canvas
    if img.shape[:2] != (h, w):
        raise BadInput(f"{path} is {img.shape[1]}×{img.shape[0]}, but its sample's canvas is {w}×{h}")
    return img


class LayerDataset:
    """The samples of one split of an exported dataset."""

    def __init__(self, root: str | Path, split: str | None = "train") -> None:
        self.root = Path(root)
        index = self.root / "dataset.json"
        self._shards: ShardReader | None = None
        if not index.exists() and (self.root / SHARD_INDEX).exists():
            index, self._shards = self.root / SHARD_INDEX, ShardReader(self.root)
        if not index.exists():
            raise BadInput(f"{self.root} is not a dataset folder: dataset.json is missing")
        from seethrough.core.io import safe_json
        from seethrough.core.io.schemas import DatasetIndexFile, validate

        data = safe_json.read(index)  # depth- and size-limited, finite numbers
        if isinstance(data, dict) and isinstance(data.get("samples"), list):
            validate(DatasetIndexFile, data, str(index))  # sample ids are folder names: no '..', no '/'

        if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
            raise BadInput(f"{index} has no list of samples")
        version = int(data.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise BadInput(f"{index} was written by a newer version (schema {version} > {SCHEMA_VERSION})")
        self.taxonomy = str(data.get("taxonomy", "v3"))
        self.tags: tuple[str, ...] = tuple(data.get("tags", ()))
        entries = []
        for raw in data["samples"]:
            if not isinstance(raw, dict) or "id" not in raw:
                raise BadInput(f"{index}: a sample entry has no id")
            entries.append(SampleEntry(str(raw["id"]), str(raw.get("split", "train")), tuple(raw.get("tags", ())),
                                       _canvas(raw), _text(raw.get("shard")), _text(raw.get("key"))))
        self.entries = [e for e in entries if split is None or e.split == split]
        if not self.entries:
            present = Counter(e.split for e in entries)
            have = ", ".join(f"{k} {v}" for k, v in sorted(present.items())) or "none"
            raise BadInput(f"{self.root} has no samples in the {split!r} split (it has: {have}); a dataset of one "
                           "or a few models should be split per pose: re-export with `live2d export --split pose` "
                           "(the default 'auto' does this below 10 models)")

    def __len__(self) -> int:
        return len(self.entries)

    def folder(self, index: int) -> Path:
        return self.root / "samples" / self.entries[index].id

    def load(self, index: int) -> TrainSample:
        if self._shards is not None:
            return self._load_from_shard(index)
        folder = self.folder(index)
        composite = _read_rgba(folder / "composite.png")
        h, w = composite.shape[:2]
        canvas = self.entries[index].canvas or (w, h)
        _check_size(composite, folder / "composite.png", canvas)
        layers, depths = {}, {}
        for tag in self.entries[index].tags:
            name = tag_file_name(tag)
            layer_path = folder / "layers" / f"{name}.png"
            if not layer_path.exists():
                raise BadInput(f"sample {self.entries[index].id}: layer {tag!r} is listed but {layer_path} is missing")
            layers[tag] = _check_size(_read_rgba(layer_path), layer_path, canvas)
            depth_path = folder / "depth" / f"{name}.png"
            if depth_path.exists():
                depths[tag] = _check_size(_read_depth(depth_path), depth_path, canvas)
        return TrainSample(composite, layers, depths)

    def _load_from_shard(self, index: int) -> TrainSample:
        """`load` for a shard dataset: the same files and checks, decoded from the sample's shard."""
        assert self._shards is not None
        entry = self.entries[index]
        if entry.shard is None or entry.key is None:
            raise BadInput(f"{self.root / SHARD_INDEX}: sample {entry.id} names no shard and key")
        files = self._shards.files(entry.shard, entry.key)
        where = self.root / entry.shard

        def decode(rel: str) -> np.ndarray | None:
            data = files.get(rel)
            return None if data is None else cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)

        if "composite.png" not in files:
            raise BadInput(f"the dataset is incomplete: {where} has no composite.png for sample {entry.id}")
        composite = _as_rgba(decode("composite.png"), where / entry.id / "composite.png")
        h, w = composite.shape[:2]
        canvas = entry.canvas or (w, h)
        _check_size(composite, where / entry.id / "composite.png", canvas)
        layers, depths = {}, {}
        for tag in entry.tags:
            name = tag_file_name(tag)
            layer_path = where / entry.id / "layers" / f"{name}.png"
            if f"layers/{name}.png" not in files:
                raise BadInput(f"sample {entry.id}: layer {tag!r} is listed but {layer_path} is missing")
            layers[tag] = _check_size(_as_rgba(decode(f"layers/{name}.png"), layer_path), layer_path, canvas)
            if f"depth/{name}.png" in files:
                depth_path = where / entry.id / "depth" / f"{name}.png"
                depths[tag] = _check_size(_as_depth(decode(f"depth/{name}.png"), depth_path), depth_path, canvas)
        return TrainSample(composite, layers, depths)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
