"""Open or save a document, whatever the file: thin names over the format registry (core.io.formats), which the
GUI's Open/Export, drag and drop, the CLI and autosave all use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from seethrough.core.document import Document, DocumentLike
from seethrough.core.io.formats import read_document, write_document


def document_from_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> Document:
    """A one-layer document of a plain image: the layer is named after the file, untagged; source = the image."""
    from seethrough.core.io.format_io import read_image

    return read_image(Path(path), max_pixels)


def open_document(path: str | os.PathLike[str], max_pixels: int | None = None) -> Document:
    """Open a project, PSD, image or PNG folder (core.io.formats). Raises BadInput / UnsupportedFormat /
    NewerSchema / ImageTooLarge."""
    return read_document(path, max_pixels)


def save_document(doc: DocumentLike, path: str | os.PathLike[str], **options: Any) -> list[Path]:
    """Save in the format the path names: `.stproj` project, `.psd` (+ companions), `.png` composite, or a folder of
    PNGs (no extension / trailing /)."""
    return write_document(doc, path, **options)
