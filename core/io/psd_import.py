"""Layered PSD import: a PSD alone, or with the See-through companions `<stem>_depth.psd` and `<stem>.psd.json`.

Why companions matter: the official tools keep per-pixel depth in a second PSD (mode L, depth*255, 0 = nearest)
and the representative depth + frame size in JSON (docs/authors-pipeline.md §4.2). Without them, depth follows the
stacking order (bottom = 1.0 farthest … top = 0.0 nearest), which is what a painter's layer order means.
Layer names are the authors' tags ("front hair", "handwear-r", legacy "hairf"), mapped with the taxonomy.
Groups are flattened (their path is kept in provenance and metadata); layers psd-tools cannot rasterise are
skipped with a warning in `doc.metadata["import_warnings"]`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import numpy as np
from psd_tools import PSDImage
from psd_tools.api.layers import AdjustmentLayer, FillLayer
from psd_tools.api.layers import Layer as PsdLayer

from seethrough.core.blending import KNOWN_MODES, NORMAL, is_supported, label
from seethrough.core.document import (
    Document,
    DocumentLike,
    Layer,
    place,
    with_representative_depth,
)
from seethrough.core.errors import BadInput, ImageTooLarge
from seethrough.core.io import safe_json
from seethrough.core.io.images import pil_to_rgba
from seethrough.core.io.limits import max_pixels as _max_pixels
from seethrough.core.io.psd_export import companion_paths, composite_image
from seethrough.core.io.regular import open_regular
from seethrough.core.io.schemas import PsdCompanion, validate
from seethrough.core.taxonomy import tag_from_layer_name

log = logging.getLogger(__name__)

_DUP_SUFFIX = re.compile(r"#\d+$")
#: psd-tools ColorMode values we can turn into RGBA (BITMAP 0, GRAYSCALE 1, RGB 3, CMYK 4)
_COLOR_MODES = {0: "bitmap", 1: "grayscale", 3: "RGB", 4: "CMYK"}
_READ_ERRORS = (OSError, ValueError, struct.error, EOFError, IndexError, KeyError, AssertionError, TypeError)


@dataclass
class _RawLayer:
    name: str
    rgba: np.ndarray
    offset: tuple[int, int]
    visible: bool
    opacity: float
    group: str
    blend_mode: str = "normal"


def _open_psd(path: Path) -> PSDImage:
    with open_regular(path) as fh:  # missing, a FIFO, a device: one line, never a wait
        if fh.read(4) != b"8BPS":
            raise BadInput(f"{path.name}: not a PSD file (bad signature)")
        fh.seek(0)
        try:
            return PSDImage.open(fh)
        except _READ_ERRORS as exc:
            raise BadInput(f"{path.name}: corrupt or truncated PSD ({type(exc).__name__}: {exc})") from exc


def _layer_rgba(layer: PsdLayer, warnings: list[str], where: str) -> np.ndarray | None:
    """RGBA uint8 of any psd-tools layer psd-tools can rasterise, or None (with a warning)."""
    try:
        im = layer.topil()
        if im is None and layer.kind in ("type", "shape", "smartobject"):
            im = layer.composite()
    except _READ_ERRORS as exc:
        raise BadInput(f"{where}: layer {layer.name!r} has corrupt pixel data ({exc})") from exc
    except ImportError as exc:  # composite() needs optional extras for vector shapes
        warnings.append(f"layer {layer.name!r} ({layer.kind}) skipped: cannot rasterise it ({exc})")
        return None
    if im is None:
        warnings.append(f"layer {layer.name!r} ({layer.kind}) skipped: it has no pixels psd-tools can rasterise")
        return None
    rgba = pil_to_rgba(im)
    if im.mode in ("CMYK", "RGB", "L"):
        # psd-tools' PIL view of CMYK/RGB/L layers may drop the transparency channel that numpy() keeps
        arr = layer.numpy()
        if arr is not None and arr.ndim == 3 and arr.shape[2] == len(im.getbands()) + 1:
            rgba[..., 3] = np.clip(np.rint(arr[..., -1] * 255.0), 0, 255).astype(np.uint8)
    return rgba


def _collect(
    group: Iterable[PsdLayer],
    path: str,
    visible: bool,
    opacity: float,
    out: list[_RawLayer],
    warnings: list[str],
    where: str,
) -> None:
    for layer in group:
        layer_visible = visible and layer.visible
        layer_opacity = opacity * layer.opacity / 255.0
        mode = _blend_mode(layer)
        if layer.is_group():
            sub = f"{path}/{clean_name(layer.name)}" if path else clean_name(layer.name)
            if mode not in ("pass_through", "normal"):
                warnings.append(f"group {layer.name!r}: blend mode {label(mode)} of a group is not supported; "
                                "its layers keep their own modes")
            _collect(cast(Iterable[PsdLayer], layer), sub, layer_visible, layer_opacity, out, warnings, where)
            continue
        # fill opacity scales the layer's pixels like opacity does for every mode the compositor draws
        layer_opacity *= _fill_opacity(layer) / 255.0
        if isinstance(layer, (AdjustmentLayer, FillLayer)):  # kind is e.g. "invert", "curves", "solidcolorfill"
            warnings.append(f"layer {layer.name!r} ({layer.kind}) skipped: adjustment/fill layers have no pixels")
            continue
        rgba = _layer_rgba(layer, warnings, where)
        if rgba is None:
            continue
        if rgba.size == 0 or not (rgba[..., 3] > 10).any():
            warnings.append(f"layer {layer.name!r} skipped: it is empty")
            continue
        if layer.kind != "pixel":
            warnings.append(f"layer {layer.name!r} ({layer.kind}) rasterised")
        if mode not in KNOWN_MODES:
            warnings.append(f"layer {layer.name!r}: unknown blend mode {mode!r}; drawn as normal")
            mode = NORMAL
        elif not is_supported(mode):
            warnings.append(f"layer {layer.name!r}: blend mode {label(mode)} is not supported by the compositor; "
                            "drawn as normal here, kept on export")
        out.append(_RawLayer(clean_name(layer.name), rgba, (layer.left, layer.top), layer_visible, layer_opacity, path,
                             mode))


def _crop_to_canvas(raw: list[_RawLayer], width: int, height: int, warnings: list[str]) -> list[_RawLayer]:
    """Layers wholly outside the canvas are left out; a layer whose offset lies beyond ± the canvas (a document's
    limit) is cut to the canvas. Layers partly off the canvas within that limit are kept as they are."""
    out: list[_RawLayer] = []
    cropped = 0
    for item in raw:
        x, y = item.offset
        h, w = item.rgba.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
        if x0 >= x1 or y0 >= y1:
            warnings.append(f"layer {item.name!r} skipped: it lies wholly outside the canvas")
            continue
        if not (-width <= x <= width and -height <= y <= height):
            cropped += 1
            item = dataclasses.replace(item, rgba=item.rgba[y0 - y : y1 - y, x0 - x : x1 - x].copy(), offset=(x0, y0))
        out.append(item)
    if cropped:
        warnings.append(f"{cropped} layer(s) placed far outside the canvas were cropped to it")
    return out


def _blend_mode(layer: PsdLayer) -> str:
    """The layer's blend mode as a lower-case psd-tools name ("multiply", "linear_dodge", "pass_through")."""
    try:
        return str(layer.blend_mode.name).lower()
    except (AttributeError, ValueError):
        return NORMAL


