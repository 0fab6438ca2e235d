"""The built-in sample: a small anime-style character drawn in code (numpy + OpenCV), as a layer document.

Every layer is complete — the face continues under the fringe, the neck under the collar — as the paper's
layers are. The `hair` layer holds both the hair mass behind the head (pseudo-depth ≈ 0.85) and the fringe and
side strands in front of the face (≈ 0.2), so that a K-Means split into `hair-0`/`hair-1` is meaningful; the
hands are two separate blobs for a left/right split. The source image is the per-pixel (z-buffer) composite.

    python -m core.sample --preview resources/sample/preview.png
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from core.document import Document, Layer, crop_to_content, representative_depth

WIDTH, HEIGHT = 768, 1024
CX = WIDTH // 2
AA = cv2.LINE_AA

Draw = Callable[[np.ndarray], None]


@dataclass(frozen=True)
class Part:
    name: str
    tag: str
    colour: tuple[int, int, int]
    depth: float  # base pseudo-depth, 0 = nearest
    draw: Draw  # draws the part's coverage (255) into a uint8 mask
    relief: float = 0.03  # depth added towards the part's rim (rounded shapes)
    shade: float = 0.22  # darkening from top to bottom


def _ellipse(centre: tuple[int, int], axes: tuple[int, int], angle: float = 0) -> Draw:
    return lambda m: cv2.ellipse(m, centre, axes, angle, 0, 360, 255, -1, AA)


def _poly(*points: tuple[int, int]) -> Draw:
    pts = np.array(points, np.int32)
    return lambda m: cv2.fillPoly(m, [pts], 255, AA)


def _both(*draws: Draw) -> Draw:
    def draw(m: np.ndarray) -> None:
        for d in draws:
            d(m)

    return draw


def _mirror(draw_left: Callable[[int], Draw]) -> Draw:
    """Draw a part on the image's left (sign −1) and its mirror on the right (+1)."""
    return _both(draw_left(-1), draw_left(1))


def _strand(x0: int, y0: int, x1: int, y1: int, width: int, bend: int) -> Draw:
    """A tapered, slightly curved hair strand from (x0, y0) down to (x1, y1)."""
    t = np.linspace(0, 1, 24)
    xs = x0 + (x1 - x0) * t + bend * np.sin(np.pi * t)
    ys = y0 + (y1 - y0) * t
    half = width * (1 - 0.85 * t) / 2
    left = np.stack([xs - half, ys], 1)
    right = np.stack([xs + half, ys], 1)[::-1]
    pts = np.concatenate([left, right]).astype(np.int32)
    return lambda m: cv2.fillPoly(m, [pts], 255, AA)


HEAD_Y, HEAD_RX, HEAD_RY = 330, 150, 170

