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
    crop_to_content,
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
from seethrough.core.io.set_journal import pending_renames
from seethrough.core.layer_mask import LayerMask
from seethrough.core.taxonomy import tag_from_layer_name
from seethrough.core.tiles import TiledPlane

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
    #: the layer's vector-mask coverage over its pixels, [0, 1], baked into them; None: no vector mask
    mask: np.ndarray | None = None
    #: the layer's pixel mask, kept as its (non-destructive) layer mask (docs/masks.md)
    layer_mask: LayerMask | None = None
    #: the layer this one is clipped to (an earlier `_RawLayer`), or None
    clip_base: _RawLayer | None = None


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
    base: _RawLayer | str | None = None  # what a clipping layer here clips to: a layer, or why it cannot
    for layer in group:
        layer_visible = visible and layer.visible
        layer_opacity = opacity * layer.opacity / 255.0
        mode = _blend_mode(layer)
        clip_base = _clip_base(layer, base, warnings)
        if clip_base is None and not _is_clipping(layer):
            base = f"{layer.kind} layer {layer.name!r}"  # until this layer turns out to be a usable base
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
            if not _is_clipping(layer):
                base = "an empty layer"  # what clips to it shows nothing
            continue
        if layer.kind != "pixel":
            warnings.append(f"layer {layer.name!r} ({layer.kind}) rasterised")
        if mode not in KNOWN_MODES:
            warnings.append(f"layer {layer.name!r}: unknown blend mode {mode!r}; drawn as normal")
            mode = NORMAL
        elif not is_supported(mode):
            warnings.append(f"layer {layer.name!r}: blend mode {label(mode)} is not supported by the compositor; "
                            "drawn as normal here, kept on export")
        raw = _RawLayer(clean_name(layer.name), rgba, (layer.left, layer.top), layer_visible, layer_opacity, path,
                        mode, mask=_vector_coverage(layer, rgba.shape[1], rgba.shape[0], warnings),
                        layer_mask=layer_mask_of(layer, warnings), clip_base=clip_base)
        out.append(raw)
        if not _is_clipping(layer):
            base = raw


def _is_clipping(layer: PsdLayer) -> bool:
    try:
        return bool(layer.clipping)
    except (AttributeError, ValueError, KeyError):
        return False


def _clip_base(layer: PsdLayer, base: _RawLayer | str | None, warnings: list[str]) -> _RawLayer | None:
    """The layer a clipping layer clips to (its nearest non-clipping sibling below), or None with a warning when
    that base is not a pixel layer we keep (a group, an adjustment layer) or there is none."""
    if not _is_clipping(layer):
        return None
    if isinstance(base, _RawLayer):
        return base
    if base == "an empty layer":
        return None  # clipped to nothing visible: `_bake_masks` hides it
    warnings.append(f"layer {layer.name!r}: its clipping to {base or 'nothing'} is not applied (only clipping to a "
                    "pixel layer is); drawn unclipped")
    return None


def layer_mask_of(layer: PsdLayer, warnings: list[str]) -> LayerMask | None:
    """The layer's pixel mask (user mask, channel -2) kept as a layer mask: its box, default colour and disabled
    flag (docs/masks.md). A mask larger than the image limit is refused like any image."""
    try:
        mask = layer.mask if layer.has_mask() else None
        if mask is None or not mask.has_real() and layer.has_vector_mask():
            return None  # no pixel mask (a vector mask alone: `_vector_coverage`)
        if mask.width * mask.height > _max_pixels(None):
            raise BadInput(f"{layer.name!r}: its layer mask is {mask.width}×{mask.height}, over the image limit")
        data, real = mask.data, bool(mask.has_real())  # with a vector mask beside it, the pixel mask is "real"
        colour = data.real_background_color if real else data.background_color
        fill = 255 if int(colour or 0) >= 128 else 0
        edges = ("real_left", "real_top", "real_right", "real_bottom") if real else ("left", "top", "right", "bottom")
        x0, y0, x1, y1 = (int(getattr(data, edge)) for edge in edges)
        box = (x0, y0, x1, y1)
        image = mask.topil(real=real)
    except _READ_ERRORS as exc:
        warnings.append(f"layer {layer.name!r}: its mask cannot be read ({exc}); left out")
        return None
    enabled = not bool(mask.disabled)
    density = _mask_density(mask)
    if image is None or box[2] <= box[0] or box[3] <= box[1]:
        return LayerMask(TiledPlane.constant((box[0], box[1], box[0], box[1]), fill, np.uint8), enabled)
    values = np.asarray(image.convert("L"), np.uint8)
    if values.shape != (box[3] - box[1], box[2] - box[0]):
        warnings.append(f"layer {layer.name!r}: its mask's pixels do not fill its box; left out")
        return None
    if density < 1.0:  # a mask drawn at less than full density hides less
        values = np.round(density * values + (1.0 - density) * 255).astype(np.uint8)
    return LayerMask.from_array(values, (x0, y0), fill=fill, enabled=enabled)


