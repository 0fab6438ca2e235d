"""The readers and writers the format registry (core.io.formats) calls, one per format, each importing its library
only when called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seethrough.core.document import Document, DocumentLike, Layer


def read_project(path: Path, max_pixels: int | None = None) -> Document:
    from seethrough.core.io.project import load_project

    return load_project(path)


def write_project(doc: DocumentLike, path: Path, **options: Any) -> list[Path]:
    from seethrough.core.io.project import save_project

    save_project(doc, path)
    return [path]


def read_psd(path: Path, max_pixels: int | None = None) -> Document:
    from seethrough.core.io.psd_import import import_psd

    return import_psd(path, max_pixels=max_pixels)


def write_psd(doc: DocumentLike, path: Path, **options: Any) -> list[Path]:
    """Options: `groups` (head/body groups), `companions` (depth PSD and JSON), `progress`, `cancel`."""
    from seethrough.core.io.psd_export import export_psd

    return export_psd(doc, path, **options)


def read_image(path: Path, max_pixels: int | None = None) -> Document:
    """A one-layer document of a plain image: the layer is named after the file, untagged; source = the image."""
    from seethrough.core.io.images import load_image

    rgba = load_image(path, max_pixels=max_pixels)
    h, w = rgba.shape[:2]
    layer = Layer(name=path.stem, rgba=rgba.copy(), provenance=f"image: {path.name}")
    return Document((w, h), [layer], source=rgba, metadata={"imported_from": str(path)})


def write_composite(doc: DocumentLike, path: Path, **options: Any) -> list[Path]:
    """The flattened composite (`mode`: stack, depth or zbuffer) as PNG."""
    from seethrough.core.compositing import composite
    from seethrough.core.errors import UnsupportedFormat
    from seethrough.core.io.images import save_png

    if path.suffix.lower() != ".png":
        raise UnsupportedFormat(f"{path.name}: a flattened image is written as .png")
    save_png(path, composite(doc, mode=options.get("mode", "stack")))
    return [path]


def read_png_folder(path: Path, max_pixels: int | None = None) -> Document:
    from seethrough.core.io.png_folder import load_png_folder

    return load_png_folder(path)


def write_png_folder(doc: DocumentLike, path: Path, **options: Any) -> list[Path]:
    """Options: `progress`, `cancel`."""
    from seethrough.core.io.psd_export import export_png_folder

    return [export_png_folder(doc, path, **options)]