PARTS_BACK_TO_FRONT: tuple[Part, ...] = (
    Part("legwear", "legwear", (245, 245, 250), 0.66,
         _mirror(lambda s: _poly((CX + s * 20, 780), (CX + s * 75, 780), (CX + s * 65, 960), (CX + s * 28, 960)))),
    Part("footwear", "footwear", (120, 60, 50), 0.62,
         _mirror(lambda s: _ellipse((CX + s * 50, 972), (44, 24)))),
    Part("bottomwear", "bottomwear", (60, 70, 140), 0.6,
         _poly((CX - 95, 640), (CX + 95, 640), (CX + 160, 820), (CX - 160, 820))),
    Part("neck", "neck", (250, 222, 200), 0.62, _poly((CX - 32, 470), (CX + 32, 470), (CX + 36, 575),
                                                      (CX - 36, 575))),
    Part("topwear", "topwear", (235, 240, 250), 0.55,
         _both(_poly((CX - 70, 545), (CX + 70, 545), (CX + 120, 580), (CX + 105, 670), (CX - 105, 670),
                     (CX - 120, 580)),
               _mirror(lambda s: _poly((CX + s * 70, 548), (CX + s * 135, 590), (CX + s * 150, 660),
                                       (CX + s * 112, 668), (CX + s * 100, 600))))),
    Part("neckwear", "neckwear", (200, 40, 60), 0.5,
         _both(_mirror(lambda s: _poly((CX, 572), (CX + s * 48, 550), (CX + s * 52, 600))),
               _ellipse((CX, 576), (14, 12)))),
    Part("handwear", "handwear", (250, 222, 200), 0.45,
         _mirror(lambda s: _both(_poly((CX + s * 122, 640), (CX + s * 150, 640), (CX + s * 168, 745),
                                       (CX + s * 138, 750)),
                                 _ellipse((CX + s * 156, 765), (24, 28))))),
    Part("ears", "ears", (248, 212, 190), 0.53, _mirror(lambda s: _ellipse((CX + s * 148, 350), (24, 38), s * 12))),
    Part("face", "face", (252, 228, 210), 0.5, _both(_ellipse((CX, HEAD_Y), (HEAD_RX, HEAD_RY)),
                                                     _poly((CX - 120, 420), (CX + 120, 420), (CX, 505))),
         relief=0.05),
    Part("eyewhite", "eyewhite", (255, 255, 255), 0.47, _mirror(lambda s: _ellipse((CX + s * 62, 370), (40, 34))),
         shade=0.08),
    Part("irides", "irides", (70, 120, 210), 0.46, _mirror(lambda s: _ellipse((CX + s * 60, 374), (26, 32))),
         shade=0.45),
    Part("eyelash", "eyelash", (50, 35, 40), 0.45,
         _mirror(lambda s: _poly((CX + s * 20, 340), (CX + s * 62, 326), (CX + s * 106, 340), (CX + s * 104, 350),
                                 (CX + s * 62, 338), (CX + s * 22, 352))), shade=0.0),
    Part("eyebrow", "eyebrow", (110, 70, 50), 0.45,
         _mirror(lambda s: _poly((CX + s * 28, 300), (CX + s * 95, 292), (CX + s * 96, 300), (CX + s * 30, 308))),
         shade=0.0),
    Part("nose", "nose", (235, 180, 165), 0.46, _poly((CX - 4, 420), (CX + 6, 420), (CX + 2, 428)), shade=0.0),
    Part("mouth", "mouth", (200, 80, 90), 0.46, _ellipse((CX, 458), (16, 7)), shade=0.1),
    Part("headwear", "headwear", (200, 40, 60), 0.35,
         _both(_mirror(lambda s: _poly((CX + s * 100, 168), (CX + s * 160, 130), (CX + s * 150, 200))),
               _ellipse((CX + 125, 168), (16, 16)), _ellipse((CX - 125, 168), (16, 16)))),
)

HAIR_COLOUR = (120, 72, 52)
BACK_HAIR_DEPTH, FRONT_HAIR_DEPTH = 0.85, 0.2


def _back_hair(mask: np.ndarray) -> None:
    cv2.ellipse(mask, (CX, HEAD_Y - 20), (HEAD_RX + 30, HEAD_RY + 20), 0, 0, 360, 255, -1, AA)
    cv2.fillPoly(mask, [np.array([(CX - 180, 320), (CX + 180, 320), (CX + 200, 620), (CX + 120, 660),
                                  (CX - 120, 660), (CX - 200, 620)], np.int32)], 255, AA)


