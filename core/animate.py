"""The 2.5D preview's motion rendered to frames, off the UI thread and without Qt.

`AnimationSettings` says what to render (duration, fps, output size, background, motion path); `render_frames`
drives a `ParallaxRig` along the path with a fixed time step and composites every frame with numpy/OpenCV, so the
same settings always give the same pixels. Paths are presets (`turntable`, `nod`, `idle`) or a recorded pointer
path: samples `(t, x, y)` with x, y in [-1, 1] as the Preview records them from the mouse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from seethrough.core.document import DocumentLike, Layer
from seethrough.core.errors import BadInput, Cancelled
from seethrough.core.parallax import LayerTransform, MotionSettings, ParallaxRig

PRESETS = ("turntable", "nod", "idle")
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class AnimationSettings:
    seconds: float = 4.0
    fps: int = 30
    size: int | None = None  # longest side of the output in pixels; None = the canvas's own size
    background: tuple[int, int, int] | None = None  # None = transparent
    path: str = "turntable"  # a preset name, or "recorded" with `samples`
    samples: tuple[tuple[float, float, float], ...] = ()  # (t, x, y) of a recorded path
    amplitude: float = 0.8  # how far a preset moves the pointer (|x|, |y| ≤ 1)
    motion: MotionSettings = field(default_factory=MotionSettings)

    def __post_init__(self) -> None:
        if not (0 < self.seconds <= 600) or not math.isfinite(self.seconds):
            raise BadInput(f"the duration must be between 0 and 600 seconds, got {self.seconds}")
        if not (1 <= self.fps <= 120):
            raise BadInput(f"fps must be between 1 and 120, got {self.fps}")
        if self.size is not None and not (16 <= self.size <= 8192):
            raise BadInput(f"the size must be between 16 and 8192 pixels, got {self.size}")
        if self.path not in (*PRESETS, "recorded"):
            raise BadInput(f"unknown motion path {self.path!r} (choose {', '.join(PRESETS)} or a recorded path)")
        if self.path == "recorded" and len(self.samples) < 1:
            raise BadInput("a recorded path needs at least one (t, x, y) sample")
        for sample in self.samples:
            if len(sample) != 3 or not all(math.isfinite(v) for v in sample):
                raise BadInput(f"a path sample must be three finite numbers (t, x, y), got {sample!r}")

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))


def pointer_at(settings: AnimationSettings, t: float) -> tuple[float, float]:
    """Where the path puts the pointer at time `t` (seconds); presets loop once over the duration."""
    phase = 2 * math.pi * t / settings.seconds
    a = settings.amplitude
    if settings.path == "turntable":
        return (a * math.sin(phase), 0.0)
    if settings.path == "nod":
        return (0.0, a * math.sin(phase))
    if settings.path == "idle":
        return (0.0, 0.0)
    samples = sorted(settings.samples)
    times = [s[0] for s in samples]
    x = float(np.interp(t, times, [s[1] for s in samples]))
    y = float(np.interp(t, times, [s[2] for s in samples]))
    return (min(max(x, -1.0), 1.0), min(max(y, -1.0), 1.0))


def output_size(doc: DocumentLike, settings: AnimationSettings) -> tuple[int, int]:
    """(width, height) of the frames: the canvas scaled so its longest side is `settings.size`; even numbers."""
    width, height = doc.size
    scale = 1.0 if settings.size is None else settings.size / max(width, height)
    return (max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2))


def render_frames(
    doc: DocumentLike,
    settings: AnimationSettings,
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> Iterator[np.ndarray]:
    """Yield the frames, (H, W, 4) uint8 straight RGBA (opaque when a background is set)."""
    if not any(layer.visible for layer in doc.layers):
        raise BadInput("nothing to animate: the document has no visible layer")
    rig = ParallaxRig(doc, settings.motion)
    rig.reset()
    size = output_size(doc, settings)
    scale = (size[0] / doc.width, size[1] / doc.height)
    # each layer premultiplied once, at the output's scale when that is smaller: memory follows the output size
    premultiplied = {layer.uid: _premultiply(layer, scale) for layer in doc.layers if layer.visible}
    layers = {layer.uid: layer for layer in doc.layers}
    dt = 1.0 / settings.fps
    count = settings.frame_count
    rig.set_pointer(*pointer_at(settings, 0.0))
    rig.settle()
    for i in range(count):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("animation export cancelled")
        t = i * dt
        rig.set_pointer(*pointer_at(settings, t))
        if i:
            rig.step(dt)
        pose = rig.pose(t=t)
        yield compose_frame(pose, layers, premultiplied, size, scale, settings.background)
        if progress is not None:
            progress((i + 1) / count, f"frame {i + 1}/{count}")


def _premultiply(layer: Layer, scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """The layer's premultiplied float RGBA (opacity applied), area-resampled down to `scale` when it is < 1."""
    rgba = layer.shown_rgba.astype(np.float32) / 255.0  # the layer mask applied
    rgba[..., :3] *= rgba[..., 3:4]
    rgba *= float(layer.opacity)
    width, height = _scaled_size(layer, scale)
    if rgba.size and (width, height) != (layer.width, layer.height):
        rgba = np.asarray(cv2.resize(rgba, (width, height), interpolation=cv2.INTER_AREA), np.float32)
    return rgba


