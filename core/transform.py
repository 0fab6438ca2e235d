"""Move, scale, rotate and flip a layer, or the selected part of it (docs/transform.md).

`{"op": "transform", "layer": NAME, "translate": [dx, dy], "scale": [sx, sy], "rotate": degrees, "flip": "h"|"v"}`
→ `transform_command(doc, TransformParams(...))`, one undo step. With a selection the selected part floats: it
is cut (core.selection.pixels.cut_alpha), transformed and put back over the rest, and the selection follows it.

The transform is one affine about the centre of what moves (the layer's box, or the box of the selected pixels):
flip, then scale, then rotate (degrees, clockwise on the screen), then translate. How pixels are resampled:
- a flip, a rotation by a multiple of 90° and a whole-pixel move at scale ±1 map pixels onto pixels: the arrays
  are flipped and transposed, exactly (no resampling; four quarter turns or two flips give the layer back byte
  for byte). When a quarter turn would put the box half a pixel off the grid it is rounded, up or down by the
  parity of the box's side, so that successive turns cancel out;
- anything else is resampled premultiplied (colour × alpha, so transparent pixels lend no colour: no dark fringe):
  shrinking axes are first reduced with OpenCV's area filter, then one `cv2.warpAffine` with bilinear filtering;
  colour is divided by alpha again after. Depth is resampled with nearest neighbour (a depth between two layers'
  depths would be a surface that is not there); the selection and a layer mask bilinearly (a whole-layer
  transform moves the layer's mask with it; a selection's transform leaves the mask where it is).
The result is cropped to its pixels (the layer's box is recomputed) and must stay within one canvas of the canvas
(a document's offsets are limited so) and within the image cap (core.io.limits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from seethrough.core import edit_limits as lim
from seethrough.core.commands import Macro, SetLayerPixels, require_unlocked
from seethrough.core.document import Layer, crop_to_content
from seethrough.core.errors import BadInput, ImageTooLarge
from seethrough.core.io.limits import max_pixels
from seethrough.core.layer_mask import LayerMask
from seethrough.core.layer_refs import layer_ref
from seethrough.core.mask_ops import SetLayerMask
from seethrough.core.selection import pixels as px
from seethrough.core.selection.commands import SetSelection, selection_of
from seethrough.core.selection.params import from_dict
from seethrough.core.selection.value import Selection, from_region, union_boxes

if TYPE_CHECKING:
    from seethrough.core.commands import Command
    from seethrough.core.document import DocumentLike

Box = tuple[int, int, int, int]
FLIPS = ("h", "v")
#: OpenCV's remapping works on images up to 32767 pixels a side
MAX_OUTPUT_SIDE = 32_766
_EPS = 1e-9


@dataclass(frozen=True)
class TransformParams:
    """The `transform` operation's parameters (rotate is normalised to [0, 360))."""

    layer: str
    translate: tuple[float, float] = (0.0, 0.0)
    scale: tuple[float, float] = (1.0, 1.0)
    rotate: float = 0.0
    flip: str | None = None

    def __post_init__(self) -> None:
        lim.name(self.layer, "transform: layer")
        object.__setattr__(self, "translate", lim.pair(self.translate, "transform: translate"))
        sx, sy = lim.pair(self.scale, "transform: scale", -lim.MAX_SCALE, lim.MAX_SCALE)
        for value, axis in ((sx, 0), (sy, 1)):
            if abs(value) < lim.MIN_SCALE:
                raise BadInput(f"transform: scale[{axis}] must be at least {lim.MIN_SCALE:g} in size, got {value:g}")
        object.__setattr__(self, "scale", (sx, sy))
        rotate = lim.finite(self.rotate, "transform: rotate", -lim.MAX_ROTATION, lim.MAX_ROTATION)
        object.__setattr__(self, "rotate", rotate % 360.0)
        if self.flip is not None:
            lim.choice(self.flip, "transform: flip", FLIPS)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformParams:
        return from_dict(cls, data, "transform")


