"""One entry point to open or save a document, whatever the file: the GUI's Open/drag-and-drop and the CLI use it.

psd-tools is imported only when a PSD is opened or saved (it costs ~0.1 s at start-up otherwise).
Dispatch is by content where possible (zip → project, `8BPS` → PSD, image magic → image) and by extension
otherwise, so a renamed file still opens and an unknown one gives UnsupportedFormat rather than a misread.
"""

from __future__ import annotations

import os
from pathlib import Path

from seethrough.core.document import Document, DocumentLike, Layer
from seethrough.core.errors import BadInput, UnsupportedFormat
from seethrough.core.io.images import IMAGE_EXTENSIONS, load_image, sniff_image_format
from seethrough.core.io.project import PROJECT_EXTENSION, load_project, save_project
from seethrough.core.io.regular import open_regular

OPEN_EXTENSIONS = frozenset({PROJECT_EXTENSION, ".psd", *IMAGE_EXTENSIONS})


def _magic(path: Path) -> bytes:
    with open_regular(path) as fh:  # a FIFO or a device is refused here, never waited on
        return fh.read(8)


def document_from_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> Document:
    """A one-layer document of a plain image: the layer is named after the file, untagged; source = the image."""
    p = Path(path)
    rgba = load_image(p, max_pixels=max_pixels)
    h, w = rgba.shape[:2]
    layer = Layer(name=p.stem, rgba=rgba.copy(), provenance=f"image: {p.name}")
    return Document((w, h), [layer], source=rgba, metadata={"imported_from": str(p)})


def load_png_folder(folder: str | os.PathLike[str]) -> Document:
    """Read a folder written by `export_png_folder` (see `core.io.png_folder`)."""
    from seethrough.core.io.png_folder import load_png_folder as load

    return load(folder)


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
