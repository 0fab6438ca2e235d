"""The one registry of file formats: what can be opened, imported and exported, how each is recognised, read and
written, and what writing it loses. File ▸ Open / Export, drag and drop, the command line and autosave all ask here.

A file is recognised by its content first (zip → project, `8BPS` → PSD, image magic → image), then by its name
(`.model3.json` / `.model.json` → a Live2D model, which opens in Annotate rather than as a layer document), so a
renamed file still opens and an unknown one gives `UnsupportedFormat` rather than a misread. Readers and writers are
imported only when used (psd-tools costs ~0.1 s at start-up).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from seethrough.core.errors import BadInput, UnsupportedFormat
from seethrough.core.io.regular import open_regular

if TYPE_CHECKING:
    from seethrough.core.document import Document, DocumentLike

#: what opening a format gives: a layer document, or a Live2D model (the Annotate workspace)
Opens = Literal["document", "live2d"]


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    extensions: tuple[str, ...]  # lower case, with the dot; () for a folder
    opens: Opens | None  # None: write-only
    reader: str | None = None  # "module:function" (path, max_pixels) → Document
    writer: str | None = None  # "module:function" (doc, path, **options) → list[Path]
    sniff: Callable[[bytes], bool] | None = None  # recognises the first bytes
    folder: bool = False
    #: the extensions it is written with, when fewer than it is read from (a flattened image is written as PNG)
    written_as: tuple[str, ...] | None = None
    #: what a document loses when written in this format (shown by the export dialogs and the CLI)
    loses: str = ""

    def read(self, path: Path, max_pixels: int | None = None) -> Document:
        if self.reader is None:
            raise UnsupportedFormat(f"{path.name}: {self.label} files are written, not opened")
        return _call(self.reader, path, max_pixels=max_pixels)

    def write(self, doc: DocumentLike, path: Path, **options: Any) -> list[Path]:
        if self.writer is None:
            raise UnsupportedFormat(f"{path.name}: cannot save as {self.label}")
        return _call(self.writer, doc, path, **options)

    @property
    def write_extensions(self) -> tuple[str, ...]:
        return self.extensions if self.written_as is None else self.written_as

    @property
    def pattern(self) -> str:
        """Glob patterns for a file dialog's filter."""
        return " ".join(f"*{ext}" for ext in self.extensions)


def _call(target: str, *args: Any, **kwargs: Any) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


_IO = "seethrough.core.io.format_io"
FORMATS: tuple[Format, ...] = (
    Format("project", "See-through project", (".stproj",), "document", f"{_IO}:read_project",
           f"{_IO}:write_project", sniff=lambda head: head.startswith(b"PK\x03\x04")),
    Format("psd", "Photoshop layered PSD", (".psd", ".psb"), "document", f"{_IO}:read_psd", f"{_IO}:write_psd",
           sniff=lambda head: head.startswith(b"8BPS"), written_as=(".psd",),
           loses="pseudo-depth maps go to <name>_depth.psd and the See-through data to <name>.psd.json"),
    Format("image", "Image", (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".tga"), "document",
           f"{_IO}:read_image", f"{_IO}:write_composite", sniff=lambda head: _image_magic(head) is not None,
           written_as=(".png",),
           loses="a single flattened image: the layers, depth and tags are not kept"),
    Format("png-folder", "Folder of PNG layers", (), "document", f"{_IO}:read_png_folder", f"{_IO}:write_png_folder",
           folder=True),
    Format("live2d", "Live2D model", (".model3.json", ".model.json"), "live2d"),
)


def _image_magic(head: bytes) -> str | None:
    from seethrough.core.io.images import sniff_image_bytes

    return sniff_image_bytes(head)


def by_key(key: str) -> Format:
    for fmt in FORMATS:
        if fmt.key == key:
            return fmt
    raise KeyError(key)


def _named_as(path: Path, fmt: Format) -> bool:
    name = path.name.lower()
    return any(name.endswith(ext) for ext in fmt.extensions)


def format_for_reading(path: str | os.PathLike[str]) -> Format:
    """The format of an existing file or folder (content first, then name)."""
    p = Path(path)
    if p.is_dir():
        if (p / "manifest.json").is_file():
            return by_key("png-folder")
        models = sorted(p.glob("*.model3.json")) or sorted(p.glob("*.model.json"))
        if len(models) == 1:
            return by_key("live2d")
        raise UnsupportedFormat(f"{p.name}: a folder without manifest.json is not a See-through layer folder")
    if not p.exists():
        raise BadInput(f"{p}: no such file")
    with open_regular(p) as fh:  # a FIFO or device is refused in one line, never waited on
        head = fh.read(16)
    live2d = by_key("live2d")
    if _named_as(p, live2d):
        return live2d
    for fmt in FORMATS:
        if fmt.sniff is not None and fmt.sniff(head):
            return fmt
    for fmt in FORMATS:
        if fmt.opens is not None and _named_as(p, fmt):
            return fmt
    raise UnsupportedFormat(f"{p.name}: unknown file type (open {readable_names()})")


def format_for_writing(path: str | os.PathLike[str]) -> Format:
    """The format a path asks for by its name: a folder (no extension, or a trailing slash), or an extension."""
    text = str(path)
    p = Path(text)
    if p.suffix == "" or text.endswith(("/", os.sep)) or p.is_dir():
        return by_key("png-folder")
    name = p.name.lower()
    for fmt in FORMATS:
        if fmt.writer is not None and any(name.endswith(ext) for ext in fmt.write_extensions):
            return fmt
    raise UnsupportedFormat(f"{p.name}: cannot save as {p.suffix!r} (use {writable_names()})")


def readable_names() -> str:
    return ", ".join(fmt.label if fmt.folder else f"{fmt.label} ({', '.join(fmt.extensions)})"
                     for fmt in FORMATS if fmt.opens is not None)


def writable_names() -> str:
    return ", ".join("a folder" if fmt.folder else "/".join(fmt.write_extensions) for fmt in FORMATS if fmt.writer)


def output_suffixes() -> tuple[str, ...]:
    """The extensions a document can be written to ("" for a folder): the CLI's `-o`."""
    return tuple(ext for fmt in FORMATS if fmt.writer for ext in (fmt.write_extensions or ("",)))


def open_filter() -> str:
    """A file dialog's filter for everything that opens, then each format (Qt's syntax, no Qt needed)."""
    files = [fmt for fmt in FORMATS if fmt.opens is not None and not fmt.folder]
    every = " ".join(fmt.pattern for fmt in files)
    return ";;".join([f"Everything See-through opens ({every})", *(f"{fmt.label} ({fmt.pattern})" for fmt in files),
                      "All files (*)"])


def read_document(path: str | os.PathLike[str], max_pixels: int | None = None) -> Document:
    """Open a layer document (project, PSD with its companions, image, PNG folder). A Live2D model is not a layer
    document: BadInput says where it opens."""
    p = Path(path)
    fmt = format_for_reading(p)
    if fmt.opens == "live2d":
        raise BadInput(f"{p.name} is a Live2D model: open it in the Annotate workspace, or use `seethrough-gui "
                       "live2d …`")
    return fmt.read(p, max_pixels)


def write_document(doc: DocumentLike, path: str | os.PathLike[str], **options: Any) -> list[Path]:
    """Write `doc` in the format its path names; returns every file written (a PSD's companions too)."""
    return format_for_writing(path).write(doc, Path(path), **options)