# --- the affine ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Affine:
    """x' = linear · x + shift, in continuous canvas coordinates (pixel (i, j) covers [i, i+1) × [j, j+1))."""

    linear: np.ndarray  # (2, 2)
    shift: np.ndarray  # (2,)

    def apply(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, np.float64) @ self.linear.T + self.shift

    def bounds(self, box: Box) -> tuple[float, float, float, float]:
        """The box's image: (x0, y0, x1, y1) of its transformed corners."""
        x0, y0, x1, y1 = box
        corners = self.apply(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64))
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    @property
    def permutes_pixels(self) -> bool:
        """A flip / quarter turn at scale ±1 moved by whole pixels: pixels land on pixels."""
        entries = np.abs(self.linear)
        unit = np.allclose(entries, np.eye(2)) or np.allclose(entries, np.eye(2)[::-1])
        return unit and bool(np.allclose(self.shift, np.rint(self.shift), atol=_EPS))


def _rotation(degrees: float) -> tuple[float, float]:
    """(cos, sin), exact for multiples of 90°."""
    quarter = degrees / 90.0
    if abs(quarter - round(quarter)) < _EPS:
        return [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][int(round(quarter)) % 4]
    rad = math.radians(degrees)
    return math.cos(rad), math.sin(rad)


def transform_affine(params: TransformParams, pivot: tuple[float, float]) -> Affine:
    """Flip and scale, then rotate (clockwise on screen, y pointing down) about `pivot`, then translate."""
    sx, sy = params.scale
    if params.flip == "h":
        sx = -sx
    elif params.flip == "v":
        sy = -sy
    cos, sin = _rotation(params.rotate)
    linear = np.array([[cos, -sin], [sin, cos]], np.float64) @ np.diag([sx, sy])
    centre = np.asarray(pivot, np.float64)
    return Affine(linear, centre + np.asarray(params.translate, np.float64) - linear @ centre)


def on_pixel_grid(affine: Affine, box: Box) -> Affine:
    """`affine`, moved by up to half a pixel per axis so that `box` lands on whole pixels, when the move is only
    needed because a quarter turn about the box's centre puts it half a pixel off (sides of unequal parity).
    The half pixel is rounded up for an odd side and down for an even one, so quarter turns cancel out."""
    entries = np.abs(affine.linear)
    if not (np.allclose(entries, np.eye(2)) or np.allclose(entries, np.eye(2)[::-1])):
        return affine
    x0, y0, _, _ = affine.bounds(box)
    sides = (box[2] - box[0], box[3] - box[1])
    shift = affine.shift.copy()
    for axis, corner in enumerate((x0, y0)):
        fraction = corner - math.floor(corner)
        if abs(fraction - 0.5) < _EPS:
            source_side = sides[int(np.argmax(entries[axis]))]  # the side that turns into this axis
            shift[axis] += (1.0 - fraction) if source_side % 2 else -fraction
    return Affine(affine.linear, shift)


# --- planes -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """Where results may lie: one canvas around the canvas, and the image cap."""

    canvas: tuple[int, int]

    @property
    def box(self) -> Box:
        w, h = self.canvas
        return (-w, -h, 2 * w, 2 * h)

    def output_box(self, bounds: tuple[float, float, float, float], what: str) -> Box | None:
        """The whole pixels `bounds` touch, clipped to the window; None when it lies outside; too large refused."""
        x0 = math.floor(bounds[0] + 1e-6)
        y0 = math.floor(bounds[1] + 1e-6)
        x1 = math.ceil(bounds[2] - 1e-6)
        y1 = math.ceil(bounds[3] - 1e-6)
        wx0, wy0, wx1, wy1 = self.box
        x0, y0, x1, y1 = max(x0, wx0), max(y0, wy0), min(x1, wx1), min(y1, wy1)
        if x1 <= x0 or y1 <= y0:
            return None
        limit = max_pixels()
        if (x1 - x0) * (y1 - y0) > limit or max(x1 - x0, y1 - y0) > MAX_OUTPUT_SIDE:
            raise ImageTooLarge(
                f"transform: {what} would be {x1 - x0}×{y1 - y0} pixels, over the limit of {limit:,} "
                f"(and {MAX_OUTPUT_SIDE} a side)"
            )
        return (x0, y0, x1, y1)


