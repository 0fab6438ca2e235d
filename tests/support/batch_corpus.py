"""A corpus of Live2D models for the batch tests, built in a temp folder from the fixture models (never committed).

Good models: copies in renamed folders, a zipped model, a variant (same files, its settings file changed) and a
model the gate sends to review (Wanko, a dog: its labels are mostly uncertain). Duplicates: an identical copy in
another folder and a zipped copy. Bad models: a truncated `.moc3`, a missing texture, a texture that is a
decompression bomb (a small PNG that decodes to 8000×8000, within the pixel cap: it fails on the worker's memory
cap) and a model that hangs the loader through the worker's test hook.
"""

from __future__ import annotations

import json
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HANG_FILE = "Hang.model3.json"


@dataclass
class Corpus:
    root: Path
    exported: list[str] = field(default_factory=list)  # sources (relative to root) that must be exported
    review: list[str] = field(default_factory=list)  # sources the gate holds for review
    failed: dict[str, str] = field(default_factory=dict)  # source → a fragment of its reason
    duplicates: dict[str, str] = field(default_factory=dict)  # copy → the source processed instead


def copy_model(src: Path, dst: Path) -> None:
    """Copy a model folder with fresh permissions (the fixtures are read-only)."""
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def zip_model(src: Path, archive: Path, inside: str) -> None:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                zf.write(path, f"{inside}/{path.relative_to(src).as_posix()}")


def with_extra_key(settings: Path, value: str, rename: str | None = None) -> Path:
    """The settings file with one more (ignored) key, so its content key differs; optionally renamed."""
    data = json.loads(settings.read_text(encoding="utf-8"))
    data["CorpusVariant"] = value
    target = settings.with_name(rename) if rename else settings
    target.write_text(json.dumps(data, indent=1), encoding="utf-8")
    if rename:
        settings.unlink()
    return target


def bomb_png(path: Path, side: int = 8000) -> None:
    """An RGBA PNG of side² transparent pixels, a few hundred KB on disk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + 4 * side)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def build_corpus(fixtures: Path, root: Path, bad: bool = True, hang: bool = True, bomb: bool = True) -> Corpus:
    corpus = Corpus(root)
    copy_model(fixtures / "Mark", root / "boys" / "first" / "Mark")
    corpus.exported.append("boys/first/Mark/Mark.model3.json")
    copy_model(fixtures / "Mark", root / "boys" / "renamed copy" / "Mark")
    corpus.duplicates["boys/renamed copy/Mark/Mark.model3.json"] = "boys/first/Mark/Mark.model3.json"
    zip_model(fixtures / "Mark", root / "zips" / "mark.zip", "Mark")
    corpus.duplicates["zips/mark.zip!Mark/Mark.model3.json"] = "boys/first/Mark/Mark.model3.json"
    zip_model(fixtures / "koharu", root / "zips" / "koharu.zip", "koharu")
    corpus.exported.append("zips/koharu.zip!koharu/koharu.model.json")
    copy_model(fixtures / "Mark", root / "variants" / "Mark")
    with_extra_key(root / "variants" / "Mark" / "Mark.model3.json", "variant")
    corpus.exported.append("variants/Mark/Mark.model3.json")
    copy_model(fixtures / "Wanko", root / "animals" / "Wanko")
    corpus.review.append("animals/Wanko/Wanko.model3.json")
    if bad:
        truncated = root / "bad" / "truncated" / "Mark"
        copy_model(fixtures / "Mark", truncated)
        moc = truncated / "Mark.moc3"
        moc.write_bytes(moc.read_bytes()[: moc.stat().st_size // 2])
        corpus.failed["bad/truncated/Mark/Mark.model3.json"] = "moc"
        missing = root / "bad" / "no texture" / "Mark"
        copy_model(fixtures / "Mark", missing)
        (missing / "Mark.2048" / "texture_00.png").unlink()
        corpus.failed["bad/no texture/Mark/Mark.model3.json"] = "texture(s) missing"
    if bad and bomb:
        bombed = root / "bad" / "bomb" / "Mark"
        copy_model(fixtures / "Mark", bombed)
        bomb_png(bombed / "Mark.2048" / "texture_00.png")
        corpus.failed["bad/bomb/Mark/Mark.model3.json"] = "memory"
    if hang:
        stuck = root / "bad" / "hang" / "Mark"
        copy_model(fixtures / "Mark", stuck)
        with_extra_key(stuck / "Mark.model3.json", "hang", rename=HANG_FILE)
        corpus.failed[f"bad/hang/Mark/{HANG_FILE}"] = "timed out"
    return corpus
