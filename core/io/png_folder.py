"""The PNG-folder export and its reader: one PNG (+ 16-bit depth PNG) per layer, `composite.png`, `manifest.json`.

A user's folder is sacred. The export writes only its own files: into a new or empty folder, or into a folder
holding a `manifest.json` of ours, where it replaces the files that manifest lists and nothing else; any other
non-empty folder is refused (nothing written). The folder itself is never replaced, so its permissions and the
user's other files stay. The members are written as a set (`core.io.atomic.write_set`, under a journal),
`manifest.json` renamed first: after a kill either the previous export or the new one is complete (the reader
takes a killed write's members from their temp names, listed in the journal). The manifest records the SHA-256 of
every file, so a reader that finds a member from another write (a copy, an older version's interrupted write)
says so. Layer names
become file names sanitised and capped (`safe_filename`); the original name stays in the manifest.

A PNG has no layer mask: a layer's mask is applied to the PNG written (the layer as it is drawn; docs/masks.md).

The reader validates the manifest (`core.io.schemas.PngFolderManifest`) and never opens a file outside the
folder: listed names are plain file names, and a symlink leading elsewhere is refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seethrough.core.document import Document, DocumentLike
from seethrough.core.errors import BadInput, Cancelled
from seethrough.core.io import safe_json
from seethrough.core.io.atomic import TEMP_SUFFIX, clean_stale_temps, write_set
from seethrough.core.io.images import decode_png_bytes, encode_png
from seethrough.core.io.limits import max_pixels
from seethrough.core.io.project import layer_from_entry
from seethrough.core.io.regular import open_regular
from seethrough.core.io.schemas import PngFolderManifest, SetMember, validate
from seethrough.core.io.set_journal import pending_renames

log = logging.getLogger(__name__)

FORMAT = "seethrough-png-folder"
MANIFEST = "manifest.json"
COMPOSITE = "composite.png"
#: characters of a layer name kept in its file name (the full name is in the manifest)
NAME_CHARS = 60

_UNSAFE = re.compile(r"[^\w\-.+ ]+", re.UNICODE)


def safe_filename(name: str, limit: int = NAME_CHARS) -> str:
    """A file-name-safe, length-capped version of a layer name (letters, digits, space, `-`, `_`, `.`, `+`)."""
    text = unicodedata.normalize("NFC", name)
    cleaned = _UNSAFE.sub("_", text).strip(" ._")
    cleaned = cleaned[:limit].rstrip(" .")
    while len(cleaned.encode("utf-8")) > 3 * limit:  # wide scripts: keep the bytes under the file-system limit
        cleaned = cleaned[:-1]
    return cleaned or "layer"


def _sha(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def own_files(folder: Path) -> set[str] | None:
    """The files the folder's manifest says we wrote, or None when it has no manifest of ours."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = validate(PngFolderManifest, safe_json.read(path), f"{folder.name}/{MANIFEST}")
    except BadInput:
        return None
    owned = {MANIFEST, COMPOSITE}
    for layer in manifest.layers:
        owned.update(name for name in (layer.file, layer.depth_file) if name)
    owned.update(manifest.files or {})
    return owned


def foreign_folder_message(folder: Path) -> str:
    """Why a non-empty folder that is not one of our exports is refused (with or without --force: we never write
    among a user's own files)."""
    return (f"{folder}: the folder holds files that are not a See-through export (no {MANIFEST} of ours): export "
            "into a new or empty folder (nothing was written, nothing was removed)")


def _check_target(folder: Path) -> tuple[set[str], bool]:
    """(files of ours that may be replaced, whether the folder is new); BadInput when it is not ours to write."""
    if not folder.exists():
        return set(), True
    if not folder.is_dir():
        raise BadInput(f"{folder}: exists and is not a folder; choose a folder for the PNG layers")
    clean_stale_temps(folder)
    present = [n for n in os.listdir(folder) if not n.endswith(TEMP_SUFFIX)]
    if not present:
        return set(), False
    owned = own_files(folder)
    if owned is None:
        raise BadInput(foreign_folder_message(folder))
    return owned, False