def _scaled_size(layer: Layer, scale: tuple[float, float]) -> tuple[int, int]:
    """The size a layer's source is kept at: its own, or smaller when the output is smaller than the canvas."""
    if scale[0] >= 1.0 and scale[1] >= 1.0:
        return layer.width, layer.height
    return max(1, round(layer.width * min(scale[0], 1.0))), max(1, round(layer.height * min(scale[1], 1.0)))


#: bytes held per output pixel while one frame is composed (float accumulator, a warped layer, the straight-alpha
#: conversion and the uint8 frame): 92 measured with tracemalloc for a full-canvas layer at 2000²
FRAME_BYTES_PER_PIXEL = 96
#: what each writer holds per output pixel besides, measured as peak RSS at 2000² (bench/RESULTS.md): ffmpeg's
#: x264 look-ahead (147), libwebp's animation canvases (125), Pillow's GIF palette conversion (5), a PNG encoder (1)
WRITER_BYTES_PER_PIXEL = {"mp4": 150, "webp": 130, "gif": 8, "png": 4}


def memory_estimate(doc: DocumentLike, settings: AnimationSettings, kind: str = "png") -> int:
    """Bytes an export of `doc` with `settings` to a `kind` writer (mp4, webp, gif, png) holds at its peak: the
    premultiplied layers at the output's scale, plus the per-frame working set. The frames themselves are streamed."""
    width, height = output_size(doc, settings)
    scale = (width / doc.width, height / doc.height)
    layers = sum(16 * w * h for w, h in (_scaled_size(layer, scale) for layer in doc.layers if layer.visible))
    return layers + width * height * (FRAME_BYTES_PER_PIXEL + WRITER_BYTES_PER_PIXEL.get(kind, 150))


def check_memory(doc: DocumentLike, settings: AnimationSettings, kind: str = "png",
                 available: int | None = None) -> None:
    """Refuse up front (ImageTooLarge, one line with a size that fits) an export that would run out of main memory
    part way: `available` defaults to what the system reports now (nothing is refused where it cannot tell)."""
    from seethrough.core.errors import ImageTooLarge
    from seethrough.core.io.limits import available_memory

    free = available_memory() if available is None else available
    if free is None:
        return
    need = memory_estimate(doc, settings, kind)
    budget = int(free * 0.8)  # leave room for the program itself and the rest of the system
    if need <= budget:
        return
    longest = max(output_size(doc, settings))
    fits = _largest_size_that_fits(doc, settings, kind, budget, longest)
    hint = f"use --size {fits} or smaller" if fits else "free some memory"
    width, height = output_size(doc, settings)
    raise ImageTooLarge(f"animating at {width}×{height} needs about {need / 1e9:.1f} GB of memory and "
                        f"{free / 1e9:.1f} GB is available: {hint}")


