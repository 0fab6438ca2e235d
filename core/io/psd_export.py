"""Layered PSD export in the official See-through layout, plus the PNG-folder export.

PSD (`docs/authors-pipeline.md` §4.2): one RGBA pixel layer per document layer, created
bottom→top in document order (psd-tools puts each new layer on top, so layers[0] ends at the bottom), named by
the layer name, cropped at its offset. Companions the authors' tools read back: `<stem>_depth.psd` (the same
layers in mode L holding depth*255, 0 = nearest) and `<stem>.psd.json` ({"parts": {...}, "frame_size": [H, W]}).
Unlike the official writer we keep visibility and opacity, and can wrap contiguous runs in "head"/"body" groups.

All files are built in memory first and written through atomic writers at the end, so a cancel or an error
leaves nothing new on disk.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from psd_tools import PSDImage
from psd_tools.api.layers import Group
from psd_tools.constants import BlendMode

from seethrough.core.blending import KNOWN_MODES, NORMAL
from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import BadInput, Cancelled, WriteFailed
from seethrough.core.io.atomic import atomic_folder, atomic_writer
from seethrough.core.io.images import encode_png
from seethrough.core.taxonomy import base_tag, taxonomy

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None] | None
CancelCheck = Callable[[], bool] | None

#: tags that go in the "head" group besides the taxonomy's head members (hair and what is worn on the head)
_EXTRA_HEAD_TAGS = frozenset({"hair", "front hair", "back hair", "headwear", "earwear", "eyes", "ears", "head"})


def head_tags() -> frozenset[str]:
    t = taxonomy()
    return frozenset(t.head_members) | frozenset(t.v3_groups.get("head", ())) | _EXTRA_HEAD_TAGS


def group_of(layer: Layer) -> str:
    """"head" or "body", by the base tag of the layer (or of its name when untagged)."""
    tag = base_tag(layer.tag or layer.name)
    return "head" if tag in head_tags() else "body"


def companion_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(`<stem>_depth.psd`, `<stem>.psd.json`) next to a `<stem>.psd`, as the official tools name them."""
    p = Path(path)
    return p.with_name(p.stem + "_depth.psd"), p.with_name(p.name + ".json")


def depth_uint8(layer: Layer) -> np.ndarray:
    """The layer's depth as the authors store it: uint8 depth*255, 0 = nearest (constant when it has no map)."""
    return np.clip(np.rint(layer.depth_or_constant() * 255.0), 0, 255).astype(np.uint8)


def exported_layers(doc: DocumentLike) -> list[tuple[Layer, str]]:
    """Non-empty layers bottom→top with the unique name each gets in the PSD (duplicates get `#2`, `#3`…)."""
    out: list[tuple[Layer, str]] = []
    seen: dict[str, int] = {}
    for layer in doc.layers:
        if layer.is_empty:
            log.warning("PSD export: skipping empty layer %r", layer.name)
            continue
        base = layer.name[:240]  # PSD layer names are limited to 255 characters
        count = seen.get(base, 0) + 1
        seen[base] = count
        out.append((layer, base if count == 1 else f"{base}#{count}"))
    return out


def _check_cancel(cancel: CancelCheck) -> None:
    if cancel is not None and cancel():
        raise Cancelled("export cancelled; nothing was written")


def _build_psd(
    doc: DocumentLike, items: list[tuple[Layer, str]], mode: str, groups: bool, tick: Callable[[], None]
) -> PSDImage:
    psd = PSDImage.new(mode, (doc.width, doc.height), depth=8)
    current_group = None
    current_kind = None
    for layer, name in items:
        parent: PSDImage | Group = psd
        if groups:
            kind = group_of(layer)
            if kind != current_kind:
                current_group = psd.create_group(name=kind)
                current_kind = kind
            parent = current_group if current_group is not None else psd
        if mode == "RGBA":
            image = Image.fromarray(np.ascontiguousarray(layer.rgba), "RGBA")
        else:
            image = Image.fromarray(depth_uint8(layer), "L")
        pixel = parent.create_pixel_layer(
            image,
            name="layer",  # psd-tools writes this one as MacRoman and fails on other characters; see below
            top=layer.offset[1],
            left=layer.offset[0],
            opacity=int(round(np.clip(layer.opacity, 0.0, 1.0) * 255)),
        )
        pixel.name = name  # the setter stores the Unicode name and a MacRoman-safe fallback ("?")
        if mode == "RGBA" and layer.blend_mode != NORMAL and layer.blend_mode in KNOWN_MODES:
            pixel.blend_mode = BlendMode[layer.blend_mode.upper()]  # unsupported modes too: the artist's choice
        if not layer.visible:
            pixel.visible = False
        tick()
    return psd


