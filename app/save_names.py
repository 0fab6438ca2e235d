"""What a save or export dialog suggests: the name of what is written (the document, the Live2D model) with the
file type's suffix, in the folder the user chose for this kind of file last time, else beside the file it came from,
else in the folder of the last opened file, else the home folder. Every save/export dialog of the app starts there, so
a user never has to type a name or walk to the right folder on first contact."""

from __future__ import annotations

from pathlib import Path

from seethrough.app import settings as keys
from seethrough.app.settings import Settings

#: suffixes that are one file type although they hold a dot (the stem of `Mark.model3.json` is `Mark`)
COMPOUND_SUFFIXES = (".model3.json", ".model.json", ".labels.json", ".psd.json")


def stem_of(name: str) -> str:
    """The base name of a document or model file: `char.stproj` → `char`, `Mark.model3.json` → `Mark`."""
    base = Path(name).name
    for suffix in COMPOUND_SUFFIXES:
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return Path(base).stem or "untitled"


def last_folder() -> Path:
    """The folder of the last file opened, or the home folder."""
    last = Settings().get(keys.LAST_FILE)
    folder = Path(last).parent if last else Path.home()
    return folder if folder.is_dir() else Path.home()


def suggested_path(name: str, suffix: str, beside: Path | None = None, folder: Path | None = None,
                   free: bool = False) -> Path:
    """`<stem of name><suffix>` in `folder` (when it exists), else beside the file `beside`, else in `last_folder()`.
    `free`: the first of `x.ext`, `x-2.ext`, `x-3.ext`, … that does not exist yet (for writers that refuse to replace
    a file; a dialog that asks before replacing does not need it)."""
    stem = stem_of(name or "untitled")
    where = next((f for f in (folder, beside.parent if beside is not None else None) if f is not None and f.is_dir()),
                 last_folder())
    path = where / f"{stem}{suffix}"
    number = 2
    while free and path.exists() and number < 10_000:
        path = where / f"{stem}-{number}{suffix}"
        number += 1
    return path