def _fill_opacity(layer: PsdLayer) -> int:
    try:
        value = int(layer.fill_opacity)
    except (AttributeError, TypeError, ValueError, KeyError):
        return 255
    return min(max(value, 0), 255)


def _read_depth_psd(path: Path) -> dict[str, tuple[np.ndarray, tuple[int, int]]]:
    """name → (depth float32 in [0,1], offset) of each layer of a `_depth.psd`."""
    psd = _open_psd(path)
    out: dict[str, tuple[np.ndarray, tuple[int, int]]] = {}
    for layer in psd.descendants():
        if layer.is_group():
            continue
        try:
            arr = layer.numpy()
        except _READ_ERRORS as exc:
            raise BadInput(f"{path.name}: depth layer {layer.name!r} is corrupt ({exc})") from exc
        if arr is None:
            continue
        out[clean_name(layer.name)] = (np.asarray(arr[..., 0], np.float32), (layer.left, layer.top))
    return out


def clean_name(name: str) -> str:
    """A layer name as the user typed it: Krita and some other writers leave trailing NULs in Unicode names."""
    return name.rstrip("\x00")


def _read_json(path: Path) -> PsdCompanion:
    data = safe_json.read(path)
    if not isinstance(data, dict):
        raise BadInput(f"{path.name}: expected {{'parts': {{...}}, 'frame_size': [H, W]}}")
    return validate(PsdCompanion, data, path.name)


def _matches(path: Path, record: object) -> bool:
    """Whether the file is the set member the companion JSON recorded (size, then SHA-256)."""
    try:
        if path.stat().st_size != record.size:  # type: ignore[attr-defined]
            return False
        digest = hashlib.sha256()
        with open_regular(path) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except (OSError, BadInput):
        return False
    return digest.hexdigest() == record.sha256  # type: ignore[attr-defined]


def _companions(p: Path, warnings: list[str]) -> tuple[PsdCompanion | None, Path | None]:
    """The companion JSON and depth PSD that belong to `p`: when the JSON records the set's members (our exports
    do), a member from another write is reported and left out instead of being paired with these layers."""
    depth_path, json_path = companion_paths(p)
    meta = _read_json(json_path) if json_path.is_file() else None
    depth = depth_path if depth_path.is_file() else None
    if meta is None or meta.members is None:
        return meta, depth
    own = meta.members.get(p.name)
    if own is not None and not _matches(p, own):
        warnings.append(f"{json_path.name} and {depth_path.name} belong to another export than {p.name} (an "
                        "export was interrupted?): ignored, depth follows the layer order")
        return None, None
    record = meta.members.get(depth_path.name)
    if depth is not None and record is not None and not _matches(depth, record):
        warnings.append(f"{depth_path.name} belongs to another export than {p.name}: per-pixel depth ignored")
        depth = None
    return meta, depth