def psd_json(items: list[tuple[Layer, str]], doc: DocumentLike) -> dict:
    """The official `<name>.psd.json` content (xyxy with exclusive x2/y2, frame_size = [H, W])."""
    parts = {}
    for part_id, (layer, name) in enumerate(items):
        parts[name] = {
            "xyxy": list(layer.bbox),
            "tag": layer.tag if layer.tag is not None else name,
            "part_id": part_id,
            "depth_median": float(layer.depth_value),
        }
    return {"parts": parts, "frame_size": [doc.height, doc.width]}


def _psd_bytes(psd: PSDImage) -> bytes:
    buf = io.BytesIO()
    psd.save(buf)
    return buf.getvalue()


def export_psd(
    doc: DocumentLike,
    path: str | os.PathLike[str],
    groups: bool = False,
    companions: bool = True,
    progress: Progress = None,
    cancel: CancelCheck = None,
) -> list[Path]:
    """Write `path` (+ `<stem>_depth.psd` and `<stem>.psd.json` when `companions`). Returns the paths written.

    `progress(done, total)` is called as layers are encoded; `cancel()` returning True raises Cancelled and
    leaves nothing on disk (old files of the same name are kept).
    """
    path = Path(path)
    items = exported_layers(doc)
    if not items:
        raise BadInput("nothing to export: the document has no non-empty layer")
    passes = 2 if companions else 1
    total = len(items) * passes + passes  # + one step per file serialisation
    done = 0

    def tick() -> None:
        nonlocal done
        _check_cancel(cancel)
        done += 1
        if progress is not None:
            progress(done, total)

    _check_cancel(cancel)
    blobs: list[tuple[Path, bytes]] = []
    rgba_psd = _build_psd(doc, items, "RGBA", groups, tick)
    blobs.append((path, _psd_bytes(rgba_psd)))
    tick()
    if companions:
        depth_path, json_path = companion_paths(path)
        depth_psd = _build_psd(doc, items, "L", groups, tick)
        blobs.append((depth_path, _psd_bytes(depth_psd)))
        tick()
        text = json.dumps(psd_json(items, doc), indent=1, ensure_ascii=False)
        blobs.append((json_path, text.encode("utf-8")))
    _check_cancel(cancel)
    _write_all(blobs)
    return [p for p, _ in blobs]


def _write_all(blobs: list[tuple[Path, bytes]]) -> None:
    """Write every file through its own atomic writer; the renames happen together at the end."""
    for target, _ in blobs:  # a folder in the way of any member would leave the set half-replaced: refuse first
        if target.is_dir():
            raise WriteFailed(f"cannot write {target}: it is a folder")
    with contextlib.ExitStack() as stack:
        for target, data in blobs:
            stack.enter_context(atomic_writer(target)).write(data)


# --- PNG folder ----------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w\-. ]+", re.UNICODE)


def safe_filename(name: str) -> str:
    """A file-name-safe version of a layer name (keeps letters, digits, space, `-`, `_`, `.`)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned or "layer"


def composite_image(doc: DocumentLike) -> np.ndarray:
    """The stacked composite of the visible layers (core.compositing)."""
    from seethrough.core.compositing import composite

    return composite(doc)


def export_png_folder(
    doc: DocumentLike, folder: str | os.PathLike[str], progress: Progress = None, cancel: CancelCheck = None
) -> Path:
    """Write `<index>_<name>.png` (cropped RGBA), `<index>_<name>_depth.png` (16-bit, 0 = nearest),
    `composite.png` and `manifest.json` into `folder`, built in a temp folder renamed into place at the end."""
    folder = Path(folder)
    layers = list(doc.layers)
    total = len(layers) + 1
    entries = []
    with atomic_folder(folder) as tmp:
        for order, layer in enumerate(layers):
            _check_cancel(cancel)
            stem = f"{order:02d}_{safe_filename(layer.name)}"
            entry = {
                "name": layer.name,
                "tag": layer.tag,
                "file": None,
                "depth_file": None,
                "bbox": list(layer.bbox),
                "offset": list(layer.offset),
                "depth_value": float(layer.depth_value),
                "visible": bool(layer.visible),
                "opacity": float(layer.opacity),
                "order": order,
            }
            if layer.rgba.size:
                (tmp / f"{stem}.png").write_bytes(encode_png(layer.rgba))
                depth16 = np.clip(np.rint(layer.depth_or_constant() * 65535.0), 0, 65535).astype(np.uint16)
                (tmp / f"{stem}_depth.png").write_bytes(encode_png(depth16))
                entry["file"], entry["depth_file"] = f"{stem}.png", f"{stem}_depth.png"
            else:
                log.warning("PNG export: layer %r is empty, no image written", layer.name)
            entries.append(entry)
            if progress is not None:
                progress(order + 1, total)
        _check_cancel(cancel)
        (tmp / "composite.png").write_bytes(encode_png(composite_image(doc)))
        manifest = {
            "format": "seethrough-png-folder",
            "version": 1,
            "canvas": [doc.width, doc.height],
            "frame_size": [doc.height, doc.width],
            "depth_encoding": "16-bit PNG, value/65535 = depth, 0 = nearest",
            "layers": entries,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        if progress is not None:
            progress(total, total)
    return folder
