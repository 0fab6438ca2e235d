"""Editable copies of the models sent to review, and where a model's label file is.

A model that fails the quality gate is copied (its settings and every file they name, from its folder or its zip)
into `DATASET/review/models/<key>/`, with the labels the batch made as `<stem>.labels.json` beside it: the file
Annotate reads and autosaves when it opens that copy (File ▸ Open Review List…). The batch never writes into the
models' own folders, and never overwrites a copy or a label file that exists (it may hold a person's work).

A model's label file, for the batch: its review copy's, else the one beside the model in its own folder
(`<stem>.labels.json`, where Annotate and `live2d label` keep it), else none.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from seethrough.annotation.batch.discover import FoundModel, SourceFiles
from seethrough.core.io.atomic import atomic_folder, atomic_write_bytes

REVIEW_FOLDER = "review"


def copy_folder(root: Path, key: str) -> Path:
    return root / REVIEW_FOLDER / "models" / key


def label_file_name(found: FoundModel) -> str:
    return f"{found.source.stem}.labels.json"


def label_file(root: Path, found: FoundModel) -> Path | None:
    """The label file the batch reads for `found` (module docstring), or None."""
    copy = copy_folder(root, found.key) / label_file_name(found)
    if copy.is_file():
        return copy
    if found.source.member is None:
        beside = Path(found.source.path).with_name(label_file_name(found))
        if beside.is_file():
            return beside
    return None


def sha256_of(path: Path | None) -> str:
    """The file's SHA-256 ("" for no file)."""
    return "" if path is None else hashlib.sha256(path.read_bytes()).hexdigest()


def make_review_copy(root: Path, found: FoundModel, labels_json: bytes | None) -> Path:
    """The copy's settings file, made when missing; its label file written only when there is none."""
    folder = copy_folder(root, found.key)
    if not folder.is_dir():
        with atomic_folder(folder) as tmp, SourceFiles(found.source) as files:
            for rel in (found.source.file_name, *found.files):
                data = files.read(rel)
                if data is None:
                    continue
                target = tmp / rel.replace("\\", "/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            if labels_json is not None:
                (tmp / label_file_name(found)).write_bytes(labels_json)
    elif labels_json is not None and not (folder / label_file_name(found)).exists():
        atomic_write_bytes(folder / label_file_name(found), labels_json)
    return folder / found.source.file_name