def _permuted(arr: np.ndarray, offset: tuple[int, int], affine: Affine) -> tuple[np.ndarray, tuple[int, int]]:
    """A plane moved by an affine that `permutes_pixels`: flips and a transpose, no resampling."""
    h, w = arr.shape[:2]
    box = (offset[0], offset[1], offset[0] + w, offset[1] + h)
    a = np.rint(affine.linear).astype(int)
    out = arr
    if a[0, 0] == 0:  # x' follows y and y' follows x: transpose, then flip as the signs say
        out = np.swapaxes(out, 0, 1)
        x_sign, y_sign = a[0, 1], a[1, 0]
    else:
        x_sign, y_sign = a[0, 0], a[1, 1]
    if x_sign < 0:
        out = out[:, ::-1]
    if y_sign < 0:
        out = out[::-1]
    x0, y0, _, _ = affine.bounds(box)
    return np.ascontiguousarray(out), (int(round(x0)), int(round(y0)))


def _index_matrix(affine: Affine, source: tuple[float, float], scale: tuple[float, float], out: Box) -> np.ndarray:
    """The 2×3 matrix OpenCV needs: from array indices of a source at canvas position `source` (resized by
    `scale` per axis) to array indices of the output box."""
    linear = affine.linear @ np.diag([1.0 / scale[0], 1.0 / scale[1]])
    shift = affine.apply(np.asarray(source, np.float64)) + linear @ np.array([0.5, 0.5]) - 0.5 - np.array(out[:2])
    return np.hstack([linear, shift[:, None]])


def _shrunk(arr: np.ndarray, affine: Affine, nearest: bool) -> tuple[np.ndarray, tuple[float, float]]:
    """The plane first reduced by the area filter along the axes the affine shrinks (or picked nearest)."""
    h, w = arr.shape[:2]
    stretch = np.hypot(affine.linear[0], affine.linear[1])  # how much each source axis is scaled
    kx, ky = min(float(stretch[0]), 1.0), min(float(stretch[1]), 1.0)
    if kx >= 1.0 and ky >= 1.0:
        return arr, (1.0, 1.0)
    new_w, new_h = max(1, round(w * kx)), max(1, round(h * ky))
    if (new_w, new_h) == (w, h):
        return arr, (1.0, 1.0)
    how = cv2.INTER_NEAREST_EXACT if nearest else cv2.INTER_AREA
    return cv2.resize(arr, (new_w, new_h), interpolation=how), (new_w / w, new_h / h)


