"""A generated corpus of hostile and odd inputs for every file-taking CLI subcommand (built at test time, nothing
binary is committed).

Each `Case` writes its input under a folder of its own and names the commands to run on it (argv templates with
`{in}` for the input and `{out}` for an output folder that exists and is empty) and the exit codes allowed: 2 for
bad input (one line on stderr), 0 where the input is odd but valid (a 300-character layer name, a mixed PSD set
that is reported and read without its companions). Classes: deep JSON, wrong types and values, NaN/Infinity/1e400
in every number (files and arguments), sizes and pixel bombs in every format (claimed by headers, or sparse files
over a size limit), names, paths that leave the folder, half-written sets, corrupt containers, zips of other tools
(encrypted, exotic compression, lying sizes), special files (FIFOs, sockets, devices: `may_hang`, run under a
timeout), PSD masks and clipping, bad arguments and outputs that must not be overwritten. Live2D cases link (never
copy) the fixture models' moc and textures (a truncated moc is the first bytes of one, written at test time).
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from seethrough.core.paths import fixtures_dir

Builder = Callable[[Path], Path]

DOC_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("info", "{in}", "--json"),
    ("export", "{in}", "-o", "{out}/x.psd"),
    ("export", "{in}", "-o", "{out}/pngs/"),
    ("export", "{in}", "-o", "{out}/p.stproj"),
    ("check", "{in}", "--json"),
    ("animate", "{in}", "-o", "{out}/a.gif", "--seconds", "0.1", "--fps", "10", "--size", "32"),
)
#: every command that reads a document: the above and the layer edits
EVERY_DOC_COMMAND: tuple[tuple[str, ...], ...] = DOC_COMMANDS + (
    ("composite", "{in}", "-o", "{out}/c.png"),
    ("stratify", "{in}", "-o", "{out}/s.psd", "--tags", "face"),
    ("lrsplit", "{in}", "-o", "{out}/l.psd", "--tags", "face"),
)
MODEL_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("live2d", "info", "{in}", "--size", "64"),
    ("live2d", "label", "{in}", "-o", "{out}/labels.json"),
    ("live2d", "psd", "{in}", "-o", "{out}/m.psd", "--size", "64"),
)


@dataclass(frozen=True)
class Case:
    id: str
    build: Builder
    commands: tuple[tuple[str, ...], ...] = DOC_COMMANDS
    expect: frozenset[int] = frozenset({2})
    needs_fixtures: bool = False
    #: files (relative to the case folder) that must be byte-identical after every command
    keep: tuple[str, ...] = field(default=())
    #: a command whose failure is a report on stdout (`models check`): stderr may be empty
    report_on_stdout: bool = False
    #: the input may block a reader forever (a FIFO): the test runs under a short timeout instead of hanging
    may_hang: bool = False


DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJ = '{"a":' * 5000 + "1" + "}" * 5000


# --- small valid pieces ------------------------------------------------------------------------------------------
def png_bytes(w: int = 8, h: int = 8, colour: tuple[int, int, int, int] = (200, 40, 40, 255)) -> bytes:
    arr = np.empty((h, w, 4), np.uint8)
    arr[:] = colour
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA").save(buf, "PNG")
    return buf.getvalue()


def png_bomb(w: int, h: int) -> bytes:
    """A PNG whose header claims w×h (colour type 6) with a few bytes of data: decoding it would allocate GBs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def tiny_document(names: tuple[str, ...] = ("back hair", "face", "front hair")):
    from seethrough.core.document import Document, Layer

    layers = []
    for i, name in enumerate(names):
        rgba = np.zeros((10, 12, 4), np.uint8)
        rgba[1:9, 1:11] = (40 * i + 50, 120, 200 - 30 * i, 255)
        near = i / max(len(names) - 1, 1)  # bottom farthest
        depth = np.full((10, 12), 0.9 - 0.7 * near, np.float32)
        layers.append(Layer(name, rgba, (2 + i, 3 + i), tag=None, depth=depth, depth_value=0.9 - 0.7 * near))
    return Document((24, 20), layers)


def _layer_entry(**changes: object) -> dict:
    entry = {"name": "face", "tag": "face", "offset": [1, 2], "depth_value": 0.5, "visible": True, "opacity": 1.0,
             "locked": False, "provenance": "", "uid": "a1", "size": [8, 8], "has_depth": False}
    entry.update(changes)
    return entry


def _manifest(**changes: object) -> dict:
    manifest: dict = {"schema_version": 1, "app": "seethrough-studio", "canvas": [16, 16], "metadata": {},
                      "has_source": False, "layers": [_layer_entry()]}
    manifest.update(changes)
    return manifest


def project(manifest: dict | str | bytes | None = None, members: dict[str, bytes] | None = None,
            name: str = "p.stproj") -> Builder:
    """A `.stproj` zip with the given project.json (dict, raw text or bytes) and members (default: layer a1)."""

    def build(root: Path) -> Path:
        path = root / name
        data = _manifest() if manifest is None else manifest
        text = data if isinstance(data, (str, bytes)) else json.dumps(data, allow_nan=True)
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("project.json", text)
            for member, blob in ({"layers/a1.png": png_bytes()} if members is None else members).items():
                zf.writestr(member, blob)
        return path

    return build


def layer(**changes: object) -> Builder:
    return project(_manifest(layers=[_layer_entry(**changes)]))


def raw_file(name: str, data: bytes | str) -> Builder:
    def build(root: Path) -> Path:
        path = root / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    return build


# --- special files: FIFOs, devices, sockets where a file is expected ----------------------------------------------
def fifo(name: str) -> Builder:
    """A named pipe with no writer: `open()` on it blocks for ever, so a reader must refuse it unopened."""

    def build(root: Path) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        return path

    return build


def device_link(name: str, device: str = "/dev/zero") -> Builder:
    """A symlink to a character device (`/dev/zero` reads for ever)."""

    def build(root: Path) -> Path:
        path = root / name
        path.symlink_to(device)
        return path

    return build


def unix_socket(name: str) -> Builder:
    """A Unix socket file (open() fails with ENXIO)."""

    def build(root: Path) -> Path:
        import socket

        path = root / name
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        sock.close()  # the socket file stays
        return path

    return build


def replaced_by_fifo(build: Builder, member: str) -> Builder:
    """`build`, then the file `member` (relative to the case folder) replaced by a FIFO."""

    def wrapped(root: Path) -> Path:
        path = build(root)
        target = root / member
        target.unlink()
        os.mkfifo(target)
        return path

    return wrapped


def sparse_file(name: str, size: int, head: bytes = b"") -> Builder:
    """A file of `size` bytes that costs no disk (a hole after `head`): for size limits checked before reading."""

    def build(root: Path) -> Path:
        path = root / name
        with open(path, "wb") as fh:
            fh.write(head)
            fh.truncate(size)
        return path

    return build


