"""The dataset layout as WebDataset tar shards, for datasets too large to keep as millions of files.

    DATASET/shards.json                 the index: `dataset.json`'s schema, `"format": "webdataset"`, and per sample
                                        `"shard"` (the tar, relative to DATASET) and `"key"` (its key in the tar)
    DATASET/shards/<name>.tar           the samples, each as the members `<key>.<file>`

A sample's files are those of its folder in the folder layout (docs/dataset-layout.md) with `/` turned into `.`:
`<key>.composite.png`, `<key>.composite_rgb.png`, `<key>.sample.json`, `<key>.layers.front_hair.png`,
`<key>.visible.front_hair.png`, `<key>.depth.front_hair.png`. This is WebDataset's convention (a sample is the
consecutive members sharing the part of the name before the first dot), so `webdataset.WebDataset(urls)` streams
the shards as they are; keys are SHA-1 prefixes of the sample ids, which may hold dots themselves.

Shards are written reproducibly (USTAR, members in sorted order, mtime 0, owner 0, mode 0644): the same samples
give the same bytes. Reading needs no listing of files: `ShardReader` indexes each tar's members once (their data
offsets) and reads a sample's members by offset.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from seethrough.core.errors import BadInput

FORMAT = "webdataset"
INDEX_NAME = "shards.json"
FOLDER = "shards"


def shard_key(sample_id: str) -> str:
    """The sample's key in its shard (no dots, fixed length)."""
    return hashlib.sha1(sample_id.encode("utf-8")).hexdigest()[:24]


def member_name(key: str, rel: str) -> str:
    """`layers/front_hair.png` of sample `key` → `key.layers.front_hair.png`."""
    return f"{key}.{rel.replace('/', '.')}"


def relative_path(suffix: str) -> str:
    """The inverse of `member_name` after the key: `layers.front_hair.png` → `layers/front_hair.png`."""
    parts = suffix.split(".")
    return f"{parts[0]}/{'.'.join(parts[1:])}" if len(parts) > 2 else suffix


def tar_bytes(samples: Sequence[tuple[str, Mapping[str, bytes]]]) -> bytes:
    """A shard holding `samples` ((key, files by relative path) each), reproducibly (module docstring)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for key, files in samples:
            for rel in sorted(files):
                data = files[rel]
                info = tarfile.TarInfo(member_name(key, rel))
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class ShardReader:
    """Random access to the samples of a shard dataset: `files(shard, key)` → {relative path: bytes}."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._members: dict[str, dict[str, dict[str, tuple[int, int]]]] = {}
        self._lock = threading.Lock()

    def _index(self, shard: str) -> dict[str, dict[str, tuple[int, int]]]:
        with self._lock:
            if shard not in self._members:
                self._members[shard] = _read_members(self._path(shard))
            return self._members[shard]

    def _path(self, shard: str) -> Path:
        parts = Path(shard).parts
        if Path(shard).is_absolute() or ".." in parts or not shard.endswith(".tar"):
            raise BadInput(f"{self.root / INDEX_NAME}: shard {shard!r} is not a .tar inside the dataset")
        return self.root / shard

    def files(self, shard: str, key: str) -> dict[str, bytes]:
        members = self._index(shard).get(key)
        if members is None:
            raise BadInput(f"the dataset is incomplete: sample {key} is not in {self.root / shard}")
        out = {}
        with open(self._path(shard), "rb") as fh:
            for rel, (offset, size) in members.items():
                fh.seek(offset)
                out[rel] = fh.read(size)
        return out


def _read_members(path: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """key → {relative path: (data offset, size)} of a shard (headers only: nothing is decompressed or read)."""
    if not path.is_file():
        raise BadInput(f"the dataset is incomplete: {path} is missing")
    members: dict[str, dict[str, tuple[int, int]]] = {}
    try:
        with tarfile.open(path, mode="r:") as tar:
            for info in tar:
                if not info.isfile() or "." not in info.name or "/" in info.name:
                    continue
                key, suffix = info.name.split(".", 1)
                members.setdefault(key, {})[relative_path(suffix)] = (info.offset_data, info.size)
    except (OSError, tarfile.TarError) as exc:
        raise BadInput(f"cannot read the shard {path} ({exc})") from None
    return members
