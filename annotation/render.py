"""A CPU rasteriser for Live2D models (numpy + OpenCV), fed by the Cubism runtime: no GL, deterministic, CI-safe.

Each ArtMesh is drawn by filling its triangles into a triangle-id map (back faces culled for single-sided
Cubism 3+ meshes), turning every covered pixel into barycentric coordinates of its triangle, interpolating the UVs
and sampling the texture trilinearly (a mip level chosen per mesh from its texel-to-pixel ratio, as GL's
`LINEAR_MIPMAP_LINEAR` would for an affine mesh; `cv2.remap` per level). The colour maths is Cubism's fragment
shader: `rgb·multiply`, then screen `rgb + s − rgb·s`, alpha × opacity; a clipping mask is the union of its mask
meshes' texture alpha (drawn whatever the mask meshes' own opacity; inverted masks use the complement); the
blend modes normal / additive / multiply follow the framework's GL blend functions.

Every fragment is kept *cropped* to its own box (`ModelRaster.crops`), so a whole model at 1024² costs the sum of
its fragments' areas, not 134 full canvases; `ModelRaster.fragments[id]` still gives a full-canvas view on demand.
`render_composite`, `render_fragment`, `visibility_masks` and `mesh_areas` are the one-call API; they share one
`ModelRaster` per (model state, frame), cached on the model until its next `update()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from seethrough.annotation.model import ArtMesh, Live2DModel
from seethrough.core.errors import BadInput

#: alpha (0..1) above which a fragment counts as covering a pixel (the authors use 10/255)
ALPHA_VISIBLE = 0.1
Box = tuple[int, int, int, int]


@lru_cache(maxsize=8)
def _mip_chain(path: Path) -> tuple[np.ndarray, ...]:
    """Straight-alpha RGBA float32 in [0, 1] and its box-filtered halvings down to ~16 px (GL mipmaps)."""
    _check_texture_size(path)
    try:
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise BadInput(f"cannot read the texture {path} ({str(exc).strip().splitlines()[-1][:120]})") from None
    if img is None:
        raise BadInput(f"cannot read the texture {path}")
    if img.dtype == np.uint16:
        img = (img // 256).astype(np.uint8)
    if img.ndim == 2 or img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA if img.ndim == 2 else cv2.COLOR_BGR2BGRA)
    levels: list[np.ndarray] = [cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA).astype(np.float32) / 255.0]
    while min(levels[-1].shape[:2]) > 16:
        h, w = levels[-1].shape[:2]
        levels.append(cv2.resize(levels[-1], (max(w // 2, 1), max(h // 2, 1)), interpolation=cv2.INTER_AREA))
    return tuple(levels)


def _check_texture_size(path: Path) -> None:
    """The texture's size from its header (nothing decoded), within the image cap: a 100 000² header is refused
    here instead of failing inside OpenCV."""
    import warnings

    from PIL import Image

    from seethrough.core.io.limits import max_pixels

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
    except Image.DecompressionBombError:
        raise BadInput(f"the texture {path.name} is far over the image size limit") from None
    except (OSError, SyntaxError, ValueError):
        raise BadInput(f"cannot read the texture {path} (not an image, or damaged)") from None
    if width * height > max_pixels() or width <= 0 or height <= 0:
        raise BadInput(f"the texture {path.name} is {width}×{height}, over the limit of {max_pixels():,} pixels")


def _texture(path: Path) -> np.ndarray:
    return _mip_chain(path)[0]


@dataclass(frozen=True)
class Frame:
    """How the model's canvas maps to the output image: output = (model pixel − offset) × scale."""

    width: int
    height: int
    scale: float
    offset: tuple[float, float] = (0.0, 0.0)

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


def fit_frame(model: Live2DModel, size: int, margin: float = 0.0) -> Frame:
    """The whole model canvas fitted into `size` on its long side, with `margin` (a fraction of `size`) of empty
    border around it. The canvas (not the current silhouette) is fitted so every pose of a model shares a frame."""
    if size < 8:
        raise BadInput(f"render size {size} is too small (at least 8 px)")
    cw, ch = model.canvas_size
    inner = size * (1.0 - 2.0 * margin)
    scale = inner / max(cw, ch)
    width, height = max(1, round(cw * scale + 2 * margin * size)), max(1, round(ch * scale + 2 * margin * size))
    pad = margin * size / scale
    return Frame(width, height, scale, (-pad, -pad))