# --- zips that are not what we write: encrypted, exotic compression, lying sizes ----------------------------------
def _zip_records(data: bytes) -> list[tuple[int, int]]:
    """(local header offset, central header offset) of every member."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        locals_ = [info.header_offset for info in zf.infolist()]
        central = zf.start_dir  # type: ignore[attr-defined]
    out = []
    for local in locals_:
        assert data[central : central + 4] == b"PK\x01\x02"
        n, m, k = struct.unpack("<HHH", data[central + 28 : central + 34])
        out.append((local, central))
        central += 46 + n + m + k
    return out


def patched_project(flag_bits: int = 0, method: int | None = None, size: int | None = None,
                    only: str | None = None) -> Builder:
    """Our project zip with member headers changed as another tool might write them: `flag_bits` or-ed in (bit 0 =
    encrypted), the compression `method` set (9 deflate64, 98 PPMd, 99 AES), the uncompressed `size` claimed."""

    def build(root: Path) -> Path:
        path = project()(root)
        data = bytearray(path.read_bytes())
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            names = [info.filename for info in zf.infolist()]
        for name, (local, central) in zip(names, _zip_records(bytes(data))):
            if only is not None and name != only:
                continue
            for offset, flags_at, method_at, size_at in ((local, 6, 8, 22), (central, 8, 10, 24)):
                flags = struct.unpack("<H", data[offset + flags_at : offset + flags_at + 2])[0] | flag_bits
                data[offset + flags_at : offset + flags_at + 2] = struct.pack("<H", flags)
                if method is not None:
                    data[offset + method_at : offset + method_at + 2] = struct.pack("<H", method)
                if size is not None:
                    data[offset + size_at : offset + size_at + 4] = struct.pack("<I", size)
        path.write_bytes(bytes(data))
        return path

    return build


def recompressed_project(method: int) -> Builder:
    """A valid project re-zipped by another tool with bzip2 or LZMA (Python reads both)."""

    def build(root: Path) -> Path:
        from seethrough.core.io.project import save_project

        path = root / "r.stproj"
        save_project(tiny_document(), path)
        with zipfile.ZipFile(path) as zf:
            members = [(info.filename, zf.read(info)) for info in zf.infolist()]
        with zipfile.ZipFile(path, "w", compression=method) as zf:
            for name, blob in members:
                zf.writestr(name, blob)
        return path

    return build


def image_header(kind: str, width: int, height: int) -> bytes:
    """The first bytes of a JPEG, GIF, BMP, TIFF or WebP file claiming width×height (no pixel data)."""
    if kind == "jpeg":
        sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
        return b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof
    if kind == "gif":
        return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b"\x2c" + struct.pack(
            "<HHHHB", 0, 0, width, height, 0) + b"\x08\x02\x4c\x01\x00\x3b"
    if kind == "bmp":
        return b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24,
                                                                            0, 0, 0, 0, 0, 0)
    if kind == "tiff":
        entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
                   (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 1)]
        ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\x00" * 4
        return b"II*\x00" + struct.pack("<I", 8) + ifd
    if kind == "webp":
        vp8l = b"\x2f" + struct.pack("<I", (width - 1) | ((height - 1) << 14) | (1 << 28))
        chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
        return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
    raise ValueError(kind)


# --- PSD sets ----------------------------------------------------------------------------------------------------
def psd_set(json_text: str | None = None, tamper: Callable[[Path], None] | None = None,
            names: tuple[str, ...] = ("back hair", "face", "front hair")) -> Builder:
    """A PSD + companions written by our exporter, then the companion JSON replaced and/or tampered with."""

    def build(root: Path) -> Path:
        from seethrough.core.io.psd_export import export_psd

        path = root / "c.psd"
        export_psd(tiny_document(names), path)
        if json_text is not None:
            (root / "c.psd.json").write_text(json_text, encoding="utf-8")
        if tamper is not None:
            tamper(root)
        return path

    return build


def foreign_psd(names: tuple[str, ...], places: tuple[tuple[int, int, int, int], ...] = ()) -> Builder:
    """A PSD written straight with psd-tools (as other programs write them), layer names as given; `places`
    optionally gives each layer's (left, top, width, height)."""

    def build(root: Path) -> Path:
        from psd_tools import PSDImage

        psd = PSDImage.new("RGBA", (24, 20))
        for i, name in enumerate(names):
            left, top, w, h = places[i] if i < len(places) else (i, i, 8, 8)
            rgba = np.zeros((h, w, 4), np.uint8)
            rgba[..., :] = (60 * i % 255, 100, 150, 255)
            pixel = psd.create_pixel_layer(Image.fromarray(rgba, "RGBA"), name="layer", top=top, left=left)
            pixel.name = name
        path = root / "f.psd"
        psd.save(path)
        return path

    return build


def _mixed_set(root: Path) -> None:
    """The companions of another export beside this PSD (a kill between the renames of an older writer)."""
    from seethrough.core.io.psd_export import export_psd

    other = root / "other"
    other.mkdir()
    export_psd(tiny_document(("a", "b")), other / "c.psd")
    for name in ("c_depth.psd", "c.psd.json"):
        (root / name).write_bytes((other / name).read_bytes())


def _truncate(name: str, keep: int) -> Callable[[Path], None]:
    def tamper(root: Path) -> None:
        (root / name).write_bytes((root / name).read_bytes()[:keep])

    return tamper


def psd_header(width: int, height: int, channels: int = 4, depth: int = 8, mode: int = 3) -> bytes:
    """A PSD header (+ empty sections) claiming the given geometry."""
    head = b"8BPS" + struct.pack(">H6xHIIHH", 1, channels, height, width, depth, mode)
    return head + struct.pack(">I", 0) * 3 + struct.pack(">H", 0) + b"\x00" * 64


# --- PNG folders -------------------------------------------------------------------------------------------------
def png_folder(manifest_changes: dict | None = None, layer_changes: dict | None = None,
               files: dict[str, bytes] | None = None, manifest_text: str | None = None,
               tamper: Callable[[Path], None] | None = None) -> Builder:
    def build(root: Path) -> Path:
        folder = root / "pngs"
        folder.mkdir()
        for name, blob in ({"00_face.png": png_bytes()} if files is None else files).items():
            (folder / name).write_bytes(blob)
        entry = {"name": "face", "tag": "face", "file": "00_face.png", "depth_file": None, "offset": [1, 1],
                 "depth_value": 0.5, "visible": True, "opacity": 1.0, "order": 0}
        entry.update(layer_changes or {})
        manifest = {"format": "seethrough-png-folder", "version": 1, "canvas": [16, 16], "layers": [entry]}
        manifest.update(manifest_changes or {})
        text = manifest_text if manifest_text is not None else json.dumps(manifest, allow_nan=True)
        (folder / "manifest.json").write_text(text, encoding="utf-8")
        if tamper is not None:
            tamper(root)
        return folder

    return build


def _secret(root: Path) -> None:
    (root / "secret.png").write_bytes(png_bytes(4, 4, (1, 2, 3, 255)))


def _symlink_out(root: Path) -> None:
    _secret(root)
    (root / "pngs" / "00_face.png").unlink()
    (root / "pngs" / "00_face.png").symlink_to(root / "secret.png")


def _exported_folder_mixed(root: Path) -> Path:
    """A folder our exporter wrote, then one member replaced by another export's file (an interrupted write)."""
    from seethrough.core.io.png_folder import export_png_folder

    folder = root / "pngs"
    export_png_folder(tiny_document(), folder)
    other = root / "other"
    export_png_folder(tiny_document(("x", "y", "z")), other)
    first = sorted(p.name for p in folder.glob("00_*.png") if "depth" not in p.name)[0]
    (folder / first).write_bytes(next(other.glob("01_*[!h].png")).read_bytes())  # another layer's pixels
    return folder


# --- Live2D ------------------------------------------------------------------------------------------------------
def _mark() -> tuple[Path, dict]:
    src = fixtures_dir() / "Mark"
    return src, json.loads((src / "Mark.model3.json").read_text(encoding="utf-8-sig"))


def _linked_model_folder(root: Path, src: Path, linked: list[str]) -> Path:
    """A fresh `root/model` folder holding links to the fixture's files `linked` (paths relative to `src`)."""
    folder = root / "model"
    folder.mkdir()
    for rel in linked:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).symlink_to(src / rel)
    return folder