def export_png_folder(
    doc: DocumentLike,
    folder: str | os.PathLike[str],
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Path:
    """Write `<order>_<name>.png` (cropped RGBA), `<order>_<name>_depth.png` (16-bit, 0 = nearest), `composite.png`
    and `manifest.json` into `folder`; see the module docstring for what it will and will not touch."""
    from seethrough.core.io.psd_export import composite_image

    folder = Path(folder)
    owned, new = _check_target(folder)
    layers = list(doc.layers)
    total = len(layers) + 1
    entries, blobs, files = [], [], {}
    for order, layer in enumerate(layers):
        if cancel is not None and cancel():
            raise Cancelled("export cancelled; nothing was written")
        stem = f"{order:02d}_{safe_filename(layer.name)}"
        entry = {
            "name": layer.name,
            "tag": layer.tag,
            "file": None,
            "depth_file": None,
            "bbox": list(layer.bbox),
            "offset": list(layer.offset),
            "depth_value": float(layer.depth_value),
            "visible": bool(layer.visible),
            "opacity": float(layer.opacity),
            "blend_mode": layer.blend_mode,  # read back by `load_png_folder` (older folders: normal)
            "order": order,
        }
        if layer.rgba.size:
            depth16 = np.clip(np.rint(layer.depth_or_constant() * 65535.0), 0, 65535).astype(np.uint16)
            for key, name, data in (("file", f"{stem}.png", encode_png(layer.shown_rgba)),  # layer mask applied
                                    ("depth_file", f"{stem}_depth.png", encode_png(depth16))):
                entry[key] = name
                files[name] = _sha(data)
                blobs.append((folder / name, data))
        else:
            log.warning("PNG export: layer %r is empty, no image written", layer.name)
        entries.append(entry)
        if progress is not None:
            progress(order + 1, total)
    if cancel is not None and cancel():
        raise Cancelled("export cancelled; nothing was written")
    composite = encode_png(composite_image(doc))
    files[COMPOSITE] = _sha(composite)
    blobs.append((folder / COMPOSITE, composite))
    manifest = {
        "format": FORMAT,
        "version": 1,
        "canvas": [doc.width, doc.height],
        "frame_size": [doc.height, doc.width],
        "depth_encoding": "16-bit PNG, value/65535 = depth, 0 = nearest",
        "layers": entries,
        "files": files,
    }
    # first: readers open the manifest first, so its rename commits the set (core.io.set_journal)
    blobs.insert(0, (folder / MANIFEST, safe_json.dumps(manifest).encode("utf-8")))
    try:
        write_set(blobs)
    except BaseException:
        if new:
            _remove_if_empty(folder)
        raise
    for name in sorted(owned - set(files) - {MANIFEST}):  # ours from the previous export, no longer listed
        stale = folder / name
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)
    if progress is not None:
        progress(total, total)
    return folder


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


# --- reading ----------------------------------------------------------------------------------------------------------
def contained(folder: Path, name: str) -> Path:
    """`folder/name`, refusing a path that resolves (through a symlink) outside the folder."""
    path = folder / name
    real_folder = os.path.realpath(folder)
    real = os.path.realpath(path)
    if os.path.commonpath([real_folder, real]) != real_folder:
        raise BadInput(f"{folder.name}/{name}: leads outside the folder (a document only reads its own files)")
    return path


def _read_member(folder: Path, name: str, record: SetMember | None, pending: dict[str, Path] | None = None) -> bytes:
    path = contained(folder, name)
    if pending and name in pending:  # a member of a set whose write was killed after its manifest was renamed
        path = pending[name]
    try:
        with open_regular(path, f"{folder.name}/{name}") as fh:  # a FIFO or a device: refused, never waited on
            data = fh.read()
    except OSError as exc:
        raise BadInput(f"{folder.name}/{name}: cannot read ({exc.strerror or exc})") from None
    if record is not None and hashlib.sha256(data).hexdigest() != record.sha256:
        raise BadInput(
            f"{folder.name}/{name} does not match {MANIFEST} (the folder mixes files of two exports; an export was "
            "interrupted — export again)"
        )
    return data


def _depth16(data: bytes, what: str) -> np.ndarray:
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > max_pixels():
                raise BadInput(f"{what}: {im.width}×{im.height} is over the image limit")
            arr = np.asarray(im)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise BadInput(f"{what}: corrupt depth PNG ({exc})") from None
    if arr.ndim != 2:
        raise BadInput(f"{what}: a depth PNG must be one grey channel")
    scale = 65535.0 if arr.dtype != np.uint8 else 255.0
    return (arr.astype(np.float32) / scale).clip(0, 1)


def load_png_folder(folder: str | os.PathLike[str]) -> Document:
    """Read a folder written by `export_png_folder` (validated; nothing outside the folder is read)."""
    f = Path(folder)
    pending = pending_renames(f)
    manifest = validate(PngFolderManifest, safe_json.read(contained(f, MANIFEST)), f"{f.name}/{MANIFEST}")
    records = manifest.files or {}
    width, height = manifest.canvas
    layers = []
    for entry in sorted(manifest.layers, key=lambda e: e.order):
        if not entry.file:
            continue
        rgba = decode_png_bytes(_read_member(f, entry.file, records.get(entry.file), pending),
                                f"{f.name}/{entry.file}")
        depth = None
        if entry.depth_file:
            data = _read_member(f, entry.depth_file, records.get(entry.depth_file), pending)
            depth = _depth16(data, f"{f.name}/{entry.depth_file}")
            if depth.shape != rgba.shape[:2]:
                raise BadInput(f"{f.name}/{entry.depth_file}: size does not match {entry.file}")
        layers.append(layer_from_entry(entry, rgba, depth, provenance=f"png folder: {f.name}"))
    source = None
    if (f / COMPOSITE).is_file() or COMPOSITE in pending:
        source = decode_png_bytes(_read_member(f, COMPOSITE, records.get(COMPOSITE), pending), f"{f.name}/{COMPOSITE}")
        if source.shape[:2] != (height, width):
            source = None  # a composite of another size is not this document's source
    return Document((width, height), layers, source=source, metadata={"imported_from": str(f)})
