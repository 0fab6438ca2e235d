"""The `.stproj` project file: the whole document (no undo history) in one zip.

Layout (schema_version 2):
- `project.json`: {"schema_version", "app", "canvas": [w, h], "metadata", "has_source", "layers": [...]}, each
  layer with every `Layer` field except the pixel arrays (plus "has_depth" and its pixel size for checking), and
  "mask": {"box": [x0, y0, x1, y1], "fill": 0 | 255, "enabled"} when it has a layer mask;
- `layers/<uid>.png` (RGBA), `layers/<uid>_depth.npy` (float32, only when the layer has a map),
  `layers/<uid>_mask.png` (8-bit grey, the mask over its box; only when the box is not empty);
- `source.png` (when the document has a source image).
Why a zip of PNG/NPY/JSON: inspectable with ordinary tools, lossless, and a schema number so that an older app
refuses (NewerSchema) a file it would misread instead of silently dropping fields.

Versions: 1 has no layer masks; 2 adds them. A document without masks is written as version 1, so the apps
that read only version 1 still open it; one with a mask is version 2 (those apps refuse it rather than drop the
mask). Both are read.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.core.blending import NORMAL, check_mode
from seethrough.core.document import Document, DocumentLike, Layer
from seethrough.core.errors import BadInput, NewerSchema
from seethrough.core.io import safe_json
from seethrough.core.io.atomic import atomic_writer
from seethrough.core.io.images import decode_png_bytes, encode_png
from seethrough.core.io.regular import open_regular
from seethrough.core.io.schemas import ProjectLayer, ProjectManifest, ProjectMask, validate
from seethrough.core.layer_mask import LayerMask
from seethrough.core.tiles import TiledPlane

SCHEMA_VERSION = 2
#: the version written for a document without layer masks (every reader since the first opens it)
PLAIN_SCHEMA_VERSION = 1
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
    if layer.layer_mask is not None:
        mask = layer.layer_mask
        entry["mask"] = {"box": list(mask.box), "fill": mask.fill, "enabled": mask.enabled}
    return entry


def _mask_png(mask: LayerMask) -> bytes | None:
    """The mask's pixels over its box as grey PNG bytes, None when the box is empty (all `fill`)."""
    if mask.plane.width == 0 or mask.plane.height == 0:
        return None
    return encode_png(np.ascontiguousarray(mask.plane.to_dense()))


def save_project(doc: DocumentLike, path: str | os.PathLike[str]) -> None:
    """Write `doc` to one `.stproj` file atomically (the old file stays intact if anything fails)."""
    uids = [layer.uid for layer in doc.layers]
    if len(set(uids)) != len(uids):
        raise ValueError("layer uids must be unique to be saved in a project")
    has_masks = any(layer.layer_mask is not None for layer in doc.layers)
    manifest = {
        "schema_version": SCHEMA_VERSION if has_masks else PLAIN_SCHEMA_VERSION,
        "app": "seethrough-studio",
        "canvas": [doc.width, doc.height],
        "metadata": dict(doc.metadata),
        "has_source": doc.source is not None,
        "layers": [_layer_entry(layer) for layer in doc.layers],
    }
    try:
        manifest_text = safe_json.dumps(manifest)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"document metadata cannot be saved as JSON: {exc}") from exc
    # never write a project this app could not open again
    validate(ProjectManifest, safe_json.loads(manifest_text, "project.json"), f"{Path(path).name}: cannot save")
    with atomic_writer(path) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        # PNG and NPY are written stored: PNG is already compressed; float depth barely deflates.
        zf.writestr(_member_info("project.json", zipfile.ZIP_DEFLATED), manifest_text)
        for layer in doc.layers:
            zf.writestr(_member_info(f"layers/{layer.uid}.png"), encode_png(layer.rgba) if layer.rgba.size else b"")
            if layer.depth is not None:
                depth_name = f"layers/{layer.uid}_depth.npy"
                zf.writestr(_member_info(depth_name, zipfile.ZIP_DEFLATED), _npy_bytes(layer.depth))
            mask_png = None if layer.layer_mask is None else _mask_png(layer.layer_mask)
            if mask_png is not None:
                zf.writestr(_member_info(f"layers/{layer.uid}_mask.png"), mask_png)
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


#: the largest member we decompress: an 8192² RGBA PNG or float32 depth array is at most ~270 MB
MAX_MEMBER_BYTES = 1 << 30
#: what Python's zipfile decompresses (we write stored and deflated; other tools may re-zip with bzip2 or LZMA)
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _member(zf: zipfile.ZipFile, name: str, where: str) -> bytes:
    """A member's bytes; BadInput for a missing, encrypted, oddly compressed, oversized or corrupt member."""
    try:
        info = zf.getinfo(name)
    except KeyError as exc:
        raise BadInput(f"{where}: project file is missing {name}") from exc
    if info.flag_bits & 0x1:
        raise BadInput(f"{where}: project member {name} is encrypted (a project is never password-protected)")
    if info.compress_type not in _READABLE_METHODS:
        raise BadInput(f"{where}: project member {name} uses zip compression method {info.compress_type}, which "
                       "cannot be read (a project is stored or deflated)")
    limit = safe_json.MAX_BYTES if name.endswith(".json") else MAX_MEMBER_BYTES
    if info.file_size > limit:  # the reader stops at the declared size: this bounds what a zip bomb can cost
        raise BadInput(f"{where}: project member {name} claims {info.file_size:,} bytes, over the limit of "
                       f"{limit:,}")
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise BadInput(f"{where}: project member {name} is corrupt ({exc})") from exc  # CRC error, truncated…


