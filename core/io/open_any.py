"""One entry point to open or save a document, whatever the file: the GUI's Open/drag-and-drop and the CLI use it.

psd-tools is imported only when a PSD is opened or saved (it costs ~0.1 s at start-up otherwise).
Dispatch is by content where possible (zip → project, `8BPS` → PSD, image magic → image) and by extension
otherwise, so a renamed file still opens and an unknown one gives UnsupportedFormat rather than a misread.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from seethrough.core.document import Document, DocumentLike, Layer
from seethrough.core.errors import BadInput, UnsupportedFormat
from seethrough.core.io.images import IMAGE_EXTENSIONS, decode_png_bytes, load_image, sniff_image_format
from seethrough.core.io.project import PROJECT_EXTENSION, layer_from_entry, load_project, save_project

OPEN_EXTENSIONS = frozenset({PROJECT_EXTENSION, ".psd", *IMAGE_EXTENSIONS})


def _magic(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def document_from_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> Document:
    """A one-layer document of a plain image: the layer is named after the file, untagged; source = the image."""
    p = Path(path)
    rgba = load_image(p, max_pixels=max_pixels)
    h, w = rgba.shape[:2]
    layer = Layer(name=p.stem, rgba=rgba.copy(), provenance=f"image: {p.name}")
    return Document((w, h), [layer], source=rgba, metadata={"imported_from": str(p)})


def load_png_folder(folder: str | os.PathLike[str]) -> Document:
    """Read a folder written by `export_png_folder` (manifest.json + one PNG per layer)."""
    f = Path(folder)
    try:
        manifest = json.loads((f / "manifest.json").read_text(encoding="utf-8"))
        width, height = (int(v) for v in manifest["canvas"])
        entries = sorted(manifest["layers"], key=lambda e: int(e["order"]))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"{f.name}: unreadable manifest.json ({exc!r})") from exc
    layers = []
    for entry in entries:
        if not entry.get("file"):
            continue
        rgba = decode_png_bytes(_read(f / entry["file"]), f"{f.name}/{entry['file']}")
        depth = None
        if entry.get("depth_file"):
            depth = _read_depth16(f / entry["depth_file"])
            if depth.shape != rgba.shape[:2]:
                raise BadInput(f"{f.name}/{entry['depth_file']}: size does not match {entry['file']}")
        layers.append(layer_from_entry(entry, rgba, depth, provenance=f"png folder: {f.name}"))
    source = None
    if (f / "composite.png").is_file():
        source = decode_png_bytes(_read(f / "composite.png"), f"{f.name}/composite.png")
    return Document((width, height), layers, source=source, metadata={"imported_from": str(f)})


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _read_depth16(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            arr = np.asarray(im)
    except OSError as exc:
        raise BadInput(f"{path.name}: corrupt depth PNG ({exc})") from exc
    scale = 65535.0 if arr.dtype != np.uint8 else 255.0
    return (arr.astype(np.float32) / scale).clip(0, 1)


def open_document(path: str | os.PathLike[str], max_pixels: int | None = None) -> Document:
    """Open a project, PSD, image or PNG folder. Raises BadInput / UnsupportedFormat / NewerSchema / ImageTooLarge."""
    p = Path(path)
    if p.is_dir():
        if (p / "manifest.json").is_file():
            return load_png_folder(p)
        raise UnsupportedFormat(f"{p.name}: a folder without manifest.json is not a See-through layer folder")
    if not p.exists():
        raise BadInput(f"{p}: no such file")
    head = _magic(p)
    ext = p.suffix.lower()
    if head.startswith(b"PK\x03\x04") or ext == PROJECT_EXTENSION:
        return load_project(p)
    if head.startswith(b"8BPS") or ext in (".psd", ".psb"):
        from seethrough.core.io.psd_import import import_psd

        return import_psd(p, max_pixels=max_pixels)
    if sniff_image_format(p) is not None or ext in IMAGE_EXTENSIONS:
        return document_from_image(p, max_pixels=max_pixels)
    raise UnsupportedFormat(f"{p.name}: unknown file type (open a .stproj, .psd, PNG, JPEG, WEBP or BMP)")


def save_document(doc: DocumentLike, path: str | os.PathLike[str]) -> list[Path]:
    """Save by extension: `.stproj` project, `.psd` (+ companions), or a folder of PNGs (no extension / trailing /)."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == PROJECT_EXTENSION:
        save_project(doc, p)
        return [p]
    if ext == ".psd":
        from seethrough.core.io.psd_export import export_psd

        return export_psd(doc, p)
    if ext == "" or p.is_dir() or str(path).endswith(("/", os.sep)):
        from seethrough.core.io.psd_export import export_png_folder

        return [export_png_folder(doc, p)]
    raise UnsupportedFormat(f"{p.name}: cannot save as {ext!r} (use .stproj, .psd or a folder)")