def _write_settings(path: Path, data: dict, text: str | None, extra: Callable[[Path], None] | None) -> Path:
    """The model's settings file: `text` as given, else `data` as JSON (NaN allowed); then `extra(folder)`."""
    path.write_text(text if text is not None else json.dumps(data, allow_nan=True), encoding="utf-8")
    if extra is not None:
        extra(path.parent)
    return path


def model3(refs: dict | None = None, text: str | None = None, extra: Callable[[Path], None] | None = None,
           link: bool = True) -> Builder:
    """A `.model3.json` beside links to Mark's moc and textures, with FileReferences changed as given."""

    def build(root: Path) -> Path:
        src, spec = _mark()
        folder = _linked_model_folder(root, src, [spec["FileReferences"]["Moc"], *spec["FileReferences"]["Textures"]]
                               if link else [])
        data = {"Version": 3, "FileReferences": {"Moc": spec["FileReferences"]["Moc"],
                                                  "Textures": spec["FileReferences"]["Textures"], **(refs or {})}}
        return _write_settings(folder / "m.model3.json", data, text, extra)

    return build


def model2(changes: dict | None = None, text: str | None = None,
           extra: Callable[[Path], None] | None = None) -> Builder:
    def build(root: Path) -> Path:
        src = fixtures_dir() / "shizuku"
        spec = json.loads((src / "shizuku.model.json").read_text(encoding="utf-8"))
        folder = _linked_model_folder(root, src, [spec["model"], *spec["textures"]])
        data = {"model": spec["model"], "textures": spec["textures"], **(changes or {})}
        return _write_settings(folder / "m.model.json", data, text, extra)

    return build


def _texture_bomb(folder: Path) -> None:
    _, spec = _mark()
    tex = folder / spec["FileReferences"]["Textures"][0]
    tex.unlink()
    tex.write_bytes(png_bomb(100_000, 100_000))


def _texture_garbage(folder: Path) -> None:
    _, spec = _mark()
    tex = folder / spec["FileReferences"]["Textures"][0]
    tex.unlink()
    tex.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)


def _moc_garbage(folder: Path) -> None:
    _, spec = _mark()
    moc = folder / spec["FileReferences"]["Moc"]
    moc.unlink()
    moc.write_bytes(b"MOC3" + bytes(range(256)) * 4)


