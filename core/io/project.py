"""The `.stproj` project file: the whole document (no undo history) in one zip.

Layout (schema_version 1):
- `project.json`: {"schema_version", "app", "canvas": [w, h], "metadata", "has_source", "layers": [...]}, each
  layer with every `Layer` field except the pixel arrays (plus "has_depth" and its pixel size for checking);
- `layers/<uid>.png` (RGBA), `layers/<uid>_depth.npy` (float32, only when the layer has a map);
- `source.png` (when the document has a source image).
Why a zip of PNG/NPY/JSON: inspectable with ordinary tools, lossless, and a schema number so that an older app
refuses (NewerSchema) a file it would misread instead of silently dropping fields.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.core.blending import NORMAL, check_mode
from seethrough.core.document import Document, DocumentLike, Layer
from seethrough.core.errors import BadInput, NewerSchema
from seethrough.core.io.atomic import atomic_writer
from seethrough.core.io.images import decode_png_bytes, encode_png

SCHEMA_VERSION = 1
PROJECT_EXTENSION = ".stproj"
_LAYER_FIELDS = (
    "name", "tag", "offset", "depth_value", "visible", "opacity", "locked", "provenance", "uid", "blend_mode",
)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _layer_entry(layer: Layer) -> dict[str, Any]:
    entry: dict[str, Any] = {f: getattr(layer, f) for f in _LAYER_FIELDS}
    entry["offset"] = list(layer.offset)
    entry["size"] = [layer.width, layer.height]
    entry["has_depth"] = layer.depth is not None
    return entry


def save_project(doc: DocumentLike, path: str | os.PathLike[str]) -> None:
    """Write `doc` to one `.stproj` file atomically (the old file stays intact if anything fails)."""
    uids = [layer.uid for layer in doc.layers]
    if len(set(uids)) != len(uids):
        raise ValueError("layer uids must be unique to be saved in a project")
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "app": "seethrough-studio",
        "canvas": [doc.width, doc.height],
        "metadata": dict(doc.metadata),
        "has_source": doc.source is not None,
        "layers": [_layer_entry(layer) for layer in doc.layers],
    }
    try:
        manifest_text = json.dumps(manifest, indent=1, ensure_ascii=False)
    except TypeError as exc:
        raise BadInput(f"document metadata cannot be saved as JSON: {exc}") from exc
    with atomic_writer(path) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        # PNG and NPY are written stored: PNG is already compressed; float depth barely deflates.
        zf.writestr(_member_info("project.json", zipfile.ZIP_DEFLATED), manifest_text)
        for layer in doc.layers:
            zf.writestr(_member_info(f"layers/{layer.uid}.png"), encode_png(layer.rgba) if layer.rgba.size else b"")
            if layer.depth is not None:
                depth_name = f"layers/{layer.uid}_depth.npy"
                zf.writestr(_member_info(depth_name, zipfile.ZIP_DEFLATED), _npy_bytes(layer.depth))
        if doc.source is not None:
            zf.writestr(_member_info("source.png"), encode_png(doc.source))


#: every member's timestamp: saves are reproducible (the same document gives the same bytes, whenever saved)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _member_info(name: str, compress_type: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    """A zip member header with a fixed time and mode, so the file's bytes depend on the document only."""
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    info.create_system = 3  # Unix, on every platform
    return info


def _member(zf: zipfile.ZipFile, name: str, where: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError as exc:
        raise BadInput(f"{where}: project file is missing {name}") from exc
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:  # CRC error, truncated member
        raise BadInput(f"{where}: project member {name} is corrupt ({exc})") from exc


def _load_npy(data: bytes, what: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False).astype(np.float32)
    except (ValueError, OSError, EOFError) as exc:
        raise BadInput(f"{what}: corrupt depth array ({exc})") from exc


def _layer_from_entry(zf: zipfile.ZipFile, entry: dict[str, Any], where: str) -> Layer:
    uid = str(entry["uid"])
    w, h = (int(v) for v in entry.get("size", (0, 0)))
    png = _member(zf, f"layers/{uid}.png", where)
    rgba = decode_png_bytes(png, f"{where}: layer {entry['name']!r}") if png else np.zeros((0, 0, 4), np.uint8)
    if rgba.shape[:2] != (h, w) and not (w == 0 or h == 0):
        raise BadInput(f"{where}: layer {entry['name']!r} pixels are {rgba.shape[1]}×{rgba.shape[0]}, expected {w}×{h}")
    if rgba.size == 0:
        rgba = np.zeros((h, w, 4), np.uint8)
    depth = None
    if entry.get("has_depth"):
        depth = _load_npy(_member(zf, f"layers/{uid}_depth.npy", where), f"{where}: layer {entry['name']!r}")
        if depth.shape != rgba.shape[:2]:
            raise BadInput(f"{where}: layer {entry['name']!r} depth {depth.shape} does not match its pixels")
    blend_mode = check_mode(entry.get("blend_mode", NORMAL), f"{where}: layer {entry['name']!r}")
    return layer_from_entry(entry, rgba, depth, uid=uid, blend_mode=blend_mode)


def load_project(path: str | os.PathLike[str]) -> Document:
    """Read a `.stproj` file. Raises BadInput (missing/corrupt) or NewerSchema (written by a newer app)."""
    p = Path(path)
    where = p.name
    if not p.is_file():
        raise BadInput(f"{p}: no such project file")
    try:
        zf = zipfile.ZipFile(p, "r")
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadInput(f"{where}: not a valid project file (corrupt zip: {exc})") from exc
    with zf:
        try:
            manifest = json.loads(_member(zf, "project.json", where).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(f"{where}: project.json is not valid JSON ({exc})") from exc
        if not isinstance(manifest, dict) or "schema_version" not in manifest:
            raise BadInput(f"{where}: project.json has no schema_version")
        version = manifest["schema_version"]
        if not isinstance(version, int):
            raise BadInput(f"{where}: schema_version {version!r} is not an integer")
        if version > SCHEMA_VERSION:
            raise NewerSchema(
                f"{where} was written by a newer See-through Studio (project schema {version}; this version reads "
                f"up to {SCHEMA_VERSION}). Update the app to open it."
            )
        try:
            width, height = (int(v) for v in manifest["canvas"])
            layers = [_layer_from_entry(zf, entry, where) for entry in manifest["layers"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"{where}: project.json is malformed ({exc!r})") from exc
        source = None
        if manifest.get("has_source"):
            source = decode_png_bytes(_member(zf, "source.png", where), f"{where}: source.png")
    return Document((width, height), layers, source=source, metadata=manifest.get("metadata") or {})


def layer_from_entry(entry: dict, rgba: np.ndarray, depth: np.ndarray | None, **overrides: object) -> Layer:
    """A Layer from a manifest entry (project.json or a PNG folder's manifest.json) and its pixels."""
    fields: dict = dict(
        name=str(entry["name"]),
        rgba=rgba,
        offset=(int(entry["offset"][0]), int(entry["offset"][1])),
        tag=entry.get("tag"),
        depth=depth,
        depth_value=float(entry.get("depth_value", 0.5)),
        visible=bool(entry.get("visible", True)),
        opacity=float(entry.get("opacity", 1.0)),
        locked=bool(entry.get("locked", False)),
        provenance=str(entry.get("provenance", "")),
        blend_mode=check_mode(entry.get("blend_mode", NORMAL), f"layer {entry['name']!r}"),
    )
    fields.update(overrides)
    return Layer(**fields)
