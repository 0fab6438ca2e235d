"""What a CLI command may write: an output that exists is replaced only with `--force`.

A user's files are sacred: `export -o art.psd` over a PSD that is already there, or a PNG folder over an earlier
export of ours, stops with one line (exit 2) unless `--force` is given. A folder is only ever written by the
PNG-folder export, which touches nothing but its own files (`core.io.png_folder`): a non-empty folder that holds no
export of ours is refused with or without `--force`, and the message says to choose a new or empty folder.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from seethrough.core.errors import BadInput

FORCE_HELP = "replace outputs that already exist (without it, an existing output is an error)"


def add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def output_paths(output: str | os.PathLike[str], companions: bool = True) -> list[Path]:
    """Every path writing `output` creates: a PSD's companions too."""
    out = Path(output)
    if out.suffix.lower() == ".psd" and companions:
        from seethrough.core.io.psd_export import companion_paths

        return [out, *companion_paths(out)]
    return [out]


def is_folder_output(output: str | os.PathLike[str]) -> bool:
    """A folder output is named without an extension or with a trailing slash (`out_dir/`)."""
    text = str(output)
    return Path(text).suffix == "" or text.endswith(("/", os.sep))


def check_outputs(
    output: str | os.PathLike[str], force: bool, companions: bool = True, suffixes: tuple[str, ...] | None = None
) -> None:
    """BadInput (nothing written) when an output exists and `force` is not set, or is a folder in a file's place,
    or when the folder it goes in is missing, or (with `suffixes`, "" for a folder) the type is not one of them."""
    out = Path(output)
    if suffixes is not None:
        kind = "" if is_folder_output(output) else out.suffix.lower()
        if kind not in suffixes:
            names = ", ".join(s or "a folder" for s in suffixes)
            raise BadInput(f"{out.name}: cannot write {kind or 'that'} here (use {names})")
    parent = out.parent if str(out.parent) else Path(".")
    clean_output_folders(out)
    if not parent.is_dir():
        existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise BadInput(f"cannot write {out}: {existing} is not a folder")
        raise BadInput(f"{parent}: output folder does not exist")
    if is_folder_output(output):
        if out.exists() and not out.is_dir():
            raise BadInput(f"{out}: exists and is not a folder")
        if out.is_dir() and _has_entries(out):
            from seethrough.core.io.png_folder import foreign_folder_message, own_files

            if own_files(out) is None:  # a user's folder: --force would not change that (docs/file-safety.md)
                raise BadInput(foreign_folder_message(out))
            if not force:
                raise BadInput(f"{out}: holds an earlier See-through export; add --force to replace it (only the "
                               "files that export wrote are replaced)")
        return
    for path in output_paths(out, companions):
        if path.is_dir():
            raise BadInput(f"cannot write {path}: it is a folder; give a file name for the output")
        if path.exists() and not force:
            raise BadInput(f"{path}: already exists; add --force to overwrite it")


def _has_entries(folder: Path) -> bool:
    """Whether the folder holds anything but our own temp files (a killed export's leftovers do not count)."""
    from seethrough.core.io.atomic import OLD_SUFFIX, TEMP_SUFFIX

    with os.scandir(folder) as entries:
        return any(not entry.name.endswith((TEMP_SUFFIX, OLD_SUFFIX)) for entry in entries)


def clean_output_folders(output: str | os.PathLike[str]) -> None:
    """At the start of a writing command: remove the temp files a killed run of ours left where this one writes
    (the output's folder, and the output itself when it is a folder). Only our own temp names, only when their
    process is gone (`core.io.atomic.clean_stale_temps`)."""
    from seethrough.core.io.atomic import clean_folders

    out = Path(output)
    clean_folders([out.parent if str(out.parent) else Path("."), out])