def _aside(name: str, text: str) -> Callable[[Path], None]:
    def extra(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return extra


MARK_POSE_COMMAND = (("live2d", "export", "{mark}", "-o", "{out}/ds", "--size", "64", "--poses", "{in}"),)
MARK_LABELS_COMMAND = (("live2d", "export", "{mark}", "-o", "{out}/ds", "--size", "64", "--labels", "{in}"),)
MARK_DATASET_COMMAND = (("live2d", "export", "{mark}", "-o", "{in}", "--size", "64"),)


def dataset(index: dict | str) -> Builder:
    def build(root: Path) -> Path:
        folder = root / "ds"
        folder.mkdir()
        text = index if isinstance(index, str) else json.dumps(index, allow_nan=True)
        (folder / "dataset.json").write_text(text, encoding="utf-8")
        return folder

    return build


def _sample(**changes: object) -> dict:
    entry = {"id": "m-neutral", "model": "m", "split": "train", "canvas": [64, 64], "tags": ["face"],
             "pose": {}, "bboxes": {"face": [0, 0, 4, 4]}}
    entry.update(changes)
    return entry


def _index(**changes: object) -> dict:
    index = {"schema_version": 1, "taxonomy": "v3", "tags": ["face"], "samples": [_sample()]}
    index.update(changes)
    return index


def labels_file(data: dict | str) -> Builder:
    return raw_file("labels.json", data if isinstance(data, str) else json.dumps(data, allow_nan=True))


def _existing(name: str) -> Builder:
    """An output that is already there (a user's file): the command must not replace it without --force."""

    def build(root: Path) -> Path:
        (root / "out").mkdir(exist_ok=True)
        (root / "out" / name).write_bytes(b"the user's own file")
        return root / "out" / name

    return build


def _foreign_folder(root: Path) -> Path:
    folder = root / "out" / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes")
    (folder / "sub" / "drawing.kra").write_bytes(b"krita")
    return folder


# --- the corpus --------------------------------------------------------------------------------------------------
def corpus() -> list[Case]:
    cases: list[Case] = []

    def add(case_id: str, build: Builder, **kw: object) -> None:
        cases.append(Case(case_id, build, **kw))  # type: ignore[arg-type]

    ok = frozenset({0})
    # projects: JSON structure
    add("project-deep-json", project(DEEP))
    add("project-deep-object", project(DEEP_OBJ))
    add("project-not-json", project("{ not json"))
    add("project-binary-json", project(bytes(range(256))))
    add("project-json-list", project("[1, 2, 3]"))
    add("project-empty-json", project(""))
    # canvas
    for label, canvas in [("string", "x"), ("huge", [100000, 100000]), ("30000", [30000, 30000]), ("zero", [0, 0]),
                          ("negative", [-5, 5]), ("float-huge", [1e12, 5]), ("one-value", [5]), ("null", None),
                          ("nan", [float("nan"), 4]), ("bool", [True, True])]:
        add(f"project-canvas-{label}", project(_manifest(canvas=canvas)))
    # schema version
    for label, version in [("string", "1"), ("newer", 99), ("float", 1.5), ("bool", True), ("null", None)]:
        add(f"project-schema-{label}", project(_manifest(schema_version=version)))
    add("project-schema-missing", project({k: v for k, v in _manifest().items() if k != "schema_version"}))
    # layer fields
    bad_fields = {
        "opacity-nan": {"opacity": float("nan")}, "opacity-inf": {"opacity": float("inf")},
        "opacity-negative": {"opacity": -1}, "opacity-2": {"opacity": 2}, "opacity-string": {"opacity": "half"},
        "depth-string": {"depth_value": "deep"}, "depth-inf": {"depth_value": float("inf")},
        "offset-huge": {"offset": [10**12, 0]}, "offset-neg-huge": {"offset": [-(10**12), 0]},
        "offset-string": {"offset": "x"}, "offset-three": {"offset": [1, 2, 3]}, "name-int": {"name": 5},
"uid-dotdot": {"uid": "../../x"}, "uid-missing": {"uid": None},
        "visible-banana": {"visible": "banana"}, "tag-int": {"tag": 5}, "size-bomb": {"size": [20000, 20000]},
        "size-negative": {"size": [-8, 8]}, "has-depth-no-file": {"has_depth": True}, "name-huge": {"name": "n" * 5000},
        "provenance-list": {"provenance": ["x"]}, "locked-dict": {"locked": {}},
    }
    for label, changes in bad_fields.items():
        add(f"project-layer-{label}", layer(**changes))
    add("project-layers-not-list", project(_manifest(layers=5)))
    add("project-layer-string", project(_manifest(layers=["face"])))
    add("project-uid-twice", project(_manifest(layers=[_layer_entry(), _layer_entry()])))
    add("project-metadata-string", project(_manifest(metadata="x")))
    add("project-opacity-1e400", project(json.dumps(_manifest()).replace('"opacity": 1.0', '"opacity": 1e400')))
    big = json.dumps(_manifest()).replace('"depth_value": 0.5', '"depth_value": ' + "9" * 5000)
    add("project-big-int", project(big))
    # odd but valid names
    for label, name in [("300-chars", "h" * 300), ("emoji", "髪 🎀 front hair"), ("newline", "front\nhair"),
                        ("nul", "face\x00"),
                        ("slashes", "../../etc/passwd"), ("reserved", "CON"), ("dots", "..")]:
        add(f"project-name-{label}", layer(name=name), expect=ok)
    # members
    add("project-member-missing", project(members={}))
    add("project-member-corrupt", project(members={"layers/a1.png": b"\x89PNG\r\n\x1a\nbroken"}))
    add("project-member-bomb", project(members={"layers/a1.png": png_bomb(20000, 20000)}))
    add("project-member-wrong-size", project(members={"layers/a1.png": png_bytes(5, 5)}))
    depth_member = {"layers/a1.png": png_bytes()}
    for label, blob in [("corrupt", b"\x93NUMPYxx"), ("nan", npy_bytes(np.full((8, 8), np.nan, np.float32))),
                        ("shape", npy_bytes(np.zeros((3, 3), np.float32))),
                        ("pickle", npy_bytes(np.array([{"a": 1}], dtype=object))),
                        ("3d", npy_bytes(np.zeros((8, 8, 2), np.float32)))]:
        add(f"project-depth-{label}", project(_manifest(layers=[_layer_entry(has_depth=True)]),
                                              {**depth_member, "layers/a1_depth.npy": blob}))
    add("project-source-missing", project(_manifest(has_source=True)))
    add("project-source-bomb", project(_manifest(has_source=True),
                                       {**depth_member, "source.png": png_bomb(30000, 30000)}))

    def truncated_zip(root: Path) -> Path:
        path = project()(root)
        path.write_bytes(path.read_bytes()[:60])
        return path

    add("project-zip-truncated", truncated_zip)
    add("project-zero-bytes", raw_file("z.stproj", b""))
    add("project-not-zip", raw_file("t.stproj", "hello"))
    add("project-zip-no-manifest", raw_file("n.stproj", _zip_without_manifest()))

    # PSD companions
    for label, text in [("deep", DEEP), ("not-json", "{ nope"),
                        ("depth-string", '{"parts": {"face": {"depth_median": "deep"}}}'),
                        ("depth-inf", '{"parts": {"face": {"depth_median": Infinity}}}'),
                        ("depth-nan", '{"parts": {"face": {"depth_median": NaN}}}'),
                        ("depth-1e400", '{"parts": {"face": {"depth_median": 1e400}}}'),
                        ("parts-int", '{"parts": 5}'), ("frame-string", '{"parts": {}, "frame_size": "x"}'),
                        ("frame-huge", '{"parts": {}, "frame_size": [100000, 100000]}'),
                        ("xyxy-huge", '{"parts": {"face": {"xyxy": [0, 0, 1e12, 5]}}}'),
                        ("list", "[1, 2]"),
                        ("members-bad", '{"parts": {}, "members": {"../x": {"sha256": "0", "size": 1}}}')]:
        add(f"psd-json-{label}", psd_set(text))
    add("psd-json-binary", psd_set(tamper=lambda root: (root / "c.psd.json").write_bytes(bytes(range(256)) * 4)))
    add("psd-mixed-set", psd_set(tamper=_mixed_set), expect=ok)
    # our JSON records the set's members: a depth PSD that is not the one written with it is reported and left out
    add("psd-depth-not-psd", psd_set(tamper=lambda root: (root / "c_depth.psd").write_bytes(b"8BPSxxxx")), expect=ok)
    add("psd-depth-truncated", psd_set(tamper=_truncate("c_depth.psd", 200)), expect=frozenset({0, 2}))
    add("psd-truncated", psd_set(tamper=_truncate("c.psd", 300)))
    add("psd-bad-signature", raw_file("b.psd", b"8BPX" + b"\x00" * 100))
    add("psd-zero-bytes", raw_file("z.psd", b""))
    add("psd-huge-canvas", raw_file("h.psd", psd_header(30000, 30000)))
    add("psd-max-canvas", raw_file("m.psd", psd_header(300000, 300000)))
    add("psd-zero-canvas", raw_file("0.psd", psd_header(0, 0)))
    add("psd-bad-depth", raw_file("d.psd", psd_header(16, 16, depth=7)))
    add("psd-bad-mode", raw_file("md.psd", psd_header(16, 16, mode=99)))
    add("psd-garbage-body", raw_file("g.psd", b"8BPS" + bytes(range(256)) * 8))
    for label, name in [("255-chars", "n" * 255), ("emoji", "🎀 ribbon ✨"), ("nul", "face\x00x"),
                        ("trailing-nul", "back hair\x00"), ("newline", "a\nb"), ("slash", "../../../etc/x"),
                        ("reserved", "NUL"), ("dots", "..."), ("empty", "")]:
        add(f"psd-name-{label}", foreign_psd((name, "face")), expect=ok)

    add("psd-layers-far-outside", foreign_psd(("far", "wide", "partly", "inside"), (
        (0, 10**6, 8, 8), (-60, 2, 100, 8), (-5, -7, 10, 10), (2, 2, 4, 4))), expect=ok)

    # PNG folders
    add("png-abs-path", png_folder(layer_changes={"file": "/etc/hostname"}))
    add("png-dotdot", png_folder(layer_changes={"file": "../secret.png"}, tamper=_secret))
    add("png-sub-dotdot", png_folder(layer_changes={"file": "sub/../../secret.png"}, tamper=_secret))
    add("png-backslash", png_folder(layer_changes={"file": "..\\secret.png"}, tamper=_secret))
    add("png-symlink-out", png_folder(tamper=_symlink_out))
    add("png-reserved", png_folder(layer_changes={"file": "con.png"}))
    add("png-nul-name", png_folder(layer_changes={"file": "a\x00.png"}))
    add("png-deep", png_folder(manifest_text=DEEP))
    add("png-not-json", png_folder(manifest_text="nope"))
    add("png-canvas-huge", png_folder({"canvas": [100000, 100000]}))
    add("png-canvas-zero", png_folder({"canvas": [0, 16]}))
    add("png-format-wrong", png_folder({"format": "something-else"}))
    add("png-layers-string", png_folder({"layers": "x"}))
    add("png-order-negative", png_folder(layer_changes={"order": -1}))
    add("png-opacity-nan", png_folder(layer_changes={"opacity": float("nan")}))
    add("png-offset-huge", png_folder(layer_changes={"offset": [10**12, 0]}))
    add("png-missing-file", png_folder(files={}))
    add("png-corrupt-file", png_folder(files={"00_face.png": b"\x89PNG\r\n\x1a\nxx"}))
    add("png-bomb-file", png_folder(files={"00_face.png": png_bomb(20000, 20000)}))
    add("png-depth-wrong-size", png_folder(layer_changes={"depth_file": "d.png"},
                                           files={"00_face.png": png_bytes(), "d.png": png_bytes(3, 3)}))
    add("png-mixed-set", _exported_folder_mixed)
    add("png-manifest-folder", _manifest_is_folder)
    add("png-files-twice", png_folder(layer_changes={"depth_file": "00_face.png"}))

    # plain images
    add("image-zero-bytes", raw_file("z.png", b""))
    add("image-truncated", raw_file("t.png", png_bytes(32, 32)[:60]))
    add("image-bomb", raw_file("b.png", png_bomb(100000, 100000)))
    add("image-text", raw_file("t2.png", "just text"))
    add("image-bmp-garbage", raw_file("g.bmp", b"BM" + b"\xff" * 40))
    add("image-jpeg-truncated", raw_file("j.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20))
    add("image-unknown-type", raw_file("x.docx", b"PK\x05\x06" + b"\x00" * 18))
    add("image-folder", _folder_named("pic.png"))

    # Live2D Cubism 3+
    f3 = {"needs_fixtures": True, "commands": MODEL_COMMANDS}
    # an unusable optional file (pose, display info) is ignored with a warning: the model still loads
    tolerated = {**f3, "expect": ok}
    add("model3-deep", model3(text=DEEP), **f3)
    add("model3-not-json", model3(text="{ no"), **f3)
    add("model3-binary", model3(text="\x00\x01\x02"), **f3)
    add("model3-zero-bytes", model3(text=""), **f3)
    add("model3-moc-int", model3({"Moc": 123}), **f3)
    add("model3-moc-absolute", model3({"Moc": "/etc/hostname"}), **f3)
    add("model3-moc-dotdot", model3({"Moc": "../../model/x.moc3"}), **f3)
    add("model3-moc-missing", model3({"Moc": "absent.moc3"}), **f3)
    add("model3-textures-string", model3({"Textures": "x"}), **f3)
    add("model3-textures-int", model3({"Textures": [5]}), **f3)
    add("model3-texture-dotdot", model3({"Textures": ["../t.png"]}), **f3)
    add("model3-refs-list", model3(text='{"FileReferences": [1]}'), **f3)
    add("model3-displayinfo-dotdot", model3({"DisplayInfo": "../../x.cdi3.json"}), **f3)
    add("model3-motion-dotdot", model3({"Motions": {"Idle": [{"File": "../../etc/m.motion3.json"}]}}), **f3)
    add("model3-pose-deep", model3({"Pose": "p.pose3.json"}, extra=_aside("p.pose3.json", DEEP)), **tolerated)
    add("model3-cdi-deep", model3({"DisplayInfo": "d.cdi3.json"}, extra=_aside("d.cdi3.json", DEEP)), **tolerated)
    add("model3-cdi-nan", model3({"DisplayInfo": "d.cdi3.json"}, extra=_aside("d.cdi3.json", '{"Parts": NaN}')),
        **tolerated)
    renders = {"needs_fixtures": True, "commands": (MODEL_COMMANDS[0], MODEL_COMMANDS[2])}  # labelling reads no pixels
    add("model3-texture-bomb", model3(extra=_texture_bomb), **renders)
    add("model3-texture-garbage", model3(extra=_texture_garbage), **renders)
    add("model3-moc-garbage", model3(extra=_moc_garbage), **f3)
    add("model3-no-refs", model3(text='{"Version": 3}'), **f3)
    # Cubism 2
    add("model2-model-int", model2({"model": 5}), **f3)
    add("model2-model-absolute", model2({"model": "/etc/hostname"}), **f3)
    add("model2-texture-dotdot", model2({"textures": ["../../t.png"]}), **f3)
    add("model2-motion-dotdot", model2({"motions": {"idle": [{"file": "../../../etc/x.mtn"}]}}), **f3)
    add("model2-pose-deep", model2({"pose": "p.json"}, extra=_aside("p.json", DEEP)), **tolerated)
    add("model2-not-json", model2(text="nope"), **f3)
    add("model2-deep", model2(text=DEEP), **f3)

    # pose lists (on Mark)
    fp = {"needs_fixtures": True, "commands": MARK_POSE_COMMAND}
    for label, text in [("deep", DEEP), ("nan", '[{"name": "a", "params": {"ParamAngleX": NaN}}]'),
                        ("1e400", '[{"name": "a", "params": {"ParamAngleX": 1e400}}]'),
                        ("huge", '[{"name": "a", "params": {"ParamAngleX": 1e300}}]'),
                        ("name-dotdot", '[{"name": "../x"}]'), ("name-twice", '[{"name": "a"}, {"name": "a"}]'),
                        ("params-string", '[{"name": "a", "params": "x"}]'), ("empty", "[]"), ("int", "5"),
                        ("not-json", "{"), ("value-string", '[{"name": "a", "params": {"ParamAngleX": "left"}}]')]:
        add(f"poses-{label}", raw_file("poses.json", text), **fp)

    # label files (on Mark)
    fl = {"needs_fixtures": True, "commands": MARK_LABELS_COMMAND}
    add("labels-deep", labels_file(DEEP), **fl)
    add("labels-entries-int", labels_file({"schema_version": 1, "entries": 5}), **fl)
    add("labels-time-string", labels_file({"schema_version": 1, "entries": {
        "ArtMesh0": {"tag": "face", "source": "human", "time": "x"}}}), **fl)
    add("labels-excluded-int", labels_file({"schema_version": 1, "entries": {}, "excluded_parts": 5}), **fl)
    add("labels-not-json", labels_file("{"), **fl)
    add("labels-foreign-ids", labels_file({"schema_version": 1, "entries": {
        "NoSuchMesh": {"tag": "face", "source": "human"}}}), **fl)

    # dataset indexes (live2d export into an existing dataset)
    fd = {"needs_fixtures": True, "commands": MARK_DATASET_COMMAND}
    add("dataset-deep", dataset(DEEP), **fd)
    add("dataset-not-json", dataset("{"), **fd)
    add("dataset-samples-string", dataset(_index(samples="x")), **fd)
    add("dataset-id-dotdot", dataset(_index(samples=[_sample(id="../../etc")])), **fd)
    add("dataset-canvas-huge", dataset(_index(samples=[_sample(canvas=[100000, 100000])])), **fd)
    add("dataset-tags-int", dataset(_index(samples=[_sample(tags=5)])), **fd)
    add("dataset-tag-dotdot", dataset(_index(tags=["../x"])), **fd)
    add("dataset-newer", dataset(_index(schema_version=99)), **fd)
    add("dataset-pose-nan", dataset(_index(samples=[_sample(pose={"ParamAngleX": float("nan")})])), **fd)
    add("dataset-foreign-folder", _foreign_dataset_folder, **fd)

    # seed masks for labelling (on Mark)
    seeds = (("live2d", "label", "{mark}", "-o", "{out}/l.json", "--seeds", "{in}"),)
    add("seeds-bomb", _seed_folder(png_bomb(100_000, 100_000)), commands=seeds, needs_fixtures=True)
    add("seeds-corrupt", _seed_folder(b"\x89PNG\r\n\x1a\nxx"), commands=seeds, needs_fixtures=True)

    # model folders (`models check` reports its findings on stdout and exits 2)
    check = (("models", "check", "{in}"),)
    report = {"commands": check, "report_on_stdout": True}
    add("models-config-deep", _model_folder(DEEP), **report)
    add("models-config-list", _model_folder("[1, 2]"), **report)
    add("models-config-nan", _model_folder('{"in_channels": NaN}'), **report)
    add("models-header-deep", _model_folder('{"in_channels": 8}', header=DEEP.encode()), **report)
    add("models-header-garbage", _model_folder('{"in_channels": 8}', header=b"\xff" * 40), **report)
    add("models-header-table", _model_folder('{"in_channels": 8}', header=b'{"w": {"data_offsets": "x"}}'), **report)

    # recorded pointer paths for `animate`
    anim = (("animate", "sample", "-o", "{out}/a.gif", "--seconds", "0.1", "--fps", "10", "--size", "32",
             "--path", "{in}"),)
    for label, text in [("deep", DEEP), ("nan", "[[0, NaN, 0]]"), ("not-json", "{"), ("strings", '[["a", "b", "c"]]'),
                        ("int", "5"), ("huge", "[[0, 1e300, 1e300]]")]:
        add(f"animate-path-{label}", raw_file("path.json", text), commands=anim, expect=frozenset({0, 2}))

    # arguments
    for label, argv in [
        ("k-0", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "0")),
        ("k-1", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "1")),
        ("k-9", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "9")),
        ("k-1000", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "1000")),
        ("k-100000", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "100000")),
        ("k-word", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "many")),
        ("size-negative", ("live2d", "info", "x.model3.json", "--size", "-5")),
        ("size-zero", ("live2d", "psd", "x.model3.json", "-o", "{out}/x.psd", "--size", "0")),
        ("size-huge", ("live2d", "export", "x.model3.json", "-o", "{out}/d", "--size", "100000")),
        ("size-word", ("live2d", "info", "x.model3.json", "--size", "big")),
        ("margin-negative", ("live2d", "export", "x.model3.json", "-o", "{out}/d", "--margin", "-2")),
        ("margin-big", ("live2d", "export", "x.model3.json", "-o", "{out}/d", "--margin", "0.9")),
        ("margin-nan", ("live2d", "export", "x.model3.json", "-o", "{out}/d", "--margin", "nan")),
        ("margin-inf", ("live2d", "export", "x.model3.json", "-o", "{out}/d", "--margin", "inf")),
        ("resolution-zero", ("decompose", "x.png", "-o", "{out}/x.psd", "--resolution", "0")),
        ("steps-zero", ("decompose", "x.png", "-o", "{out}/x.psd", "--steps", "0")),
        ("seed-negative", ("decompose", "x.png", "-o", "{out}/x.psd", "--seed", "-1")),
        ("eval-limit-zero", ("eval", "--model", "m", "--data", "d", "-o", "{out}/r.json", "--limit", "0")),
        ("unknown-option", ("info", "sample", "--frobnicate")),
        ("unknown-command", ("frobnicate", "--now")),
        ("output-docx", ("export", "sample", "-o", "{out}/x.docx")),
        ("output-missing-folder", ("export", "sample", "-o", "{out}/no/such/x.psd")),
        ("composite-not-png", ("composite", "sample", "-o", "{out}/x.jpg")),
        ("input-missing", ("info", "{out}/absent.psd")),
    ]:
        add(f"args-{label}", raw_file("unused.txt", ""), commands=(argv,))

    # --- issue 22: special files, exotic zips, inf/NaN in every number, huge sizes in every format -------------
    hang = {"may_hang": True}
    # a FIFO (or a device, a socket) where a file is expected: refused in one line, never a wait
    for label, name in [("psd", "f.psd"), ("stproj", "f.stproj"), ("png", "f.png"), ("no-extension", "f")]:
        add(f"special-fifo-document-{label}", fifo(name), commands=EVERY_DOC_COMMAND, **hang)
    add("special-dev-zero-png", device_link("z.png"), commands=EVERY_DOC_COMMAND, **hang)
    add("special-dev-zero-stproj", device_link("z.stproj"), commands=EVERY_DOC_COMMAND, **hang)
    add("special-socket-psd", unix_socket("s.psd"), commands=EVERY_DOC_COMMAND, **hang)
    add("special-fifo-layer-png", replaced_by_fifo(png_folder(), "pngs/00_face.png"), **hang)
    add("special-fifo-manifest", replaced_by_fifo(png_folder(), "pngs/manifest.json"), **hang)
    add("special-dev-zero-layer-png", png_folder(tamper=lambda root: (
        (root / "pngs" / "00_face.png").unlink(), (root / "pngs" / "00_face.png").symlink_to("/dev/zero"))), **hang)
    # a FIFO companion is no companion: the PSD is read alone, depth from the layer order
    add("special-fifo-psd-companions", replaced_by_fifo(replaced_by_fifo(psd_set(), "c_depth.psd"), "c.psd.json"),
        expect=ok, **hang)
    add("special-fifo-model3", fifo("m.model3.json"), commands=MODEL_COMMANDS, **hang)
    add("special-fifo-model2", fifo("m.model.json"), commands=MODEL_COMMANDS, **hang)
    add("special-fifo-moc3", replaced_by_fifo(model3(), "model/Mark.moc3"), **f3, **hang)
    add("special-fifo-moc2", replaced_by_fifo(model2(), "model/moc/shizuku.moc"), **f3, **hang)
    add("special-fifo-texture", replaced_by_fifo(model3(), "model/Mark.2048/texture_00.png"), **f3, **hang)
    add("special-fifo-poses", fifo("poses.json"), **fp, **hang)
    add("special-fifo-labels", fifo("labels.json"), **fl, **hang)
    add("special-fifo-dataset-index", replaced_by_fifo(dataset(_index()), "ds/dataset.json"), **fd, **hang)
    add("special-fifo-seed", replaced_by_fifo(_seed_folder(png_bytes()), "seeds/face.png"), commands=seeds,
        needs_fixtures=True, **hang)
    add("special-fifo-animate-path", fifo("path.json"), commands=anim, **hang)
    truth = (("live2d", "label", "{mark}", "--eval", "{in}"),)
    add("special-fifo-ground-truth", fifo("truth.json"), commands=truth, needs_fixtures=True, **hang)
    add("special-fifo-model-config", replaced_by_fifo(_model_folder('{"in_channels": 8}'), "model/unet/config.json"),
        **report, **hang)
    add("special-fifo-model-weights", _model_folder('{"in_channels": 8}', fifo_weights=True), **report, **hang)
    models_list = (("models", "list", "--models-dir", "{in}", "--no-hf-cache"),)
    add("special-fifo-models-list", replaced_by_fifo(_model_folder('{"in_channels": 8}'), "model/unet/config.json"),
        commands=models_list, expect=ok, **hang)
    add("special-fifo-train-config", fifo("c.yaml"), commands=(("train", "{in}"),), **hang)
    # ground truth for `live2d label --eval`: nested deeper than any parser's recursion, not JSON, numbers
    for label, text in [("deep", DEEP), ("deep-object", DEEP_OBJ), ("not-json", "{"), ("nan", '{"labels": NaN}'),
                        ("labels-list", '{"labels": [1]}')]:
        add(f"ground-truth-{label}", raw_file("truth.json", text), commands=truth, needs_fixtures=True)
    # a truncated Cubism 2 .moc: every live2d action
    every_live2d = (*MODEL_COMMANDS, ("live2d", "export", "{in}", "-o", "{out}/ds", "--size", "64"))
    for keep in (0, 3, 100, 4096, 40_000):
        add(f"model2-moc-truncated-{keep}", model2(extra=_moc2_truncated(keep)), needs_fixtures=True,
            commands=every_live2d)
    # projects zipped by other tools
    every = {"commands": EVERY_DOC_COMMAND}  # every subcommand that reads a document
    add("project-zip-encrypted", patched_project(flag_bits=0x1), **every)
    add("project-zip-encrypted-member", patched_project(flag_bits=0x1, only="layers/a1.png"), **every)
    for label, method in [("deflate64", 9), ("ppmd", 98), ("aes", 99), ("unknown", 77)]:
        add(f"project-zip-method-{label}", patched_project(method=method), **every)
        add(f"project-zip-member-method-{label}", patched_project(method=method, only="layers/a1.png"), **every)
    add("project-zip-claims-4gb", patched_project(size=0xFFFF_FFF0))
    add("project-zip-member-claims-4gb", patched_project(size=0xFFFF_FFF0, only="layers/a1.png"))
    add("project-zip-bzip2", recompressed_project(zipfile.ZIP_BZIP2), expect=ok)
    add("project-zip-lzma", recompressed_project(zipfile.ZIP_LZMA), expect=ok)
    # inf/NaN/1e400 in every number
    for label, value in [("inf", float("inf")), ("nan", float("nan")), ("neg-inf", float("-inf"))]:
        add(f"project-layer-offset-{label}", layer(offset=[value, 0]))
        add(f"project-layer-size-{label}", layer(size=[value, 8]))
        add(f"project-canvas-{label}-both", project(_manifest(canvas=[value, value])))
        add(f"png-depth-{label}", png_folder(layer_changes={"depth_value": value}))
        add(f"png-offset-{label}", png_folder(layer_changes={"offset": [0, value]}))
        add(f"png-canvas-{label}", png_folder({"canvas": [16, value]}))
        add(f"png-order-{label}", png_folder(layer_changes={"order": value}))
        add(f"psd-json-frame-{label}", psd_set(json.dumps({"parts": {}, "frame_size": [value, 20]}, allow_nan=True)))
        add(f"psd-json-xyxy-{label}", psd_set(json.dumps({"parts": {"face": {"xyxy": [0, 0, value, 5]}}},
                                                         allow_nan=True)))
        add(f"model3-texture-{label}", model3({"Textures": [value]}), **f3)
        add(f"dataset-canvas-{label}", dataset(_index(samples=[_sample(canvas=[64, value])])), **fd)
        add(f"models-config-value-{label}", _model_folder(json.dumps({"in_channels": value}, allow_nan=True)), **report)
        add(f"animate-path-t-{label}", raw_file("path.json", json.dumps([[value, 0, 0]], allow_nan=True)),
            commands=anim)
    for label, text in [("1e400", "1e400"), ("neg-1e400", "-1e400")]:
        add(f"project-layer-depth-{label}", project(json.dumps(_manifest()).replace('"depth_value": 0.5',
                                                                                       '"depth_value": ' + text)))
        add(f"png-opacity-{label}", png_folder(manifest_text=json.dumps(
            {"format": "seethrough-png-folder", "version": 1, "canvas": [16, 16], "layers": [
                {"name": "face", "file": "00_face.png", "order": 0, "opacity": 0.5}]}).replace("0.5", text)))
        add(f"animate-path-x-{label}", raw_file("path.json", f"[[0, {text}, 0]]"), commands=anim)
        add(f"labels-time-{label}", labels_file('{"schema_version": 1, "entries": {"ArtMesh0": {"tag": "face", '
                                                f'"source": "human", "time": {text}}}}}'), **fl)
    # numbers on the command line
    for label, argv in [
        ("box-inf", ("redecompose", "{in}", "--box", "0,0,inf,5", "-o", "{out}/r.psd")),
        ("box-neg-inf", ("redecompose", "{in}", "--box", "-inf,0,4,5", "-o", "{out}/r.psd")),
        ("box-1e400", ("redecompose", "{in}", "--box", "0,0,1e400,5", "-o", "{out}/r.psd")),
        ("box-nan", ("redecompose", "{in}", "--box", "nan,0,4,5", "-o", "{out}/r.psd")),
        ("box-1e300", ("redecompose", "{in}", "--box", "0,0,1e300,5", "-o", "{out}/r.psd")),
        ("box-three", ("redecompose", "{in}", "--box", "0,0,4", "-o", "{out}/r.psd")),
        ("feather-inf", ("redecompose", "{in}", "--box", "0,0,4,4", "--feather", "inf", "-o", "{out}/r.psd")),
        ("seconds-nan", ("animate", "sample", "-o", "{out}/a.gif", "--seconds", "nan")),
        ("seconds-inf", ("animate", "sample", "-o", "{out}/a.gif", "--seconds", "inf")),
        ("seconds-1e400", ("animate", "sample", "-o", "{out}/a.gif", "--seconds", "1e400")),
        ("fps-inf", ("animate", "sample", "-o", "{out}/a.gif", "--fps", "inf")),
        ("animate-size-1e400", ("animate", "sample", "-o", "{out}/a.gif", "--size", "1e400")),
        ("k-inf", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "inf")),
        ("k-nan", ("stratify", "sample", "-o", "{out}/s.psd", "--k", "nan")),
        ("resolution-inf", ("decompose", "x.png", "-o", "{out}/x.psd", "--resolution", "inf")),
        ("steps-nan", ("decompose", "x.png", "-o", "{out}/x.psd", "--steps", "nan")),
        ("seed-1e400", ("decompose", "x.png", "-o", "{out}/x.psd", "--seed", "1e400")),
        ("depth-steps-inf", ("decompose", "x.png", "-o", "{out}/x.psd", "--depth-steps", "inf")),
        ("max-steps-inf", ("train", "x.yaml", "--max-steps", "inf")),
        ("vote-poses-nan", ("live2d", "label", "x.model3.json", "--vote-poses", "nan")),
        ("worst-inf", ("live2d", "label", "x.model3.json", "--worst", "inf")),
        ("live2d-size-inf", ("live2d", "info", "x.model3.json", "--size", "inf")),
        ("loop-nan", ("animate", "sample", "-o", "{out}/a.gif", "--loop", "nan")),
    ]:
        add(f"args-{label}", raw_file("unused.txt", ""), commands=(argv,))
    # huge sizes in every format, from the header (nothing is decoded)
    for kind in ("jpeg", "gif", "bmp", "tiff", "webp"):
        add(f"image-{kind}-bomb", raw_file(f"b.{'jpg' if kind == 'jpeg' else kind}", image_header(kind, 60000, 50000)))
        add(f"image-{kind}-over-cap", raw_file(f"c.{'jpg' if kind == 'jpeg' else kind}",
                                               image_header(kind, 10000, 10000)))
    add("png-wide-bomb", raw_file("w.png", png_bomb(2**31 - 1, 1)))
    add("psd-layer-bomb", raw_file("l.psd", _psd_with_layer_claiming(60000, 60000)))
    add("psd-mask-and-clipping", masked_psd(), commands=EVERY_DOC_COMMAND, expect=frozenset({0, 2}))  # no depth
    add("psd-mask-bomb", masked_psd((29000, 29000)), commands=EVERY_DOC_COMMAND)
    add("psd-json-over-64mib", psd_set(tamper=lambda root: sparse_file("c.psd.json", 65 * 2**20, b"{")(root)))
    add("model3-over-64mib", sparse_file("m.model3.json", 65 * 2**20, b"{"), commands=MODEL_COMMANDS)
    add("poses-over-64mib", sparse_file("poses.json", 65 * 2**20, b"["), **fp)
    add("animate-path-over-64mib", sparse_file("path.json", 65 * 2**20, b"["), commands=anim)
    add("ground-truth-over-64mib", sparse_file("truth.json", 65 * 2**20, b"{"), commands=truth, needs_fixtures=True)
    add("train-config-over-1mib", sparse_file("c.yaml", 2 * 2**20, b"a: 1\n"), commands=(("train", "{in}"),))
    add("models-header-claims-2-60", _model_folder('{"in_channels": 8}', header=None, raw_weights=struct.pack(
        "<Q", 2**60) + b"{}"), **report)

    # operation logs for `apply` (File ▸ Export Actions…): refused whole, with the key's path, before anything runs
    replay = (("apply", "sample", "{in}", "-o", "{out}/r.psd"),)

    def op_log(*operations: object, text: str | None = None, **top: object) -> Builder:
        data = {"format": "seethrough-operations", "version": 1, "operations": list(operations), **top}
        return raw_file("actions.json", text if text is not None else json.dumps(data, allow_nan=True))

    add("oplog-deep", op_log(text=DEEP), commands=replay)
    add("oplog-deep-object", op_log(text=DEEP_OBJ), commands=replay)
    add("oplog-not-json", op_log(text="{"), commands=replay)
    add("oplog-list", op_log(text="[]"), commands=replay)
    add("oplog-other-format", op_log(format="something-else"), commands=replay)
    add("oplog-newer", op_log(version=99), commands=replay)
    add("oplog-version-nan", op_log(text='{"format": "seethrough-operations", "version": NaN, "operations": []}'),
        commands=replay)
    add("oplog-unknown-op", op_log({"op": "explode"}), commands=replay)
    add("oplog-unknown-key", op_log({"op": "stratify", "layer": "face", "kk": 1}), commands=replay)
    add("oplog-k-string", op_log({"op": "stratify", "layer": "face", "k": "2"}), commands=replay)
    add("oplog-missing-layer", op_log({"op": "rename", "layer": "no such layer", "name": "x"}), commands=replay)
    add("oplog-locked", op_log({"op": "lock", "layer": "face", "locked": True}, {"op": "delete", "layer": "face"}),
        commands=replay)
    for label, value in [("inf", float("inf")), ("nan", float("nan")), ("1e300", 1e300)]:
        add(f"oplog-opacity-{label}", op_log({"op": "opacity", "layer": "face", "value": value}), commands=replay)
        add(f"oplog-stroke-point-{label}", op_log({"op": "stroke", "layer": "face", "tool": "paint",
                                                   "points": [[value, 10, 1]]}), commands=replay)
        add(f"oplog-transform-rotate-{label}", op_log({"op": "transform", "layer": "face", "rotate": value}),
            commands=replay)
        add(f"oplog-select-box-{label}", op_log({"op": "select", "shape": "rect", "box": [0, 0, value, 10]}),
            commands=replay)
    add("oplog-stroke-points-too-many", op_log({"op": "stroke", "layer": "face", "tool": "paint",
                                                "points": [[1, 1, 1]] * 100_001}), commands=replay)
    add("oplog-decompose-resolution", op_log({"op": "decompose", "options": {"resolution": 100}}), commands=replay)
    add("oplog-decompose-options-list", op_log({"op": "decompose", "options": [1, 2]}), commands=replay)
    add("oplog-over-64mib", sparse_file("actions.json", 65 * 2**20, b"{"), commands=replay)
    add("special-fifo-oplog", fifo("actions.json"), commands=replay, **hang)

    # outputs that must survive
    add("output-psd-exists", _existing("x.psd"), commands=(("export", "sample", "-o", "{in}"),), keep=("out/x.psd",))
    add("output-companion-exists", _existing("x.psd.json"), commands=(("export", "sample", "-o", "{out}/x.psd"),),
        keep=("out/x.psd.json",))
    add("output-png-exists", _existing("c.png"), commands=(("composite", "sample", "-o", "{in}"),), keep=("out/c.png",))
    add("output-stproj-exists", _existing("p.stproj"), commands=(("sample", "-o", "{in}"),), keep=("out/p.stproj",))
    add("output-psd-is-folder", _folder_named("out/x.psd"), commands=(("export", "sample", "-o", "{in}"),))
    add("output-foreign-folder", _foreign_folder, commands=(("export", "sample", "-o", "{in}/"),),
        keep=("out/mine/notes.txt", "out/mine/sub/drawing.kra"))
    add("output-foreign-folder-force", _foreign_folder, commands=(("export", "sample", "-o", "{in}/", "--force"),),
        keep=("out/mine/notes.txt", "out/mine/sub/drawing.kra"))
    add("output-live2d-psd-exists", _existing("m.psd"), commands=(
        ("live2d", "psd", "{mark}", "-o", "{in}", "--size", "64"),), keep=("out/m.psd",), needs_fixtures=True)
    return cases