def import_psd(path: str | os.PathLike[str], max_pixels: int | None = None, companions: bool = True) -> Document:
    """Read a layered PSD into a Document (layers[0] = bottom), using the companion files when present."""
    p = Path(path)
    psd = _open_psd(p)
    where = p.name
    width, height = psd.width, psd.height
    limit = _max_pixels(max_pixels)
    if width * height > limit:
        raise ImageTooLarge(f"{where}: {width}×{height} canvas is over the limit of {limit:,} pixels")
    mode = int(psd.color_mode)
    if mode not in _COLOR_MODES:
        raise BadInput(f"{where}: PSD colour mode {psd.color_mode.name} is not supported (use RGB)")
    warnings: list[str] = []
    if mode != 3:
        warnings.append(f"{_COLOR_MODES[mode]} PSD converted to RGB")
    if psd.depth != 8:
        warnings.append(f"{psd.depth}-bit PSD converted to 8-bit")
    raw: list[_RawLayer] = []
    _collect(psd, "", True, 1.0, raw, warnings, where)
    raw = _crop_to_canvas(raw, width, height, warnings)

    depth_maps: dict[str, tuple[np.ndarray, tuple[int, int]]] = {}
    parts: dict = {}
    if companions:
        meta, depth_path = _companions(p, warnings)
        if depth_path is not None:
            depth_maps = _read_depth_psd(depth_path)
        if meta is not None:
            parts = dict(meta.parts)
            frame = meta.frame_size
            if frame and list(frame) != [height, width]:
                name = companion_paths(p)[1].name
                warnings.append(f"{name}: frame_size {list(frame)} differs from the PSD's [{height}, {width}]")

    layers: list[Layer] = []
    n = len(raw)
    groups: dict[str, str] = {}
    for i, item in enumerate(raw):
        h, w = item.rgba.shape[:2]
        depth = None
        if item.name in depth_maps:
            dmap, (dx, dy) = depth_maps[item.name]
            depth = place(dmap, (dx - item.offset[0], dy - item.offset[1]), (w, h), fill=1.0)
        order_depth = 1.0 - i / (n - 1) if n > 1 else 0.5
        tag = tag_from_layer_name(_DUP_SUFFIX.sub("", item.name))
        part = parts.get(item.name)
        if part is not None and part.depth_median is not None and part.tag and tag is None:
            tag = tag_from_layer_name(part.tag)
        layer = Layer(
            name=item.name,
            rgba=item.rgba,
            offset=item.offset,
            tag=tag,
            depth=depth,
            depth_value=order_depth,
            visible=item.visible,
            opacity=float(item.opacity),
            blend_mode=item.blend_mode,
            provenance=f"psd import: {where}" + (f" (group {item.group})" if item.group else ""),
        )
        if part is not None and part.depth_median is not None:
            layer = replace(layer, depth_value=float(part.depth_median))
        elif depth is not None:
            layer = with_representative_depth(layer)
        if item.group:
            groups[layer.uid] = item.group
        layers.append(layer)

    metadata: dict = {"imported_from": str(p), "import_warnings": warnings}
    if groups:
        metadata["psd_groups"] = groups
    source, metadata["source_from"] = _source(Document((width, height), layers), psd, warnings, where)
    doc = Document((width, height), layers, source=source, metadata=metadata)
    for w in warnings:
        log.warning("%s: %s", where, w)
    return doc


def _source(doc: DocumentLike, psd: PSDImage, warnings: list[str], where: str) -> tuple[np.ndarray | None, str]:
    """The source image: the PSD's merged composite, unless it lost the transparency the layers have.

    psd-tools (and the official writer, which uses it) store the merged image as RGB flattened over the
    background colour, so for a character on transparency the layers' own composite is the faithful source.
    """
    merged = _merged(psd, warnings, where)
    if not doc.layers:
        return merged, "merged" if merged is not None else "none"
    if merged is not None and im_has_alpha(merged):
        return merged, "merged"
    computed = composite_image(doc)
    if merged is not None and bool((computed[..., 3] == 255).all()):
        return merged, "merged"
    return computed, "layers"


def im_has_alpha(rgba: np.ndarray) -> bool:
    return bool((rgba[..., 3] < 255).any())


def _merged(psd: PSDImage, warnings: list[str], where: str) -> np.ndarray | None:
    """The PSD's stored merged composite as RGBA, or None when it has none (or it cannot be read)."""
    if not psd.has_preview():
        return None
    try:
        im = psd.topil()
    except _READ_ERRORS as exc:
        warnings.append(f"merged composite unreadable ({exc}); recomputed from the layers")
        return None
    if im is None or im.size != (psd.width, psd.height):
        return None
    return pil_to_rgba(im)