def rasterise(model: Live2DModel, mesh: ArtMesh, frame: Frame, as_mask: bool = False) -> tuple[np.ndarray, Box]:
    """A mesh's straight-alpha RGBA (float32, opacity and colours applied, no clipping) on its box (x0, y0, x1, y1).

    `as_mask`: drawn as a clipping mask, which Cubism does from the mesh's shape and texture alpha whatever the
    mesh's own opacity or visibility (mask meshes are often hidden themselves)."""
    empty = (np.zeros((0, 0, 4), np.float32), (0, 0, 0, 0))
    if not as_mask and (mesh.opacity <= 0.0 or not mesh.visible_flag):
        return empty
    vertices, uv, tris = model.geometry(mesh)
    if len(tris) == 0 or len(vertices) == 0:
        return empty
    verts = (np.asarray(vertices, np.float64) - np.asarray(frame.offset)) * frame.scale
    if not mesh.double_sided:  # GL culls back faces (front = counter-clockwise with y up = negative cross here)
        a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
        cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        tris = tris[cross <= 0]
        if len(tris) == 0:
            return empty
    used = verts[np.unique(tris)]
    x0, y0 = np.floor(used.min(0)).astype(int)
    x1, y1 = np.ceil(used.max(0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, frame.width), min(y1, frame.height)
    if x1 <= x0 or y1 <= y0:
        return empty
    ids = np.zeros((y1 - y0, x1 - x0), np.int32)
    local = verts - (x0, y0)
    fixed = np.round(local * 16).astype(np.int32)  # sub-pixel precision for fillConvexPoly (shift=4)
    for t, tri in enumerate(tris):
        cv2.fillConvexPoly(ids, fixed[tri], t + 1, lineType=cv2.LINE_8, shift=4)
    ys, xs = np.nonzero(ids)
    if len(xs) == 0:
        return empty
    hit = ids[ys, xs] - 1
    ia, ib, ic = tris[hit, 0], tris[hit, 1], tris[hit, 2]
    a, b, c = local[ia], local[ib], local[ic]
    p = np.stack([xs + 0.5, ys + 0.5], 1)
    v0, v1, v2 = b - a, c - a, p - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    den = np.where(np.abs(den) < 1e-12, 1e-12, den)
    w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    w0 = 1.0 - w1 - w2
    uv = np.asarray(uv, np.float64)
    u = w0 * uv[ia, 0] + w1 * uv[ib, 0] + w2 * uv[ic, 0]
    v = w0 * uv[ia, 1] + w1 * uv[ib, 1] + w2 * uv[ic, 1]
    chain = _mip_chain(model.textures[mesh.texture_index])
    sampled = _sample_trilinear(chain, u, 1.0 - v, _lod(verts, uv, tris, chain[0].shape))  # Cubism's v grows up
    if not as_mask:
        mul, scr = np.asarray(mesh.multiply_color, np.float32), np.asarray(mesh.screen_color, np.float32)
        if (mul != 1.0).any() or (scr != 0.0).any():
            rgb = sampled[:, :3] * mul
            sampled[:, :3] = rgb + scr - rgb * scr
        sampled[:, 3] *= mesh.opacity
    out = np.zeros((y1 - y0, x1 - x0, 4), np.float32)
    out[ys, xs] = sampled
    return out, (int(x0), int(y0), int(x1), int(y1))


def _lod(verts: np.ndarray, uv: np.ndarray, tris: np.ndarray, tex_shape: tuple[int, ...]) -> float:
    """The mip level of a mesh: half the log2 of its texel area per screen pixel (0 when magnified)."""
    th, tw = tex_shape[:2]
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    screen = np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])).sum()
    ta, tb, tc = uv[tris[:, 0]] * (tw, th), uv[tris[:, 1]] * (tw, th), uv[tris[:, 2]] * (tw, th)
    texels = np.abs((tb[:, 0] - ta[:, 0]) * (tc[:, 1] - ta[:, 1]) - (tb[:, 1] - ta[:, 1]) * (tc[:, 0] - ta[:, 0])).sum()
    if screen <= 1e-9 or texels <= 1e-9:
        return 0.0
    return max(0.0, 0.5 * float(np.log2(texels / screen)))