def _zip_without_manifest() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("other.txt", "x")
    return buf.getvalue()


def _folder_named(name: str) -> Builder:
    def build(root: Path) -> Path:
        path = root / name
        path.mkdir(parents=True)
        return path

    return build


def _manifest_is_folder(root: Path) -> Path:
    folder = root / "pngs"
    (folder / "manifest.json").mkdir(parents=True)
    return folder


def _foreign_dataset_folder(root: Path) -> Path:
    folder = root / "ds"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    return folder


def _seed_folder(blob: bytes) -> Builder:
    def build(root: Path) -> Path:
        folder = root / "seeds"
        folder.mkdir()
        (folder / "face.png").write_bytes(blob)
        return folder

    return build


def _model_folder(config: str, header: bytes | None = None, fifo_weights: bool = False,
                  raw_weights: bytes | None = None) -> Builder:
    """A model folder shaped like the released ones, with the given unet config and safetensors header (or a FIFO,
    or the raw bytes given, in place of the weights)."""

    def build(root: Path) -> Path:
        folder = root / "model"
        (folder / "unet").mkdir(parents=True)
        (folder / "unet" / "config.json").write_text(config, encoding="utf-8")
        weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
        if header is not None:
            weights.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 16)
        if fifo_weights:
            os.mkfifo(weights)
        if raw_weights is not None:
            weights.write_bytes(raw_weights)
        return folder

    return build


