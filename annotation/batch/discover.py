"""Finding the Live2D models under a root folder, in folders and inside .zip files, and telling duplicates apart.

A model is its settings file (`*.model3.json`, Cubism 3+, or `*.model.json`, Cubism 2) and the files it names. Its
content key is the SHA-256 of what the export reads: the settings (parsed and re-serialised with sorted keys, so
spacing does not matter), the moc, the textures, the display names and the pose file, each by its name and bytes.
Two copies of a model in differently named folders, or one zipped, have the same key: only the first (in sorted
path order) is processed, the others are listed as duplicates. Motions, physics and expressions do not change the
key (the export does not read them) but are copied with a model sent to review.

Everything here reads; nothing is extracted or written. A zip member larger than `MAX_MEMBER_BYTES` is not read
(its model fails in the worker with the reason), so a zip bomb cannot stall discovery.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seethrough.core.errors import BadInput

SETTINGS_SUFFIXES = (".model3.json", ".model.json")
#: a zip member above this size is never read by discovery (its model is reported instead)
MAX_MEMBER_BYTES = 512 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelSource:
    """Where a model's settings file is: `path` itself, or the member `member` of the zip file `path`."""

    path: str
    member: str | None = None

    @property
    def file_name(self) -> str:
        return posixpath.basename(self.member) if self.member is not None else os.path.basename(self.path)

    @property
    def stem(self) -> str:
        """`Hiyori` for `Hiyori.model3.json` (what the label file and the dataset name are made of)."""
        return self.file_name.split(".")[0] or "model"

    def shown(self, root: Path) -> str:
        """The source relative to the batch's root (`zoo/a.zip!Mark/Mark.model3.json` for a zip member)."""
        try:
            rel = Path(self.path).relative_to(root).as_posix()
        except ValueError:
            rel = Path(self.path).as_posix()
        return f"{rel}!{self.member}" if self.member is not None else rel


@dataclass(frozen=True)
class FoundModel:
    source: ModelSource
    key: str  # SHA-256 hex of the content (module docstring)
    #: every file the settings name (content and optional), relative to the settings file's folder
    files: tuple[str, ...] = ()


@dataclass
class Discovery:
    models: list[FoundModel] = field(default_factory=list)  # unique content, first copy in sorted order
    duplicates: list[tuple[ModelSource, FoundModel]] = field(default_factory=list)  # (copy, the one processed)


def is_settings_file(name: str) -> bool:
    return name.endswith(SETTINGS_SUFFIXES)


def find_sources(root: Path) -> Iterator[ModelSource]:
    """Every settings file under `root` (recursively; symlinked folders are not followed) and in its .zip files,
    in sorted path order (so that which copy of a duplicate is kept does not depend on the file system)."""
    root = Path(root)
    if root.is_file():
        yield from _sources_in_file(root)
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            yield from _sources_in_file(Path(folder) / name)


def _sources_in_file(path: Path) -> Iterator[ModelSource]:
    if is_settings_file(path.name):
        yield ModelSource(str(path))
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist() if is_settings_file(n) and _safe_member(n))
        except (OSError, zipfile.BadZipFile, ValueError):
            return  # not a zip we can read: nothing in it is a model we could load
        for name in names:
            yield ModelSource(str(path), name)


def _safe_member(name: str) -> bool:
    """A zip member path that stays inside the archive's tree (no absolute path, no `..`)."""
    parts = name.replace("\\", "/").split("/")
    return not name.startswith(("/", "\\")) and ".." not in parts and ":" not in parts[0]