def warp(
    arr: np.ndarray, offset: tuple[int, int], affine: Affine, out: Box, nearest: bool = False, fill: float = 0.0
) -> np.ndarray:
    """Resample a plane (uint8 or float32, 1 to 4 channels) at `offset` into the canvas box `out`."""
    source, scale = _shrunk(arr, affine, nearest)
    matrix = _index_matrix(affine, (float(offset[0]), float(offset[1])), scale, out)
    how = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    size = (out[2] - out[0], out[3] - out[1])
    border = (fill,) * 4
    result = cv2.warpAffine(source, matrix, size, flags=how, borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    return result.reshape(size[1], size[0], *arr.shape[2:])


def warp_rgba(rgba: np.ndarray, offset: tuple[int, int], affine: Affine, out: Box) -> np.ndarray:
    """Straight RGBA resampled premultiplied: no colour bleeds in from transparent pixels (no dark fringe)."""
    values = rgba.astype(np.float32)
    values[..., :3] *= values[..., 3:4] / 255.0
    moved = warp(values, offset, affine, out)
    alpha = moved[..., 3:4]
    colour = np.divide(moved[..., :3] * 255.0, alpha, out=np.zeros_like(moved[..., :3]), where=alpha > 1e-3)
    result = np.empty(moved.shape, np.uint8)
    result[..., :3] = np.clip(np.rint(colour), 0, 255)
    result[..., 3] = np.clip(np.rint(alpha[..., 0]), 0, 255)
    return result


@dataclass(frozen=True)
class Moved:
    """A layer's pixels and depth after a transform (cropped to the pixels), at `offset`."""

    rgba: np.ndarray
    depth: np.ndarray | None
    offset: tuple[int, int]


def move_pixels(
    rgba: np.ndarray, depth: np.ndarray | None, offset: tuple[int, int], affine: Affine, window: Window, what: str
) -> Moved:
    """Transform a layer's pixels and depth map together."""
    if affine.permutes_pixels:
        new_rgba, new_offset = _permuted(rgba, offset, affine)
        new_depth = None if depth is None else _permuted(depth, offset, affine)[0]
        return Moved(new_rgba, new_depth, new_offset)
    box = (offset[0], offset[1], offset[0] + rgba.shape[1], offset[1] + rgba.shape[0])
    out = window.output_box(affine.bounds(box), what)
    if out is None:
        return Moved(np.zeros((0, 0, 4), np.uint8), None if depth is None else np.zeros((0, 0), np.float32), offset)
    moved_rgba = warp_rgba(rgba, offset, affine, out)
    moved_depth = None if depth is None else warp(depth, offset, affine, out, nearest=True, fill=1.0)
    cropped, cropped_depth, new_offset = crop_to_content(moved_rgba, moved_depth, out[:2])
    return Moved(cropped, cropped_depth, new_offset)


def move_mask(alpha: np.ndarray, offset: tuple[int, int], affine: Affine, window: Window) -> tuple[np.ndarray, Box]:
    """Transform an 8-bit mask (a selection) bilinearly; returns the mask and its canvas box."""
    if affine.permutes_pixels:
        moved, new_offset = _permuted(alpha, offset, affine)
        return moved, (new_offset[0], new_offset[1], new_offset[0] + moved.shape[1], new_offset[1] + moved.shape[0])
    box = (offset[0], offset[1], offset[0] + alpha.shape[1], offset[1] + alpha.shape[0])
    out = window.output_box(affine.bounds(box), "the selection")
    if out is None:
        return np.zeros((0, 0), np.uint8), (0, 0, 0, 0)
    return warp(alpha, offset, affine, out), out


# --- the command --------------------------------------------------------------------------------------------------
def _check_placed(moved: Moved, canvas: tuple[int, int], name: str) -> None:
    w, h = canvas
    x, y = moved.offset
    if moved.rgba.size and not (-w <= x <= w and -h <= y <= h):
        raise BadInput(f"transform: layer {name!r} would be moved more than a canvas away from the canvas")


def transform_command(doc: DocumentLike, params: TransformParams) -> Command:
    """Transform the layer, or only its selected pixels when something is selected (one undo step)."""
    layer = layer_ref(doc, params.layer, "transform")
    require_unlocked(layer, "transform it")
    selection = selection_of(doc)
    window = Window(doc.size)
    if selection is None:
        return _transform_layer(layer, params, window)
    return _transform_selection(layer, selection, params, window)


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def _transform_layer(layer: Layer, params: TransformParams, window: Window) -> Command:
    if layer.rgba.size == 0:
        raise BadInput(f"transform: layer {layer.name!r} is empty")
    affine = on_pixel_grid(transform_affine(params, _centre(layer.bbox)), layer.bbox)
    moved = move_pixels(layer.rgba, layer.depth, layer.offset, affine, window, f"layer {layer.name!r}")
    if moved.rgba.size == 0:
        raise BadInput(f"transform: layer {layer.name!r} would be moved off the canvas")
    _check_placed(moved, window.canvas, layer.name)
    pixels = SetLayerPixels(layer.uid, moved.rgba, offset=moved.offset, depth=moved.depth, keep_depth=False,
                            text=f"Transform {layer.name}")
    if layer.layer_mask is None:
        return pixels
    mask = move_layer_mask(layer.layer_mask, affine, window)
    return Macro([pixels, SetLayerMask(layer.uid, mask, text="Transform the mask")], text=f"Transform {layer.name}")


def move_layer_mask(mask: LayerMask, affine: Affine, window: Window) -> LayerMask:
    """A layer mask transformed with its layer (bilinear; what it holds outside its box stays so)."""
    if mask.plane.width == 0 or mask.plane.height == 0:
        return mask  # all `fill`: nothing to move
    values = mask.plane.to_dense()
    offset = mask.box[:2]
    if affine.permutes_pixels:
        moved, new_offset = _permuted(values, offset, affine)
        return LayerMask.from_array(moved, new_offset, fill=mask.fill, enabled=mask.enabled)
    out = window.output_box(affine.bounds(mask.box), "the layer mask")
    if out is None:
        return LayerMask.from_array(np.zeros((0, 0), np.uint8), (0, 0), fill=mask.fill, enabled=mask.enabled)
    moved = warp(values, offset, affine, out, fill=float(mask.fill))
    return LayerMask.from_array(moved, out[:2], fill=mask.fill, enabled=mask.enabled)


@dataclass(frozen=True)
class Floating:
    """What a transform with a selection moves: the selected pixels of a layer cut out (cropped to them, `rgba`
    and `depth` at `offset`; empty when the selection holds none of the layer's pixels), and the layer's alpha
    that stays (`remaining`, over the layer's box)."""

    rgba: np.ndarray
    depth: np.ndarray | None
    offset: tuple[int, int]
    remaining: np.ndarray

    @property
    def box(self) -> Box | None:
        if self.rgba.size == 0:
            return None
        x, y = self.offset
        return (x, y, x + self.rgba.shape[1], y + self.rgba.shape[0])


def floating_part(layer: Layer, selection: Selection) -> Floating:
    """Split `layer` by `selection` as a transform does (the two parts put back together give the layer)."""
    remaining = px.remaining_alpha(layer.alpha, selection.in_box(layer.bbox))
    rgba, depth, offset = crop_to_content(
        px.with_alpha(layer.rgba, px.cut_alpha(layer.alpha, remaining)), layer.depth, layer.offset
    )
    return Floating(rgba, depth, offset, remaining)


def moving_box(layer: Layer, selection: Selection | None) -> Box:
    """The box whose centre a transform turns and scales about: the layer's box, or with a selection the box of
    the selected pixels (the selection's own box when it holds none of the layer's pixels)."""
    if selection is None:
        return layer.bbox
    box = floating_part(layer, selection).box
    return box if box is not None else selection.extent


def _transform_selection(layer: Layer, selection: Selection, params: TransformParams, window: Window) -> Command:
    """Cut the selected pixels, transform them and the selection, put them back over the rest."""
    floating = floating_part(layer, selection)
    remaining, piece_rgba, piece_depth, piece_offset = (floating.remaining, floating.rgba, floating.depth,
                                                         floating.offset)
    has_piece = floating.box is not None
    box = floating.box if floating.box is not None else selection.extent
    affine = on_pixel_grid(transform_affine(params, _centre(box)), box)
    if selection.outside:  # the rest of the canvas is selected too: move the whole canvas's mask
        alpha, sel_box = move_mask(selection.on_canvas(), (0, 0), affine, window)
    else:
        alpha, sel_box = move_mask(selection.alpha, selection.offset, affine, window)
    moved_selection = from_region(window.canvas, alpha, sel_box[:2]) if alpha.size else None
    set_selection = SetSelection(moved_selection, text="Move selection")
    if not has_piece:
        return Macro([set_selection], text="Transform selection")
    moved = move_pixels(piece_rgba, piece_depth, piece_offset, affine, window, "the selected pixels")
    rest = px.with_alpha(layer.rgba, remaining)
    out = layer.bbox if moved.rgba.size == 0 else union_boxes(layer.bbox, (
        moved.offset[0], moved.offset[1], moved.offset[0] + moved.rgba.shape[1], moved.offset[1] + moved.rgba.shape[0]))
    top = px.region(moved.rgba, moved.offset, out)
    rgba = px.over(top, px.region(rest, layer.offset, out))
    depth = None
    if layer.depth is not None:
        below = px.region(layer.depth, layer.offset, out, fill=1.0)
        above = px.region(moved.depth, moved.offset, out, fill=1.0) if moved.depth is not None else below
        depth = np.where(top[..., 3] > 0, above, below)
    cropped, cropped_depth, offset = crop_to_content(rgba, depth, out[:2])
    _check_placed(Moved(cropped, cropped_depth, offset), window.canvas, layer.name)
    pixels = SetLayerPixels(layer.uid, cropped, offset=offset, depth=cropped_depth, keep_depth=False,
                            text=f"Transform the selection of {layer.name}")
    return Macro([pixels, set_selection], text=f"Transform the selection of {layer.name}")