def _vector_coverage(layer: PsdLayer, width: int, height: int, warnings: list[str]) -> np.ndarray | None:
    """A vector mask (where psd-tools' compositor applies one: no pixel mask beside it) over the layer's pixels, as
    coverage in [0, 1], to be baked into them (documents keep pixel masks, not vector ones); None without one."""
    if width == 0 or height == 0 or layer.kind != "pixel":
        return None
    box = (layer.left, layer.top, layer.left + width, layer.top + height)
    try:
        vector = layer.vector_mask if layer.has_vector_mask() else None
        mask = layer.mask
        if vector is None or vector.disabled or (mask is not None and mask.has_real()):
            return None
        from psd_tools.composite.vector import draw_vector_mask

        coverage = np.asarray(draw_vector_mask(layer, box), np.float32).reshape(height, width)
    except _READ_ERRORS + (ImportError,) as exc:
        warnings.append(f"layer {layer.name!r}: its vector mask cannot be read ({exc}); drawn without it")
        return None
    warnings.append(f"layer {layer.name!r}: its vector mask was applied to its pixels")
    return coverage


def _mask_density(mask: object) -> float:
    parameters = getattr(mask, "parameters", None)
    density = getattr(parameters, "user_mask_density", None) if parameters is not None else None
    return 1.0 if density is None else min(max(float(density) / 255.0, 0.0), 1.0)


def place_into(target: np.ndarray, values: np.ndarray, offset: tuple[int, int]) -> None:
    """Copy `values` into `target` at `offset` (x, y), where they overlap."""
    x, y = offset
    h, w = values.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, target.shape[1]), min(y + h, target.shape[0])
    if x1 > x0 and y1 > y0:
        target[y0:y1, x0:x1] = values[y0 - y : y1 - y, x0 - x : x1 - x]


def _bake_masks(raw: list[_RawLayer], warnings: list[str]) -> list[_RawLayer]:
    """Vector masks and clipping masks, applied to the pixels (a pixel mask is kept as the layer's own mask).

    A vector mask multiplies the layer's alpha. A clipping layer is drawn only where its base is: its alpha is
    multiplied by the base's (masked) alpha, it is hidden with its base and takes the base's opacity too, as in
    psd-tools' compositor and Photoshop (identical where the base is opaque inside its shape at full opacity; at a
    base's soft edge the clipped colour is mixed by alpha instead of painted onto the base). Layers left empty are
    dropped."""
    baked: dict[int, np.ndarray] = {}  # id(raw layer) → its alpha after masks (float, over its pixels)
    out: list[_RawLayer] = []
    for original in raw:
        item = original
        alpha = item.rgba[..., 3].astype(np.float32) / 255.0
        if item.mask is not None:
            alpha *= item.mask
        # what clips to this layer sees it as drawn: its pixel mask (kept as its layer mask) applied
        shown = alpha if item.layer_mask is None else alpha * _mask_over(item.layer_mask, item.offset, alpha.shape)
        base = item.clip_base
        if base is not None:
            base_alpha = np.zeros_like(alpha)
            if id(base) in baked:
                place_into(base_alpha, baked[id(base)], (base.offset[0] - item.offset[0],
                                                          base.offset[1] - item.offset[1]))
            alpha *= base_alpha
            item = dataclasses.replace(item, visible=item.visible and base.visible,
                                       opacity=item.opacity * base.opacity)
            warnings.append(f"layer {item.name!r}: clipped to {base.name!r} (the clipping was applied to its pixels)")
        baked[id(original)] = shown  # what clips to this layer reads it (bases are never clipping layers)
        if item.mask is None and base is None:
            out.append(item)
            continue
        rgba = item.rgba.copy()
        rgba[..., 3] = np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)
        rgba[rgba[..., 3] == 0] = 0
        pixels, _, offset = crop_to_content(rgba, None, item.offset)
        if pixels.size == 0 or not (pixels[..., 3] > 10).any():
            warnings.append(f"layer {item.name!r} skipped: nothing of it is left inside its mask")
            continue
        out.append(dataclasses.replace(item, rgba=pixels, offset=offset))
    return out


def _mask_over(mask: LayerMask, offset: tuple[int, int], shape: tuple[int, ...]) -> np.ndarray:
    """A layer mask's coverage, [0, 1], over a layer's pixel box (1 where it is disabled)."""
    x, y = offset
    if not mask.enabled:
        return np.ones(shape[:2], np.float32)
    return mask.over((x, y, x + shape[1], y + shape[0])).astype(np.float32) / 255.0


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
    # a set whose write was killed after its PSD was renamed: its companions are still under their temp names
    pending = pending_renames(p.parent)
    json_file = pending.get(json_path.name, json_path)
    meta = _read_json(json_file) if json_file.is_file() else None
    depth: Path | None = pending.get(depth_path.name, depth_path)
    depth = depth if depth is not None and depth.is_file() else None
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
    raw = _bake_masks(raw, warnings)
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
            layer_mask=item.layer_mask,
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