class SourceFiles:
    """Reading the files of one model relative to its settings file, from a folder or from a zip."""

    def __init__(self, source: ModelSource) -> None:
        self.source = source
        self._zip = zipfile.ZipFile(source.path) if source.member is not None else None
        self._base = posixpath.dirname(source.member) if source.member is not None else ""

    def __enter__(self) -> SourceFiles:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._zip is not None:
            self._zip.close()

    def member(self, rel: str) -> str | None:
        """The zip member name of `rel` (None when `rel` would leave the model's folder)."""
        joined = posixpath.normpath(posixpath.join(self._base, rel.replace("\\", "/")))
        return joined if _safe_member(joined) and not joined.startswith("../") else None

    def settings_bytes(self) -> bytes:
        return self.read(self.source.file_name) or b""

    def digest(self, rel: str) -> str | None:
        """SHA-256 of a file of the model (None when it is missing, unreadable, outside the folder or too big)."""
        h = hashlib.sha256()
        try:
            for chunk in self._chunks(rel):
                h.update(chunk)
        except (OSError, KeyError, zipfile.BadZipFile, ValueError, _TooBig):
            return None
        return h.hexdigest()

    def read(self, rel: str) -> bytes | None:
        try:
            return b"".join(self._chunks(rel))
        except (OSError, KeyError, zipfile.BadZipFile, ValueError, _TooBig):
            return None

    def _chunks(self, rel: str) -> Iterator[bytes]:
        if self._zip is None:
            base = Path(self.source.path).parent
            if not _inside_folder(base, rel):
                raise KeyError(rel)
            with open(base / rel.replace("\\", "/"), "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    yield chunk
            return
        name = self.member(rel)
        if name is None:
            raise KeyError(rel)
        if self._zip.getinfo(name).file_size > MAX_MEMBER_BYTES:
            raise _TooBig(name)
        read = 0
        with self._zip.open(name) as fh:
            while chunk := fh.read(_CHUNK):
                read += len(chunk)
                if read > MAX_MEMBER_BYTES:  # the header lied about the size
                    raise _TooBig(name)
                yield chunk


class _TooBig(Exception):
    pass


def _inside_folder(base: Path, rel: str) -> bool:
    parts = rel.replace("\\", "/").split("/")
    return bool(rel) and not os.path.isabs(rel) and ".." not in parts and ":" not in parts[0]


def referenced_files(settings: object, cubism2: bool) -> tuple[list[str], list[str]]:
    """(content files, optional files) a settings file names, relative to its folder, in the file's order."""
    if not isinstance(settings, dict):
        return [], []
    refs: dict = settings
    content_keys: tuple[str, ...] = ("model", "textures", "pose")
    optional_keys: tuple[str, ...] = ("physics",)
    entry_keys: tuple[str, ...] = ("file", "sound")
    lists: tuple[str, ...] = ("expressions",)
    if not cubism2:
        found = settings.get("FileReferences")
        refs = found if isinstance(found, dict) else {}
        content_keys, optional_keys = ("Moc", "Textures", "DisplayInfo", "Pose"), ("Physics", "UserData")
        entry_keys, lists = ("File", "Sound"), ("Expressions",)
    motions = refs.get("motions" if cubism2 else "Motions")
    content = [name for key in content_keys for name in _names(refs.get(key))]
    optional = [name for key in optional_keys for name in _names(refs.get(key))]
    for key in lists:
        entries = refs.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                optional += [n for k in entry_keys for n in _names(entry.get(k))]
    if isinstance(motions, dict):
        for group in motions.values():
            for entry in group if isinstance(group, list) else []:
                if isinstance(entry, dict):
                    optional += [n for k in entry_keys for n in _names(entry.get(k))]
    return content, [n for n in dict.fromkeys(optional) if n not in content]


def _names(value: object) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


def fingerprint(source: ModelSource) -> FoundModel:
    """The model's content key and the files it names (a damaged settings file still gets a key: its bytes)."""
    h = hashlib.sha256()
    with SourceFiles(source) as files:
        raw = files.settings_bytes()
        try:
            settings = json.loads(raw.decode("utf-8-sig"))
            canonical = json.dumps(settings, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        except (UnicodeDecodeError, ValueError, RecursionError):
            settings, canonical = None, raw
        h.update(b"settings\0" + source.file_name.split(".", 1)[-1].encode() + b"\0" + canonical + b"\0")
        content, optional = referenced_files(settings, source.file_name.endswith(".model.json"))
        for name in content:
            digest = files.digest(name)
            h.update(f"{name}\0{digest or 'missing'}\0".encode())
    return FoundModel(source, h.hexdigest(), tuple(dict.fromkeys([*content, *optional])))


def discover(root: Path) -> Discovery:
    """The unique models under `root` and the duplicates skipped (BadInput when `root` does not exist)."""
    root = Path(root)
    if not root.exists():
        raise BadInput(f"{root} does not exist")
    found = Discovery()
    first: dict[str, FoundModel] = {}
    for source in find_sources(root):
        model = fingerprint(source)
        if model.key in first:
            found.duplicates.append((source, first[model.key]))
        else:
            first[model.key] = model
            found.models.append(model)
    return found
