"""Writing the batch's dataset, one model at a time, in either layout (the driver is the only writer).

- `FolderStore`: the folder layout of docs/dataset-layout.md (`samples/<id>/…`, `dataset.json`), what
  `live2d export` writes and `training` reads; each sample folder is built in a temp folder and renamed into place.
- `ShardStore`: WebDataset tar shards (`core.dataset_shards`), one shard per model (`shards/<model key>.tar`),
  written to a temp file and renamed into place, and `shards.json`.

A model's "items" are what it puts in the dataset (its sample ids, or its shard): the manifest records them before
they are written, so that a resumed batch can remove what a kill left half-way. The index lists the samples of the
exported models in key order and is rewritten whole (atomically), so it never names a sample that is not complete.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from seethrough.annotation.dataset import index_bytes, write_sample_files
from seethrough.core import dataset_shards
from seethrough.core.io.atomic import atomic_write_bytes, clean_stale_temps

Samples = Sequence[tuple[dict, dict[str, bytes]]]


class DatasetStore(Protocol):
    root: Path
    index_name: str

    def items(self, key: str, samples: Samples) -> list[str]:
        """What writing `samples` of model `key` puts in the dataset."""
        ...

    def write(self, key: str, samples: Samples) -> list[dict]:
        """Write the model's samples (replacing its earlier ones); returns their index entries."""
        ...

    def remove(self, items: Sequence[str]) -> None:
        ...

    def write_index(self, tagset: str, split_by: str, entries: Sequence[dict]) -> None:
        ...

    def clean(self) -> None:
        """Remove the temp files and folders a killed writer left."""
        ...


class FolderStore:
    index_name = "dataset.json"

    def __init__(self, root: Path) -> None:
        self.root = root

    def items(self, key: str, samples: Samples) -> list[str]:
        return [str(entry["id"]) for entry, _ in samples]

    def write(self, key: str, samples: Samples) -> list[dict]:
        for entry, files in samples:
            write_sample_files(self.root / "samples" / str(entry["id"]), files)
        return [entry for entry, _ in samples]

    def remove(self, items: Sequence[str]) -> None:
        for sample in items:
            shutil.rmtree(self.root / "samples" / sample, ignore_errors=True)

    def write_index(self, tagset: str, split_by: str, entries: Sequence[dict]) -> None:
        atomic_write_bytes(self.root / self.index_name, index_bytes(tagset, split_by, entries))

    def clean(self) -> None:
        clean_stale_temps(self.root / "samples")
        clean_stale_temps(self.root)


class ShardStore:
    index_name = dataset_shards.INDEX_NAME

    def __init__(self, root: Path) -> None:
        self.root = root

    def items(self, key: str, samples: Samples) -> list[str]:
        return [f"{dataset_shards.FOLDER}/{key}.tar"] if samples else []

    def write(self, key: str, samples: Samples) -> list[dict]:
        if not samples:
            return []
        shard = self.items(key, samples)[0]
        keyed = [(dataset_shards.shard_key(str(entry["id"])), files) for entry, files in samples]
        atomic_write_bytes(self.root / shard, dataset_shards.tar_bytes(keyed))
        return [{**entry, "shard": shard, "key": k} for (entry, _), (k, _) in zip(samples, keyed)]

    def remove(self, items: Sequence[str]) -> None:
        for shard in items:
            (self.root / shard).unlink(missing_ok=True)

    def write_index(self, tagset: str, split_by: str, entries: Sequence[dict]) -> None:
        data = index_bytes(tagset, split_by, entries, {"format": dataset_shards.FORMAT})
        atomic_write_bytes(self.root / self.index_name, data)

    def clean(self) -> None:
        clean_stale_temps(self.root / dataset_shards.FOLDER)
        clean_stale_temps(self.root)


def make_store(root: Path, layout: str) -> DatasetStore:
    return ShardStore(root) if layout == "shards" else FolderStore(root)