def _moc2_truncated(keep: int) -> Callable[[Path], None]:
    """Replace the linked Cubism 2 .moc by its first `keep` bytes (a download cut short)."""

    def extra(folder: Path) -> None:
        src = fixtures_dir() / "shizuku"
        spec = json.loads((src / "shizuku.model.json").read_text(encoding="utf-8"))
        moc = folder / spec["model"]
        data = (src / spec["model"]).read_bytes()[:keep]
        moc.unlink()
        moc.write_bytes(data)

    return extra


def masked_psd(mask_box: tuple[int, int] | None = None) -> Builder:
    """A PSD with a layer mask and a clipping layer (written by psd-tools); `mask_box`: the mask's record then
    claims that (width, height) with its data left as it was."""

    def build(root: Path) -> Path:
        from psd_tools import PSDImage

        psd = PSDImage.new("RGBA", (24, 20))
        base = np.zeros((12, 12, 4), np.uint8)
        base[2:10, 2:10] = (200, 40, 40, 255)
        masked = psd.create_pixel_layer(Image.fromarray(base, "RGBA"), name="face", top=2, left=2)
        masked.create_mask(Image.fromarray(np.tile(np.arange(0, 220, 20, dtype=np.uint8), (10, 1)), "L"), top=3,
                           left=4)
        clip = psd.create_pixel_layer(Image.fromarray(np.full((20, 24, 4), 90, np.uint8), "RGBA"), name="shade",
                                      top=0, left=0)
        clip.clipping = True
        path = root / "masked.psd"
        psd.save(path)
        if mask_box is not None:  # the mask record's rectangle (top, left, bottom, right) made to lie
            data = path.read_bytes()
            rect = struct.pack(">iiii", 3, 4, 13, 15)
            assert data.count(rect) == 1
            path.write_bytes(data.replace(rect, struct.pack(">iiii", 3, 4, 3 + mask_box[1], 4 + mask_box[0])))
        return path

    return build


def _psd_with_layer_claiming(width: int, height: int) -> bytes:
    """A 16×16 PSD whose one layer record claims a width×height rectangle (its channel data absent)."""
    buf = io.BytesIO()
    from psd_tools import PSDImage

    psd = PSDImage.new("RGBA", (16, 16))
    psd.create_pixel_layer(Image.fromarray(np.full((4, 4, 4), 200, np.uint8), "RGBA"), name="big", top=0, left=0)
    psd.save(buf)
    data = bytearray(buf.getvalue())
    rect = struct.pack(">iiii", 0, 0, 4, 4)
    at = data.find(rect)
    assert at > 0
    data[at : at + 16] = struct.pack(">iiii", 0, 0, height, width)
    return bytes(data)
