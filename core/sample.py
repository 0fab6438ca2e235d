"""The built-in sample character, drawn in code (numpy + OpenCV), so the app and the tests always have a layered
document without shipping binary art or needing a model.

A small chibi girl on a 768×1024 canvas, one complete layer per V3 tag (each layer includes what nearer layers
hide, as in the paper's training data), each with a smooth per-pixel pseudo-depth (0 = nearest) and the median as
representative depth. The source image is the z-buffer composite (per-pixel depth order), i.e. what the character
"really" looks like, and the sample's own layers, stacked, reconstruct it: `seethrough-gui check sample` finds
nothing (a newcomer's first check is clean). The "front hair" layer has two depth modes, so Stratify has something
to show: the fringe (depth ≈ 0.2) lies in front of the face, the side locks (depth ≈ 0.8) hang behind the face's
plane, beside it; K-Means with K=2 on its depth separates them.

`build_sample_document(tucked_locks=True)` is the paper's sandwich case instead: the side locks pass behind the
cheeks, so the plain stack shows them over the face (the checks report order conflicts and a region that differs
from the source) until the hair is stratified — what a raw decomposition looks like.

Shapes are drawn at 2× with anti-aliased OpenCV primitives and downsampled (area filter) for soft edges. The build
is deterministic and cached; callers get fresh copies.

`python -m core.sample --preview out.png` writes a small preview of the composite.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

import cv2
import numpy as np

from seethrough.core.document import Document, Layer, crop_to_content

WIDTH, HEIGHT = 768, 1024
_SS = 2  # supersampling factor
Box = tuple[int, int, int, int]
Draw = Callable[["Painter"], None]


class Painter:
    """Draws anti-aliased shapes in canvas coordinates into a 2× coverage mask of one box."""

    def __init__(self, box: Box) -> None:
        self.box = box
        x0, y0, x1, y1 = box
        self.mask = np.zeros(((y1 - y0) * _SS, (x1 - x0) * _SS), np.uint8)

    def _pt(self, p: Sequence[float]) -> tuple[int, int]:
        # 4 bits of sub-pixel precision (shift=4)
        return (int(round((p[0] - self.box[0]) * _SS * 16)), int(round((p[1] - self.box[1]) * _SS * 16)))

    def ellipse(self, centre: Sequence[float], axes: Sequence[float], angle: float = 0, value: int = 255,
                start: float = 0, end: float = 360, thickness: int = -1) -> Painter:
        ax = (int(round(axes[0] * _SS * 16)), int(round(axes[1] * _SS * 16)))
        cv2.ellipse(self.mask, self._pt(centre), ax, angle, start, end, value,
                    thickness if thickness < 0 else thickness * _SS, cv2.LINE_AA, 4)
        return self

    def poly(self, points: Sequence[Sequence[float]], value: int = 255) -> Painter:
        pts = np.array([self._pt(p) for p in points], np.int32)
        cv2.fillPoly(self.mask, [pts], value, cv2.LINE_AA, 4)
        return self

    def line(self, points: Sequence[Sequence[float]], thickness: float, value: int = 255) -> Painter:
        pts = np.array([self._pt(p) for p in points], np.int32)
        cv2.polylines(self.mask, [pts], False, value, max(1, int(round(thickness * _SS))), cv2.LINE_AA, 4)
        return self

    def alpha(self) -> np.ndarray:
        """Coverage in [0, 1] at canvas resolution."""
        h, w = self.mask.shape
        small = cv2.resize(self.mask, (w // _SS, h // _SS), interpolation=cv2.INTER_AREA)
        return small.astype(np.float32) / 255.0


def _rgb(hexcode: str) -> np.ndarray:
    return np.array([int(hexcode[i : i + 2], 16) for i in (1, 3, 5)], np.float32)


def _smooth_curve(points: Sequence[Sequence[float] | np.ndarray], n: int = 24) -> list[tuple[float, float]]:
    """Catmull-Rom through the points: organic strands and outlines from a few control points."""
    p = np.asarray(points, np.float64)
    p = np.vstack([p[0], p, p[-1]])
    out: list[tuple[float, float]] = []
    for i in range(1, len(p) - 2):
        for t in np.linspace(0, 1, n, endpoint=False):
            t2, t3 = t * t, t * t * t
            q = 0.5 * ((2 * p[i]) + (-p[i - 1] + p[i + 1]) * t
                       + (2 * p[i - 1] - 5 * p[i] + 4 * p[i + 1] - p[i + 2]) * t2
                       + (-p[i - 1] + 3 * p[i] - 3 * p[i + 1] + p[i + 2]) * t3)
            out.append((float(q[0]), float(q[1])))
    out.append((float(p[-2][0]), float(p[-2][1])))
    return out


def _strand(root: Sequence[float], tip: Sequence[float], width: float, bend: float) -> list[tuple[float, float]]:
    """A tapered hair strand from a wide root to a pointed tip, bowed sideways by `bend` pixels."""
    r, t = np.asarray(root, float), np.asarray(tip, float)
    d = t - r
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
    mid = r + d * 0.5 + n * bend
    left = _smooth_curve([r - n * width / 2, mid - n * width / 3, t], 12)
    right = _smooth_curve([t, mid + n * width / 3, r + n * width / 2], 12)
    return left + right


class _Part:
    """One layer being built: coverage, shaded colour and depth inside its box."""

    def __init__(self, name: str, tag: str, box: Box, colour: str, shadow: str, depth: float) -> None:
        self.name, self.tag, self.box = name, tag, box
        self.base, self.shadow_rgb = _rgb(colour), _rgb(shadow)
        self.depth0 = depth
        self.shape = Painter(box)
        self.details: list[tuple[Painter, np.ndarray]] = []
        self.depth_paint: list[tuple[Painter, float]] = []
        self.light = (-0.6, -0.8)  # light from the upper left
        self.cel = 10.0  # pixels of the shaded rim on the far side from the light

    def paint(self, colour: str) -> Painter:
        p = Painter(self.box)
        self.details.append((p, _rgb(colour)))
        return p

    def depth_region(self, depth: float) -> Painter:
        """Pixels covered by the returned painter get this base depth instead of the part's."""
        p = Painter(self.box)
        self.depth_paint.append((p, depth))
        return p

    def build(self) -> Layer:
        alpha = self.shape.alpha()
        h, w = alpha.shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        # soft vertical gradient (lighter at the top) and a cel shadow on the rim away from the light
        gy = ys / max(h - 1, 1)
        colour = self.base[None, None, :] * (1.06 - 0.14 * gy[..., None])
        dx, dy = int(-self.light[0] * self.cel), int(-self.light[1] * self.cel)
        shifted = np.zeros_like(alpha)
        shifted[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = alpha[
            max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
        ]
        shade = np.clip(alpha - shifted, 0, 1)
        shade = cv2.GaussianBlur(shade, (0, 0), 1.2)[..., None]
        colour = colour * (1 - shade) + self.shadow_rgb[None, None, :] * shade
        for painter, rgb in self.details:
            a = painter.alpha()[..., None]
            colour = colour * (1 - a) + rgb[None, None, :] * a
        # depth: base + a dome (centre nearer than the rim) so the map is smooth and plausible
        cx, cy = (w - 1) / 2, (h - 1) / 2
        r2 = ((xs - cx) / max(cx, 1)) ** 2 + ((ys - cy) / max(cy, 1)) ** 2
        base = np.full((h, w), self.depth0, np.float32)
        for painter, value in self.depth_paint:
            # a hard boundary taking the whole anti-aliased rim: blended or half-assigned edge depths would leave a
            # faint outline of one stratum in the other
            base = np.where(painter.alpha() > 0, np.float32(value), base)
        depth = np.clip(base + 0.03 * np.minimum(r2, 1.0) - 0.015, 0, 1).astype(np.float32)
        rgba = np.dstack([np.clip(colour + 0.5, 0, 255), alpha * 255 + 0.5]).astype(np.uint8)
        rgba[..., :3][rgba[..., 3] == 0] = 0
        cropped, cdepth, offset = crop_to_content(rgba, depth, (self.box[0], self.box[1]))
        layer = Layer(name=self.name, rgba=cropped, offset=offset, tag=self.tag, depth=cdepth, provenance="sample")
        value = float(np.median(cdepth[layer.mask])) if cdepth is not None else self.depth0
        return replace(layer, depth_value=value)


HEAD_C, FACE_AX = (384.0, 360.0), (150.0, 162.0)
#: base depths of the two modes of the "front hair" layer: fringe in front of the face, side locks behind it
FRONT_HAIR_DEPTH, BACK_HAIR_DEPTH = 0.2, 0.8


def _back_hair() -> _Part:
    p = _Part("back hair", "back hair", (150, 120, 620, 760), "#8a5a9e", "#5e3a72", 0.9)
    p.shape.ellipse((384, 330), (212, 205))
    p.shape.poly(_smooth_curve([(180, 360), (172, 520), (190, 690), (250, 740), (300, 700), (384, 720),
                                (468, 700), (518, 740), (578, 690), (596, 520), (588, 360)]))
    strands = p.paint("#6e4684")
    for x in (230, 300, 468, 538):
        strands.line(_smooth_curve([(x, 420), (x - 8 if x < 384 else x + 8, 560), (x, 690)]), 3)
    return p


def _ears() -> _Part:
    p = _Part("ears", "ears", (200, 330, 568, 450), "#f6d2bd", "#e3a98f", 0.86)
    for cx, sgn in ((238.0, -1), (530.0, 1)):
        p.shape.ellipse((cx, 392), (24, 38), angle=sgn * 12)
        p.paint("#e8b09a").ellipse((cx + sgn * 2, 394), (11, 22), angle=sgn * 12)
    p.cel = 5
    return p


def _front_hair(tucked_locks: bool = False) -> _Part:
    """Fringe in front of the face (≈0.2) and side locks behind the face's plane (≈0.8): the stratification showcase.
    The locks hang beside the face, or (`tucked_locks`) pass behind the cheeks: the sandwich case."""
    p = _Part("front hair", "front hair", (150, 140, 620, 640), "#a46fb8", "#6f4387", FRONT_HAIR_DEPTH)
    far = p.depth_region(BACK_HAIR_DEPTH)
    # (root dx, root y, tip dx, tip y, width, bend): beside the face, or tucked behind the cheeks
    root_dx, root_y, tip_dx, tip_y, width, bend = (128, 250, 168, 612, 64, 22) if tucked_locks else \
        (180, 285, 204, 620, 62, 12)
    for sgn in (-1, 1):
        pts = _strand((384 + sgn * root_dx, root_y), (384 + sgn * tip_dx, tip_y), width, sgn * bend)
        p.shape.poly(pts)
        far.poly(pts)
    far.poly([(150, 100), (620, 100), (620, 330), (150, 330)], value=0)  # the locks' roots stay on the cap
    # the cap over the skull and the fringe strands over the forehead
    p.shape.ellipse((384, 285), (176, 122), start=180, end=360)
    p.shape.poly([(208, 285), (560, 285), (560, 300), (208, 300)])
    fringe = [((270, 200), (250, 345), 70, -10), ((330, 190), (318, 330), 74, -6), ((384, 190), (388, 348), 76, 4),
              ((440, 190), (452, 332), 74, 8), ((498, 200), (520, 346), 70, 10), ((230, 230), (222, 372), 50, -8),
              ((540, 230), (548, 372), 50, 8)]
    for root, tip, width, bend in fringe:
        p.shape.poly(_strand(root, tip, width, bend))
    lines = p.paint("#7d4f95")
    for root, tip, _, bend in fringe[:5]:
        lines.line(_smooth_curve([(root[0], root[1] + 30), ((root[0] + tip[0]) / 2 + bend, (root[1] + tip[1]) / 2),
                                  (tip[0], tip[1] - 30)]), 2)
    shine = p.paint("#d7a9e6")
    shine.ellipse((384, 228), (120, 22), start=200, end=340, thickness=6)
    return p


def _face() -> _Part:
    p = _Part("face", "face", (220, 190, 548, 530), "#fde3d3", "#efbfa8", 0.5)
    p.shape.ellipse(HEAD_C, FACE_AX)
    blush = p.paint("#f7b7b0")
    blush.ellipse((290, 448), (26, 12)).ellipse((478, 448), (26, 12))
    p.cel = 8
    return p


def _eyewhite() -> _Part:
    p = _Part("eyewhite", "eyewhite", (250, 330, 520, 460), "#ffffff", "#dfe4f2", 0.46)
    for cx in (316.0, 452.0):
        p.shape.ellipse((cx, 396), (40, 46))
    p.cel = 6
    return p


def _irides() -> _Part:
    p = _Part("irides", "irides", (270, 340, 500, 460), "#4b7be0", "#2a4aa0", 0.44)
    pupil, shine, low = p.paint("#1b2452"), p.paint("#ffffff"), p.paint("#8fc2ff")
    for cx in (322.0, 446.0):
        p.shape.ellipse((cx, 402), (28, 38))
        low.ellipse((cx, 420), (18, 12))
        pupil.ellipse((cx, 398), (12, 18))
        shine.ellipse((cx - 10, 384), (8, 10)).ellipse((cx + 9, 420), (4, 4))
    p.cel = 12
    return p


def _eyelash() -> _Part:
    p = _Part("eyelash", "eyelash", (260, 330, 510, 420), "#2b1f3a", "#1a1226", 0.43)
    for cx, sgn in ((316.0, -1), (452.0, 1)):
        p.shape.ellipse((cx, 398), (44, 50), start=200, end=340, thickness=7)
        p.shape.poly([(cx + sgn * 40, 372), (cx + sgn * 58, 360), (cx + sgn * 44, 384)])
    p.cel = 2
    return p


def _eyebrow() -> _Part:
    p = _Part("eyebrow", "eyebrow", (270, 300, 500, 350), "#6a3f7d", "#4a2a5a", 0.42)
    for cx in (316.0, 452.0):
        p.shape.ellipse((cx, 346), (34, 18), start=205, end=335, thickness=5)
    p.cel = 2
    return p


def _nose() -> _Part:
    p = _Part("nose", "nose", (370, 425, 400, 455), "#e9a98f", "#d48f77", 0.45)
    p.shape.ellipse((384, 440), (4, 6))
    p.cel = 2
    return p


def _mouth() -> _Part:
    p = _Part("mouth", "mouth", (350, 460, 420, 505), "#c8465a", "#9c2e40", 0.45)
    p.shape.ellipse((384, 478), (18, 14), start=0, end=180)
    p.shape.poly([(366, 478), (402, 478), (402, 481), (366, 481)])
    p.paint("#f28b9a").ellipse((384, 488), (9, 4))
    p.cel = 3
    return p


def _neck() -> _Part:
    p = _Part("neck", "neck", (340, 480, 430, 610), "#f6d2bd", "#e0a98e", 0.7)
    p.shape.poly([(354, 490), (414, 490), (418, 600), (350, 600)])
    p.paint("#e7b39c").ellipse((384, 522), (30, 10), start=0, end=180)
    return p


def _topwear() -> _Part:
    # flared at the hem, under the hands: a hand moved in the preview uncovers the blouse, not a hole
    p = _Part("topwear", "topwear", (220, 560, 550, 830), "#f4f1ff", "#c9c3e6", 0.55)
    p.shape.poly(_smooth_curve([(300, 585), (384, 575), (468, 585), (505, 640), (528, 815), (240, 815),
                                (262, 640), (300, 585)], 10))
    collar = p.paint("#3f58a8")
    collar.poly([(300, 585), (384, 575), (468, 585), (470, 640), (384, 700), (298, 640)])
    p.paint("#f4f1ff").poly([(346, 588), (422, 588), (384, 650)])
    p.paint("#e94b6a").poly([(384, 660), (350, 640), (348, 690)]).poly([(384, 660), (418, 640), (420, 690)])
    p.paint("#c13350").ellipse((384, 664), (10, 10))
    return p


def _bottomwear() -> _Part:
    # the waistband reaches up under the blouse's hem (complete layers: what a nearer layer hides is drawn too)
    p = _Part("bottomwear", "bottomwear", (210, 760, 560, 910), "#3f58a8", "#2b3f80", 0.6)
    p.shape.poly([(238, 775), (530, 775), (546, 895), (222, 895)])
    pleats = p.paint("#2f4690")
    for x in (300, 342, 384, 426, 468):
        pleats.line([(x, 806), (x + (x - 384) * 0.25, 893)], 3)
    return p


def _legwear() -> _Part:
    p = _Part("legwear", "legwear", (320, 860, 450, 990), "#2d2838", "#1c1826", 0.68)
    p.shape.poly([(332, 870), (376, 870), (372, 982), (338, 982)])
    p.shape.poly([(392, 870), (436, 870), (430, 982), (396, 982)])
    return p


def _footwear() -> _Part:
    p = _Part("footwear", "footwear", (310, 955, 465, 1015), "#6b3a2a", "#45241a", 0.6)
    p.shape.ellipse((350, 988), (30, 18)).ellipse((418, 988), (30, 18))
    p.paint("#a86a52").ellipse((342, 982), (10, 4)).ellipse((410, 982), (10, 4))
    p.cel = 5
    return p


def _handwear() -> _Part:
    """Two sleeved arms with hands, far apart, so the left/right split has two clear components."""
    p = _Part("handwear", "handwear", (170, 580, 600, 880), "#f4f1ff", "#c9c3e6", 0.3)
    skin = p.paint("#fbdcca")
    cuff = p.paint("#3f58a8")
    for sgn in (-1, 1):
        sx = 384 + sgn * 118
        arm = [(sx - sgn * 8, 592), (sx + sgn * 26, 600), (sx + sgn * 62, 770), (sx + sgn * 22, 782),
               (sx - sgn * 14, 660)]
        p.shape.poly(arm)
        hand = (sx + sgn * 44, 806)
        p.shape.ellipse(hand, (25, 30), angle=sgn * 15)
        skin.ellipse(hand, (25, 30), angle=sgn * 15)
        cuff.poly([(sx + sgn * 62, 770), (sx + sgn * 22, 782), (sx + sgn * 20, 770), (sx + sgn * 58, 756)])
    return p


def _headwear() -> _Part:
    # the bow sits on the hair (nothing but hair under its edges)
    p = _Part("headwear", "headwear", (430, 140, 610, 270), "#e94b6a", "#b02a48", 0.1)
    p.shape.poly([(520, 205), (452, 160), (446, 246)]).poly([(520, 205), (590, 158), (596, 248)])
    p.shape.ellipse((520, 205), (20, 20))
    p.paint("#ff8aa2").ellipse((470, 185), (10, 6), angle=-30).ellipse((572, 182), (10, 6), angle=30)
    p.cel = 6
    return p


_PARTS = (_back_hair, _ears, _neck, _legwear, _footwear, _bottomwear, _topwear, _face, _eyewhite, _nose, _mouth,
          _irides, _eyelash, _eyebrow, _handwear, _front_hair, _headwear)


@lru_cache(maxsize=2)
def _build_layers(tucked_locks: bool = False) -> tuple[tuple[Layer, ...], np.ndarray]:
    from seethrough.core.compositing import composite

    layers = [(part(tucked_locks) if part is _front_hair else part()).build() for part in _PARTS]
    layers.sort(key=lambda layer: -layer.depth_value)  # far → near, stable for ties
    source = composite(layers, size=(WIDTH, HEIGHT), mode="zbuffer")
    return tuple(layers), source


def build_sample_document(tucked_locks: bool = False) -> Document:
    """A new document holding the sample character (layers far → near, source = z-buffer composite); with
    `tucked_locks`, the sandwich variant (module docstring).

    Documents share the cached, read-only pixels: edits build new layers, so documents stay independent.
    """
    layers, source = _build_layers(tucked_locks)
    return Document(
        (WIDTH, HEIGHT),
        [layer.copy(uid=f"sample{i:02d}") for i, layer in enumerate(layers)],
        source=source,
        metadata={"name": "sample", "provenance": "sample"},
    )


def preview(max_side: int = 384, background: tuple[int, int, int] = (236, 240, 248)) -> np.ndarray:
    """A small RGB preview of the sample on a plain background (for the README)."""
    _, source = _build_layers()
    scale = max_side / max(WIDTH, HEIGHT)
    small = cv2.resize(source, (round(WIDTH * scale), round(HEIGHT * scale)), interpolation=cv2.INTER_AREA)
    a = small[..., 3:4].astype(np.float32) / 255
    out = small[..., :3].astype(np.float32) * a + np.asarray(background, np.float32) * (1 - a)
    return (out + 0.5).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the built-in sample character")
    parser.add_argument("--preview", metavar="PNG", help="write a small preview image here")
    parser.add_argument("--size", type=int, default=384, help="longest side of the preview (pixels)")
    args = parser.parse_args(argv)
    if args.preview:
        from seethrough.core.io.images import save_png

        save_png(args.preview, preview(args.size))
        print(args.preview)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
