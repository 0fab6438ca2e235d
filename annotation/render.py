"""A CPU rasteriser for Live2D models (numpy + OpenCV), fed by the Cubism Core: no GL, deterministic, CI-safe.

Each ArtMesh is drawn by filling its triangles into a triangle-id map, turning every covered pixel into
barycentric coordinates of its triangle, interpolating the UVs and sampling the texture bilinearly
(`cv2.remap`). Opacity, clipping masks (the union of the mask meshes' alpha, optionally inverted) and the blend
modes (normal, additive, multiply) follow Cubism's rules. Fragments are drawn at the model's pose in render order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from annotation.loader import vertices_in_pixels
from annotation.model import ArtMesh, Live2DModel

#: Core constant flag: the clipping mask is inverted
INVERTED_MASK = 1 << 3


@lru_cache(maxsize=8)
def _texture(path: Path) -> np.ndarray:
    """Straight-alpha RGBA float32 in [0, 1] (Live2D sample textures are not premultiplied)."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(path)
    if img.ndim == 2 or img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA if img.ndim == 2 else cv2.COLOR_BGR2BGRA)
    return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA).astype(np.float32) / 255.0


@dataclass(frozen=True)
class Frame:
    """How the model's canvas maps to the output image: output = (model pixel − offset) × scale."""

    width: int
    height: int
    scale: float
    offset: tuple[float, float] = (0.0, 0.0)


def fit_frame(model: Live2DModel, size: int) -> Frame:
    """The whole model canvas fitted into `size` on its long side."""
    cw, ch = model.canvas_size
    scale = size / max(cw, ch)
    return Frame(max(1, round(cw * scale)), max(1, round(ch * scale)), scale)