def _front_hair(mask: np.ndarray) -> None:
    """Fringe and side locks, drawn over the forehead and cheeks."""
    cv2.ellipse(mask, (CX, HEAD_Y - 70), (HEAD_RX + 12, 118), 0, 180, 360, 255, -1, AA)
    for x0, x1, width, bend in ((-120, -105, 70, -8), (-60, -45, 78, 6), (0, 8, 82, -5), (60, 50, 78, 8),
                                (118, 102, 70, 6)):
        _strand(CX + x0, HEAD_Y - 110, CX + x1, HEAD_Y - 5 + abs(x0) // 4, width, bend)(mask)
    for s in (-1, 1):  # side locks in front of the ears and cheeks
        _strand(CX + s * 140, HEAD_Y - 90, CX + s * 150, HEAD_Y + 210, 58, s * 12)(mask)


def _shaded_rgb(mask: np.ndarray, colour: tuple[int, int, int], shade: float) -> np.ndarray:
    """Flat colour darkened towards the bottom of the part, with a darker rim (cel-style line)."""
    ys, xs = np.nonzero(mask)
    y0, y1 = (ys.min(), ys.max()) if len(ys) else (0, 1)
    ramp = np.clip((np.arange(mask.shape[0]) - y0) / max(y1 - y0, 1), 0, 1)[:, None, None]
    rgb = np.array(colour, np.float32)[None, None] * (1.0 - shade * ramp)
    rgb = np.broadcast_to(rgb, (*mask.shape, 3)).copy()
    rim = mask.astype(np.float32) - cv2.erode(mask, np.ones((5, 5), np.uint8)).astype(np.float32)
    rgb *= (1.0 - 0.45 * (rim / 255.0))[..., None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _relief(mask: np.ndarray, base: float, relief: float) -> np.ndarray:
    """Depth of a rounded part: `base` at its core, up to `base + relief` at its rim."""
    dist = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 5)
    peak = max(float(dist.max()), 1.0)
    return (base + relief * (1.0 - dist / peak)).astype(np.float32)


def _layer(name: str, tag: str, mask: np.ndarray, rgb: np.ndarray, depth: np.ndarray) -> Layer:
    rgba = np.dstack([rgb, mask])
    rgba[mask == 0] = 0
    pixels, cropped_depth, offset = crop_to_content(rgba, depth)
    layer = Layer(name, pixels, offset=offset, tag=tag, depth=cropped_depth, provenance="sample")
    layer.depth_value = representative_depth(layer)
    return layer


def _hair_layer() -> Layer:
    back = np.zeros((HEIGHT, WIDTH), np.uint8)
    front = np.zeros((HEIGHT, WIDTH), np.uint8)
    _back_hair(back)
    _front_hair(front)
    mask = np.maximum(back, front)
    rgb = _shaded_rgb(mask, HAIR_COLOUR, 0.3)
    highlight = np.zeros_like(mask)
    cv2.ellipse(highlight, (CX - 40, HEAD_Y - 130), (70, 14), -10, 0, 360, 255, -1, AA)
    rgb = np.where((highlight > 0)[..., None], np.minimum(rgb.astype(np.int32) + 60, 255), rgb).astype(np.uint8)
    in_front = front > 0
    depth = np.where(in_front, _relief(front, FRONT_HAIR_DEPTH, 0.04), _relief(back, BACK_HAIR_DEPTH, 0.05))
    return _layer("hair", "hair", mask, rgb, depth.astype(np.float32))


@lru_cache(maxsize=1)
def _build() -> Document:
    layers = [_hair_layer()]
    for part in PARTS_BACK_TO_FRONT:
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        part.draw(mask)
        layers.append(_layer(part.name, part.tag, mask, _shaded_rgb(mask, part.colour, part.shade),
                             _relief(mask, part.depth, part.relief)))
    layers.sort(key=lambda layer: -layer.depth_value)  # far → near, as drawn
    doc = Document((WIDTH, HEIGHT), layers, metadata={"name": "sample", "provenance": "built-in sample"})
    from core.compositing import composite

    doc.source = composite(doc, mode="zbuffer")
    return doc


def build_sample_document() -> Document:
    """A fresh copy of the sample (new pixel buffers, new history) — callers may edit it freely."""
    base = _build()
    layers = [layer.copy() for layer in base.layers]
    assert base.source is not None
    return Document(base.size, layers, source=base.source.copy(), metadata=dict(base.metadata))


def main() -> None:
    parser = argparse.ArgumentParser(description="render the built-in sample")
    parser.add_argument("--preview", required=True, help="PNG to write (the z-buffer composite on white)")
    args = parser.parse_args()
    from core.compositing import flatten
    from core.io.images import save_png

    doc = build_sample_document()
    flat = flatten(doc.source, (255, 255, 255)).round().astype(np.uint8)
    small = cv2.resize(flat, (WIDTH // 2, HEIGHT // 2), interpolation=cv2.INTER_AREA)
    save_png(args.preview, small)


if __name__ == "__main__":
    main()