def _sample_trilinear(chain: tuple[np.ndarray, ...], u: np.ndarray, v: np.ndarray, lod: float) -> np.ndarray:
    """Samples at texture coordinates (u, v) in [0, 1] (v down), blending the two mip levels around `lod`."""
    lod = min(lod, len(chain) - 1.0)
    lo = int(np.floor(lod))
    frac = lod - lo
    first = _sample(chain[lo], u, v)
    if frac < 1e-3 or lo + 1 >= len(chain):
        return first
    return first * (1.0 - frac) + _sample(chain[lo + 1], u, v) * frac


def _sample(tex: np.ndarray, u: np.ndarray, v: np.ndarray, width: int = 1024) -> np.ndarray:
    """Bilinear texture samples at N points (cv2.remap wants 2-D maps under 32767 a side: fold N into rows)."""
    th, tw = tex.shape[:2]
    x, y = u * tw - 0.5, v * th - 0.5
    n = len(x)
    rows = -(-n // width)
    pad = rows * width - n
    map_x = np.pad(x.astype(np.float32), (0, pad)).reshape(rows, width)
    map_y = np.pad(y.astype(np.float32), (0, pad)).reshape(rows, width)
    out = cv2.remap(tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return out.reshape(-1, tex.shape[2])[:n]


class _FullFrameView(Mapping):
    """`raster.fragments[id]`: a clipped fragment placed on a full transparent canvas, built on access
    (np.zeros is lazily zeroed by the OS, so only the fragment's box is actually written)."""

    def __init__(self, raster: ModelRaster) -> None:
        self._raster = raster

    def __getitem__(self, mesh_id: str) -> np.ndarray:
        pixels, box = self._raster.crops[mesh_id]
        return self._raster.place(pixels, box)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raster.crops)

    def __len__(self) -> int:
        return len(self._raster.crops)


class ModelRaster:
    """All fragments of a model at its current pose and a frame, rasterised once and reused."""

    def __init__(self, model: Live2DModel, frame: Frame) -> None:
        self.model, self.frame = model, frame
        self.order = sorted(model.artmeshes, key=lambda m: m.render_order)
        self._raw = {m.id: rasterise(model, m, frame) for m in model.artmeshes}
        by_id = {m.id: m for m in model.artmeshes}
        mask_ids = {mid for m in model.artmeshes for mid in m.mask_ids if mid in by_id}
        self._mask_raw = {mid: rasterise(model, by_id[mid], frame, as_mask=True) for mid in mask_ids}
        #: clipped fragments, each cropped to its box: id → (float32 RGBA straight alpha, (x0, y0, x1, y1))
        self.crops: dict[str, tuple[np.ndarray, Box]] = {m.id: self._clipped(m) for m in model.artmeshes}
        self.fragments: Mapping[str, np.ndarray] = _FullFrameView(self)
        self._top: np.ndarray | None = None

    # --- placement helpers -----------------------------------------------------------------------------------
    def place(self, pixels: np.ndarray, box: Box, channels: int = 4) -> np.ndarray:
        out = np.zeros((self.frame.height, self.frame.width, channels), np.float32)
        if pixels.size:
            x0, y0, x1, y1 = box
            out[y0:y1, x0:x1] = pixels
        return out

    def full(self, mesh_id: str, as_mask: bool = False) -> np.ndarray:
        """A raw (unclipped) fragment on the full frame (`as_mask`: its shape as a clipping mask)."""
        pixels, box = (self._mask_raw if as_mask else self._raw)[mesh_id]
        return self.place(pixels, box)

    def _clipped(self, mesh: ArtMesh) -> tuple[np.ndarray, Box]:
        pixels, box = self._raw[mesh.id]
        masks = [self._mask_raw[mid] for mid in mesh.mask_ids if mid in self._mask_raw]
        if not pixels.size or not mesh.mask_ids:
            return pixels, box
        x0, y0, x1, y1 = box
        coverage = np.zeros((y1 - y0, x1 - x0), np.float32)  # 1 − Π(1 − a_mask): the union of the masks
        for mask_pixels, (mx0, my0, mx1, my1) in masks:
            ix0, iy0, ix1, iy1 = max(x0, mx0), max(y0, my0), min(x1, mx1), min(y1, my1)
            if ix1 <= ix0 or iy1 <= iy0:
                continue
            a = mask_pixels[iy0 - my0:iy1 - my0, ix0 - mx0:ix1 - mx0, 3]
            region = coverage[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
            region[...] = 1.0 - (1.0 - region) * (1.0 - a)
        clipped = pixels.copy()
        clipped[..., 3] *= (1.0 - coverage) if mesh.inverted_mask else coverage
        return clipped, box

    # --- composites ----------------------------------------------------------------------------------------------
    def composite(self, mesh_ids: set[str] | None = None) -> np.ndarray:
        """Straight-alpha RGBA float32 of the given fragments (all by default) in render order."""
        h, w = self.frame.height, self.frame.width
        rgb = np.zeros((h, w, 3), np.float32)
        alpha = np.zeros((h, w, 1), np.float32)
        for mesh in self.order:
            if mesh_ids is not None and mesh.id not in mesh_ids:
                continue
            pixels, (x0, y0, x1, y1) = self.crops[mesh.id]
            if not pixels.size:
                continue
            a = pixels[..., 3:4]
            premul = pixels[..., :3] * a
            dst, dst_a = rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
            if mesh.blend_mode == "additive":  # (ONE, ONE | ZERO, ONE)
                dst += premul
            elif mesh.blend_mode == "multiply":  # (DST_COLOR, ONE_MINUS_SRC_ALPHA | ZERO, ONE)
                dst *= 1.0 - a + premul
            else:  # premultiplied over
                dst *= 1.0 - a
                dst += premul
                dst_a *= 1.0 - a
                dst_a += a
        straight = np.divide(rgb, alpha, out=np.zeros_like(rgb), where=alpha > 1e-6)
        return np.concatenate([np.clip(straight, 0, 1), np.clip(alpha, 0, 1)], axis=-1)

    def top_mesh(self, threshold: float = ALPHA_VISIBLE) -> np.ndarray:
        """Per pixel, the index in `order` of the top-most fragment with alpha > threshold (−1 where none)."""
        if threshold == ALPHA_VISIBLE and self._top is not None:
            return self._top
        top = np.full((self.frame.height, self.frame.width), -1, np.int32)
        for rank, mesh in enumerate(self.order):
            pixels, (x0, y0, x1, y1) = self.crops[mesh.id]
            if pixels.size:
                top[y0:y1, x0:x1][pixels[..., 3] > threshold] = rank
        if threshold == ALPHA_VISIBLE:
            self._top = top
        return top

    def visibility_masks(self, threshold: float = ALPHA_VISIBLE) -> dict[str, np.ndarray]:
        """Where each fragment is the visible top-most one (disjoint full-canvas boolean masks)."""
        top = self.top_mesh(threshold)
        return {mesh.id: top == rank for rank, mesh in enumerate(self.order)}

    def areas(self, threshold: float = ALPHA_VISIBLE) -> dict[str, tuple[int, int]]:
        """Per mesh: (area: pixels it covers alone, clipping applied; visible area: pixels where it is on top)."""
        top = self.top_mesh(threshold)
        visible = np.bincount(top.ravel() + 1, minlength=len(self.order) + 1)[1:]
        out = {}
        for rank, mesh in enumerate(self.order):
            pixels, _ = self.crops[mesh.id]
            area = int((pixels[..., 3] > threshold).sum()) if pixels.size else 0
            out[mesh.id] = (area, int(visible[rank]))
        return out

    def alpha_at(self, mesh_id: str, x: int, y: int) -> float:
        """A fragment's alpha at one canvas pixel (0 outside its box): picking without full-canvas arrays."""
        pixels, (x0, y0, x1, y1) = self.crops[mesh_id]
        if not pixels.size or not (x0 <= x < x1 and y0 <= y < y1):
            return 0.0
        return float(pixels[y - y0, x - x0, 3])


def to_uint8(rgba: np.ndarray) -> np.ndarray:
    """Float straight-alpha RGBA → uint8; fully transparent pixels (alpha rounds to 0) carry no colour."""
    out = (np.clip(rgba, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    out[out[..., 3] == 0] = 0
    return out


# --- one-call API (cached per model state and frame) ---------------------------------------------------------------
def model_raster(model: Live2DModel, size: int | Frame = 1024, margin: float = 0.0) -> ModelRaster:
    """The model's fragments at its current pose, fitted into `size` (or a given Frame); cached until `update()`."""
    frame = size if isinstance(size, Frame) else fit_frame(model, size, margin)
    key = ("raster", model.state_version, frame)
    cached = model._cache.get(key)
    if cached is None:
        model._cache.clear()  # keep one raster per model: they are large
        cached = model._cache[key] = ModelRaster(model, frame)
    return cached


def render_composite(model: Live2DModel, size: int | Frame = 1024, margin: float = 0.0) -> np.ndarray:
    """The whole model at its current pose: (H, W, 4) uint8 straight-alpha RGBA."""
    return to_uint8(model_raster(model, size, margin).composite())


def render_fragment(model: Live2DModel, mesh_id: str, size: int | Frame = 1024, margin: float = 0.0) -> np.ndarray:
    """One ArtMesh as if alone (its clipping masks applied), full canvas (H, W, 4) uint8 RGBA."""
    raster = model_raster(model, size, margin)
    if mesh_id not in raster.crops:
        raise KeyError(f"{model.name} has no ArtMesh {mesh_id!r}")
    return to_uint8(raster.fragments[mesh_id])


def visibility_masks(model: Live2DModel, size: int | Frame = 1024, margin: float = 0.0) -> dict[str, np.ndarray]:
    """Per ArtMesh: where it is the visible top-most fragment (boolean (H, W), pairwise disjoint)."""
    return model_raster(model, size, margin).visibility_masks()


def mesh_areas(model: Live2DModel, size: int | Frame = 1024, margin: float = 0.0) -> dict[str, tuple[int, int]]:
    """Per ArtMesh: (area alone, visible area in the composite) in pixels of the rendered canvas."""
    return model_raster(model, size, margin).areas()


def content_frame(
    model: Live2DModel,
    size: int,
    margin: float = 0.05,
    mesh_ids: set[str] | None = None,
    poses: list[Mapping[str, float]] | None = None,
) -> Frame:
    """A frame fitted to the character rather than the canvas: the box of the shown meshes' vertices (only
    `mesh_ids` when given, e.g. the labelled ones), united over `poses` (parameter dicts; the current pose when
    None), fitted into `size` on its long side with `margin` (a fraction of `size`) around it. One frame for a
    whole pose sweep keeps the samples of a model aligned. The model is left at its current parameters."""
    saved = model.parameter_values() if poses else None
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    candidates: list[Mapping[str, float] | None] = list(poses) if poses else [None]
    for values in candidates:
        if values is not None:
            model.reset_parameters()
            model.set_parameters({k: v for k, v in values.items() if k in saved})  # type: ignore[operator]
            model.update()
        for mesh in model.artmeshes:
            if (mesh_ids is not None and mesh.id not in mesh_ids) or mesh.opacity <= 0 or not mesh.visible_flag:
                continue
            vertices = np.asarray(model.geometry(mesh)[0])
            if len(vertices):
                lo, hi = np.minimum(lo, vertices.min(0)), np.maximum(hi, vertices.max(0))
    if saved is not None:
        model.set_parameters(saved)
        model.update()
    if not np.isfinite(lo).all():
        return fit_frame(model, size, margin)
    span = np.maximum(hi - lo, 1e-6)
    scale = size * (1.0 - 2.0 * margin) / float(span.max())
    width, height = (int(np.ceil(s * scale + 2 * margin * size)) for s in span)
    pad = margin * size / scale
    return Frame(min(width, size), min(height, size), scale, (float(lo[0] - pad), float(lo[1] - pad)))