def rasterise(
    model: Live2DModel, mesh: ArtMesh, frame: Frame, as_mask: bool = False
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A mesh's straight-alpha RGBA (float32, opacity applied, no masks) on its box (x0, y0, x1, y1).

    `as_mask`: drawn as a clipping mask, which Cubism does from the mesh's shape and texture whatever the mesh's
    own opacity or visibility (mask meshes are often hidden themselves)."""
    core = model.core
    verts = (vertices_in_pixels(model, mesh) - np.asarray(frame.offset)) * frame.scale
    tris = core.indices(mesh.index)  # type: ignore[union-attr]
    empty = (np.zeros((0, 0, 4), np.float32), (0, 0, 0, 0))
    if len(tris) == 0 or not as_mask and (mesh.opacity <= 0.0 or not mesh.visible_flag):
        return empty
    x0, y0 = np.floor(verts.min(0)).astype(int)
    x1, y1 = np.ceil(verts.max(0)).astype(int) + 1
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
    t = ids[ys, xs] - 1
    a, b, c = local[tris[t, 0]], local[tris[t, 1]], local[tris[t, 2]]
    p = np.stack([xs + 0.5, ys + 0.5], 1)
    v0, v1, v2 = b - a, c - a, p - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    den = np.where(np.abs(den) < 1e-12, 1e-12, den)
    w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    w0 = 1.0 - w1 - w2
    uv = core.uvs(mesh.index)  # type: ignore[union-attr]
    u = w0 * uv[tris[t, 0], 0] + w1 * uv[tris[t, 1], 0] + w2 * uv[tris[t, 2], 0]
    v = w0 * uv[tris[t, 0], 1] + w1 * uv[tris[t, 1], 1] + w2 * uv[tris[t, 2], 1]
    tex = _texture(model.textures[mesh.texture_index])
    th, tw = tex.shape[:2]
    sampled = _sample(tex, u * tw - 0.5, (1.0 - v) * th - 0.5)  # Cubism's v grows upwards
    out = np.zeros((y1 - y0, x1 - x0, 4), np.float32)
    if not as_mask:
        sampled[:, 3] *= mesh.opacity
    out[ys, xs] = sampled
    return out, (x0, y0, x1, y1)


def _sample(tex: np.ndarray, x: np.ndarray, y: np.ndarray, width: int = 1024) -> np.ndarray:
    """Bilinear texture samples at N points (cv2.remap wants 2-D maps under 32767 a side: fold N into rows)."""
    n = len(x)
    rows = -(-n // width)
    pad = rows * width - n
    map_x = np.pad(x.astype(np.float32), (0, pad)).reshape(rows, width)
    map_y = np.pad(y.astype(np.float32), (0, pad)).reshape(rows, width)
    out = cv2.remap(tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return out.reshape(-1, tex.shape[2])[:n]


class ModelRaster:
    """All fragments of a model at its current pose and a frame, rasterised once and reused."""

    def __init__(self, model: Live2DModel, frame: Frame) -> None:
        self.model, self.frame = model, frame
        self.order = sorted(model.artmeshes, key=lambda m: m.render_order)
        self._raw = {m.id: rasterise(model, m, frame) for m in model.artmeshes}
        mask_ids = {mid for m in model.artmeshes for mid in m.mask_ids}
        by_id = {m.id: m for m in model.artmeshes}
        self._mask_raw = {mid: rasterise(model, by_id[mid], frame, as_mask=True) for mid in mask_ids}
        flags = model.core.drawable_flags() if model.core is not None else None  # type: ignore[union-attr]
        self.fragments: dict[str, np.ndarray] = {}
        for mesh in model.artmeshes:
            self.fragments[mesh.id] = self._clipped(mesh, bool(flags is not None and flags[mesh.index] & INVERTED_MASK))

    def full(self, mesh_id: str, as_mask: bool = False) -> np.ndarray:
        """A raw (unclipped) fragment on the full frame (`as_mask`: its shape as a clipping mask)."""
        pixels, (x0, y0, x1, y1) = (self._mask_raw if as_mask else self._raw)[mesh_id]
        out = np.zeros((self.frame.height, self.frame.width, 4), np.float32)
        if pixels.size:
            out[y0:y1, x0:x1] = pixels
        return out

    def _clipped(self, mesh: ArtMesh, inverted: bool) -> np.ndarray:
        frag = self.full(mesh.id)
        if mesh.mask_ids:
            mask = np.zeros(frag.shape[:2], np.float32)
            for mid in mesh.mask_ids:
                mask = np.maximum(mask, self.full(mid, as_mask=True)[..., 3])
            frag[..., 3] *= (1.0 - mask) if inverted else mask
        return frag

    def composite(self, mesh_ids: set[str] | None = None) -> np.ndarray:
        """Straight-alpha RGBA float32 of the given fragments (all by default) in render order."""
        rgb = np.zeros((self.frame.height, self.frame.width, 3), np.float32)
        alpha = np.zeros((self.frame.height, self.frame.width, 1), np.float32)
        for mesh in self.order:
            if mesh_ids is not None and mesh.id not in mesh_ids:
                continue
            frag = self.fragments[mesh.id]
            a = frag[..., 3:4]
            if mesh.blend_mode == "additive":
                rgb = rgb + frag[..., :3] * a
            elif mesh.blend_mode == "multiply":
                rgb = rgb * (1.0 - a + frag[..., :3] * a)
            else:
                rgb = frag[..., :3] * a + rgb * (1.0 - a)
                alpha = a + alpha * (1.0 - a)
        straight = np.where(alpha > 1e-6, rgb / np.maximum(alpha, 1e-6), 0.0)
        return np.concatenate([np.clip(straight, 0, 1), alpha], axis=-1)

    def top_mesh(self, threshold: float = 0.1) -> np.ndarray:
        """Per pixel, the index in `order` of the top-most fragment with alpha > threshold (−1 where none)."""
        top = np.full((self.frame.height, self.frame.width), -1, np.int32)
        for rank, mesh in enumerate(self.order):
            top[self.fragments[mesh.id][..., 3] > threshold] = rank
        return top

    def visibility_masks(self, threshold: float = 0.1) -> dict[str, np.ndarray]:
        """Where each fragment is the visible top-most one (disjoint masks)."""
        top = self.top_mesh(threshold)
        return {mesh.id: top == rank for rank, mesh in enumerate(self.order)}


def to_uint8(rgba: np.ndarray) -> np.ndarray:
    return (np.clip(rgba, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
