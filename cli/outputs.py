"""What a CLI command may write: an output that exists is replaced only with `--force`.

A user's files are sacred: `export -o art.psd` over a PSD that is already there, or a PNG folder into a
non-empty folder, stops with one line (exit 2) unless `--force` is given. A folder is only ever written by the
PNG-folder export, which by itself touches nothing but its own files (`core.io.png_folder`).
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
    if not parent.is_dir():
        existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise BadInput(f"cannot write {out}: {existing} is not a folder")
        raise BadInput(f"{parent}: output folder does not exist")
    if is_folder_output(output):
        if out.exists() and not out.is_dir():
            raise BadInput(f"{out}: exists and is not a folder")
        if out.is_dir() and any(os.scandir(out)) and not force:
            raise BadInput(f"{out}: the folder is not empty; add --force to replace an earlier export there")
        return
    for path in output_paths(out, companions):
        if path.is_dir():
            raise BadInput(f"cannot write {path}: it is a folder; give a file name for the output")
        if path.exists() and not force:
            raise BadInput(f"{path}: already exists; add --force to overwrite it")