def _load_npy(data: bytes, what: str) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise BadInput(f"{what}: corrupt depth array ({exc})") from exc
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise BadInput(f"{what}: the depth array is {arr.shape} {arr.dtype}, not a 2-D number array")
    depth = arr.astype(np.float32)
    if not np.isfinite(depth).all():
        raise BadInput(f"{what}: the depth array holds NaN or infinite values")
    return np.clip(depth, 0.0, 1.0)


def _layer_from_entry(zf: zipfile.ZipFile, entry: ProjectLayer, where: str) -> Layer:
    uid = entry.uid
    w, h = entry.size
    what = f"{where}: layer {entry.name[:80]!r}"
    png = _member(zf, f"layers/{uid}.png", where)
    rgba = decode_png_bytes(png, what) if png else np.zeros((0, 0, 4), np.uint8)
    if rgba.shape[:2] != (h, w) and not (w == 0 or h == 0):
        raise BadInput(f"{what}: pixels are {rgba.shape[1]}×{rgba.shape[0]}, expected {w}×{h}")
    if rgba.size == 0:
        rgba = np.zeros((h, w, 4), np.uint8)
    depth = None
    if entry.has_depth:
        depth = _load_npy(_member(zf, f"layers/{uid}_depth.npy", where), what)
        if depth.shape != rgba.shape[:2]:
            raise BadInput(f"{what}: depth {depth.shape} does not match its pixels")
    blend_mode = check_mode(entry.blend_mode, what)
    mask = None if entry.mask is None else _mask_from_entry(zf, entry.mask, uid, where, what)
    return layer_from_entry(entry, rgba, depth, uid=uid, blend_mode=blend_mode, layer_mask=mask)


def _mask_from_entry(zf: zipfile.ZipFile, entry: ProjectMask, uid: str, where: str, what: str) -> LayerMask:
    x0, y0, x1, y1 = entry.box
    if x1 == x0 or y1 == y0:
        return LayerMask(TiledPlane.constant((x0, y0, x1, y1), entry.fill, np.uint8), entry.enabled)
    grey = decode_png_bytes(_member(zf, f"layers/{uid}_mask.png", where), f"{what}: mask")[..., 0]
    if grey.shape != (y1 - y0, x1 - x0):
        raise BadInput(f"{what}: the mask is {grey.shape[1]}×{grey.shape[0]}, its box {x1 - x0}×{y1 - y0}")
    return LayerMask.from_array(np.ascontiguousarray(grey), (x0, y0), fill=entry.fill, enabled=entry.enabled)


def read_manifest(zf: zipfile.ZipFile, where: str) -> ProjectManifest:
    """project.json, checked: JSON with limits, the schema version first (NewerSchema), then every field."""
    data = safe_json.loads(_member(zf, "project.json", where), f"{where}: project.json")
    if not isinstance(data, dict) or "schema_version" not in data:
        raise BadInput(f"{where}: project.json has no schema_version")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadInput(f"{where}: project.json: schema_version {str(version)[:40]!r} is not an integer")
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"{where} was written by a newer See-through Studio (project schema {version}; this version reads "
            f"up to {SCHEMA_VERSION}). Update the app to open it."
        )
    return validate(ProjectManifest, data, f"{where}: project.json")


def load_project(path: str | os.PathLike[str]) -> Document:
    """Read a `.stproj` file. Raises BadInput (missing/corrupt/invalid) or NewerSchema (written by a newer app)."""
    p = Path(path)
    where = p.name
    with open_regular(p) as fh:  # missing, a FIFO or a device: one line, never a wait
        try:
            zf = zipfile.ZipFile(fh, "r")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise BadInput(f"{where}: not a valid project file (corrupt zip: {exc})") from exc
        with zf:
            return _read_project(zf, where)


def _read_project(zf: zipfile.ZipFile, where: str) -> Document:
    manifest = read_manifest(zf, where)
    width, height = manifest.canvas
    layers = [_layer_from_entry(zf, entry, where) for entry in manifest.layers]
    source = None
    if manifest.has_source:
        source = decode_png_bytes(_member(zf, "source.png", where), f"{where}: source.png")
        if source.shape[:2] != (height, width):
            size = f"{source.shape[1]}×{source.shape[0]}"
            raise BadInput(f"{where}: source.png is {size}, the canvas {width}×{height}")
    return Document((width, height), layers, source=source, metadata=dict(manifest.metadata))


def layer_from_entry(entry: Any, rgba: np.ndarray, depth: np.ndarray | None, **overrides: object) -> Layer:
    """A Layer from a validated manifest entry (project.json or a PNG folder's manifest.json) and its pixels."""
    fields: dict = dict(
        name=entry.name,
        rgba=rgba,
        offset=tuple(entry.offset),
        tag=entry.tag,
        depth=depth,
        depth_value=float(entry.depth_value),
        visible=bool(entry.visible),
        opacity=float(entry.opacity),
        locked=bool(getattr(entry, "locked", False)),
        provenance=getattr(entry, "provenance", ""),
        blend_mode=check_mode(getattr(entry, "blend_mode", NORMAL), f"layer {entry.name[:80]!r}"),
    )
    fields.update(overrides)
    return Layer(**fields)
