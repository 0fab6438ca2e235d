"""Layered PSD export in the official See-through layout, plus the PNG-folder export.

PSD (`docs/authors-pipeline.md` §4.2): one RGBA pixel layer per document layer, created
bottom→top in document order (psd-tools puts each new layer on top, so layers[0] ends at the bottom), named by
the layer name, cropped at its offset. Companions the authors' tools read back: `<stem>_depth.psd` (the same
layers in mode L holding depth*255, 0 = nearest) and `<stem>.psd.json` ({"parts": {...}, "frame_size": [H, W]}).
Unlike the official writer we keep visibility and opacity, and can wrap contiguous runs in "head"/"body" groups.
A layer mask is written as a real PSD layer mask (docs/masks.md).

All files are built in memory first and written as one set at the end (`core.io.atomic.write_set`, under a
journal): the PSD first (its rename commits the set), then the depth PSD, then the JSON (which records the SHA-256
of both PSDs under "members"). A cancel or an error leaves nothing new on disk; a kill before the PSD's rename
leaves the previous set whole, a kill after it leaves the new set whole, its companions still under their temp
names, where `psd_import` finds them through the journal and the next clean-up in the folder renames them. (A set
mixed by other means, such as a copy, is still caught by the recorded hashes and reported.) The PSD stores the
merged composite with its alpha (`core.io.psd_merged`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from psd_tools import PSDImage
from psd_tools.api.layers import Group
from psd_tools.api.layers import Layer as PsdLayer
from psd_tools.constants import BlendMode

from seethrough.core.blending import KNOWN_MODES, NORMAL
from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import BadInput, Cancelled, WriteFailed
from seethrough.core.io import safe_json
from seethrough.core.io.atomic import write_set
from seethrough.core.io.psd_merged import store_merged
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
        base = layer.name.replace("\x00", "")[:240]  # PSD layer names are limited to 255 characters
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
        if mode == "RGBA" and layer.layer_mask is not None:
            write_layer_mask(pixel, layer)
        if mode == "RGBA" and layer.blend_mode != NORMAL and layer.blend_mode in KNOWN_MODES:
            pixel.blend_mode = BlendMode[layer.blend_mode.upper()]  # unsupported modes too: the artist's choice
        if not layer.visible:
            pixel.visible = False
        tick()
    return psd


def write_layer_mask(pixel: PsdLayer, layer: Layer) -> None:
    """The layer mask as a real PSD layer mask (user mask channel, id -2): its box, its default colour (what it
    holds outside the box) and its disabled flag, as Photoshop, GIMP, Krita and psd-tools read them."""
    mask = layer.layer_mask
    assert mask is not None
    box = mask.box if mask.plane.width and mask.plane.height else layer.bbox
    values = np.ascontiguousarray(mask.over(box))
    pixel.create_mask(Image.fromarray(values, "L"), top=box[1], left=box[0])
    data = pixel.mask.data  # type: ignore[union-attr]
    data.background_color = mask.fill
    pixel.mask.disabled = not mask.enabled  # type: ignore[union-attr]


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
    _check_output(path)
    rgba_psd = _build_psd(doc, items, "RGBA", groups, tick)
    store_merged(rgba_psd, composite_image(doc))
    main = _psd_bytes(rgba_psd)
    tick()
    blobs: list[tuple[Path, bytes]] = [(path, main)]  # readers open the PSD first: its rename commits the set
    if companions:
        depth_path, json_path = companion_paths(path)
        depth_psd = _build_psd(doc, items, "L", groups, tick)
        depth = _psd_bytes(depth_psd)
        tick()
        meta = psd_json(items, doc)
        meta["members"] = {path.name: member_record(main), depth_path.name: member_record(depth)}
        blobs += [(depth_path, depth), (json_path, safe_json.dumps(meta).encode("utf-8"))]
    _check_cancel(cancel)
    write_set(blobs)
    return [p for p, _ in blobs]


def member_record(data: bytes) -> dict:
    """What the companion JSON records of a set member, to recognise it later."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _check_output(path: Path) -> None:
    for target in (path, *companion_paths(path)):
        if target.is_dir():
            raise WriteFailed(f"cannot write {target}: it is a folder")


# --- PNG folder: core.io.png_folder (re-exported here, where the GUI and older code import it) ----------------------


def composite_image(doc: DocumentLike) -> np.ndarray:
    """The stacked composite of the visible layers (core.compositing)."""
    from seethrough.core.compositing import composite

    return composite(doc)


def export_png_folder(
    doc: DocumentLike, folder: str | os.PathLike[str], progress: Progress = None, cancel: CancelCheck = None
) -> Path:
    """See `core.io.png_folder.export_png_folder`."""
    from seethrough.core.io.png_folder import export_png_folder as export

    return export(doc, folder, progress=progress, cancel=cancel)


def safe_filename(name: str) -> str:
    """See `core.io.png_folder.safe_filename`."""
    from seethrough.core.io.png_folder import safe_filename as safe

    return safe(name)