def _largest_size_that_fits(doc: DocumentLike, settings: AnimationSettings, kind: str, budget: int,
                            longest: int) -> int | None:
    lo, hi = 16, longest
    if memory_estimate(doc, replace(settings, size=lo), kind) > budget:
        return None
    while lo < hi:  # the estimate grows with the size
        mid = (lo + hi + 1) // 2
        if memory_estimate(doc, replace(settings, size=mid), kind) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def compose_frame(
    pose: Sequence[LayerTransform],
    layers: dict[str, Layer],
    premultiplied: dict[str, np.ndarray],
    size: tuple[int, int],
    scale: tuple[float, float],
    background: tuple[int, int, int] | None,
) -> np.ndarray:
    """Draw the layers (far → near as in `pose`) with their transforms, each resampled once, bilinear."""
    width, height = size
    acc = np.zeros((height, width, 4), np.float32)
    for tr in pose:
        layer = layers.get(tr.uid)
        src = premultiplied.get(tr.uid)
        if layer is None or src is None or src.size == 0:
            continue
        m11, m12, m21, m22, tx, ty = tr.affine()
        ox, oy = layer.offset
        sx, sy = scale
        # source pixel (u', v') → layer pixel (u, v) = (u' / fx, v' / fy) (the source may be kept smaller than the
        # layer) → canvas (u + ox, v + oy) → transform → output scale
        src_h, src_w = src.shape[:2]
        fx, fy = src_w / max(layer.width, 1), src_h / max(layer.height, 1)
        matrix = np.array([[sx * m11 / fx, sx * m21 / fy, sx * (m11 * ox + m21 * oy + tx)],
                           [sy * m12 / fx, sy * m22 / fy, sy * (m12 * ox + m22 * oy + ty)]], np.float64)
        box = _mapped_box(matrix, src_w, src_h, width, height)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        local = matrix.copy()
        local[:, 2] -= (x0, y0)
        warped = cv2.warpAffine(src, local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        region = acc[y0:y1, x0:x1]
        region *= 1.0 - warped[..., 3:4]
        region += warped
    if background is not None:
        bg = np.asarray(background, np.float32) / 255.0
        acc[..., :3] += bg * (1.0 - acc[..., 3:4])
        acc[..., 3] = 1.0
    alpha = acc[..., 3:4]
    rgb = np.where(alpha > 1e-6, acc[..., :3] / np.maximum(alpha, 1e-6), 0.0)
    out = np.concatenate([rgb, alpha], axis=2)
    return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _mapped_box(matrix: np.ndarray, w: int, h: int, width: int, height: int) -> tuple[int, int, int, int] | None:
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ matrix.T
    x0 = max(0, int(math.floor(corners[:, 0].min())) - 1)
    y0 = max(0, int(math.floor(corners[:, 1].min())) - 1)
    x1 = min(width, int(math.ceil(corners[:, 0].max())) + 1)
    y1 = min(height, int(math.ceil(corners[:, 1].max())) + 1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def parse_colour(text: str) -> tuple[int, int, int] | None:
    """`transparent`, `#rrggbb`, `#rgb` or `r,g,b` → an RGB triple (None for transparent)."""
    value = text.strip().lower()
    if value in ("transparent", "none", ""):
        return None
    try:
        if value.startswith("#") and len(value) in (4, 7):
            digits = value[1:] if len(value) == 7 else "".join(c * 2 for c in value[1:])
            rgb = tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
        else:
            rgb = tuple(int(part) for part in value.split(","))
        if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
            raise ValueError
    except ValueError:
        raise BadInput(f"not a colour: {text!r} (use transparent, #rrggbb or r,g,b)") from None
    return (rgb[0], rgb[1], rgb[2])
