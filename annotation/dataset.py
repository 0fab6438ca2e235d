"""From a labelled Live2D model to training data (layout: docs/dataset-layout.md) and to layer documents.

Per pose: the composite; per tag, the full RGBA layer (all its fragments composited in render order, hidden parts
included, clipping honoured), where it is visible in the composite, and its pseudo-depth from the drawing order
(d = (z_max − z) / (z_max − z_min) over the model's fragments, 0 = front; per pixel the nearest fragment of the
tag). Splits are chosen per model, deterministically, so a character never appears in two splits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from annotation.model import Live2DModel
from annotation.render import Frame, ModelRaster, fit_frame, to_uint8
from core.document import Document, Layer, crop_to_content, representative_depth
from core.errors import BadInput, Cancelled
from core.io.atomic import atomic_write_bytes
from core.taxonomy import taxonomy

ALPHA_VISIBLE = 0.1
SCHEMA_VERSION = 1


@dataclass
class TagLayers:
    """One pose rendered per tag (float images on the frame)."""

    composite: np.ndarray  # (H, W, 4) float straight alpha
    layers: dict[str, np.ndarray]  # tag → (H, W, 4) float
    visible: dict[str, np.ndarray]  # tag → bool
    depth: dict[str, np.ndarray]  # tag → float32, 1 outside


def split_for(model_name: str, val: float = 0.1, test: float = 0.1) -> str:
    bucket = int(hashlib.sha1(model_name.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < test else "val" if bucket < test + val else "train"


def render_tags(model: Live2DModel, labels: Mapping[str, str], frame: Frame) -> TagLayers:
    raster = ModelRaster(model, frame)
    order = raster.order
    z = {m.id: m.render_order for m in order}
    z_min, z_max = min(z.values()), max(z.values())
    span = max(z_max - z_min, 1)
    top = raster.top_mesh(ALPHA_VISIBLE)
    rank_tag = np.array([labels.get(m.id) or "" for m in order] + [""], dtype=object)
    visible_tag = rank_tag[top]  # top == -1 picks the trailing ""
    tags = sorted({t for t in labels.values() if t}, key=lambda t: taxonomy().all_tags.index(t)
                  if t in taxonomy().all_tags else 999)
    layers, visible, depth = {}, {}, {}
    for tag in tags:
        ids = {m for m, t in labels.items() if t == tag}
        layer = raster.composite(ids)
        if float(layer[..., 3].max()) <= ALPHA_VISIBLE:
            continue
        d = np.ones(layer.shape[:2], np.float32)
        for mesh in order:
            if mesh.id in ids:
                covered = raster.fragments[mesh.id][..., 3] > ALPHA_VISIBLE
                d = np.where(covered, np.minimum(d, (z_max - z[mesh.id]) / span), d)
        layers[tag], visible[tag], depth[tag] = layer, visible_tag == tag, d
    labelled = {m for m, t in labels.items() if t}
    return TagLayers(raster.composite(labelled), layers, visible, depth)


def live2d_document(model: Live2DModel, labels: Mapping[str, str], size: int = 1024) -> Document:
    """One layer per tag (cropped, per-pixel depth, median depth), far to near; source = the composite."""
    rendered = render_tags(model, labels, fit_frame(model, size))
    built = []
    for tag, rgba in rendered.layers.items():
        pixels, depth, offset = crop_to_content(to_uint8(rgba), rendered.depth[tag])
        if pixels.size == 0:
            continue
        layer = Layer(tag, pixels, offset=offset, tag=tag, depth=depth, provenance=f"live2d:{model.path.name}")
        layer.depth_value = representative_depth(layer)
        built.append(layer)
    built.sort(key=lambda layer: -layer.depth_value)
    h, w = rendered.composite.shape[:2]
    return Document((w, h), built, source=to_uint8(rendered.composite),
                    metadata={"name": model.path.name.split(".")[0], "live2d": str(model.path)})


def _png(path: Path, image: np.ndarray) -> None:
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise BadInput(f"cannot encode {path.name}")
    atomic_write_bytes(path, data.tobytes())


def export_dataset(
    model: Live2DModel,
    labels: Mapping[str, str],
    out: Path,
    poses: Sequence[tuple[str, Mapping[str, float]]],
    size: int = 1024,
    background: tuple[int, int, int] = (255, 255, 255),
    tagset: str = "v3",
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Write one sample per pose under `out` and (re)write `out/dataset.json` last, merging with what is there."""
    if not any(labels.values()):
        raise BadInput("no ArtMesh is labelled: run auto-label (or label some) before exporting")
    out = Path(out)
    name = model.path.name.split(".")[0]
    index_path = out / "dataset.json"
    index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.exists() else {
        "schema_version": SCHEMA_VERSION, "taxonomy": tagset, "tags": list(taxonomy().tags(tagset)), "samples": []}
    samples = {s["id"]: s for s in index["samples"]}
    frame = fit_frame(model, size)
    for i, (pose_name, values) in enumerate(poses):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("dataset export cancelled; finished samples were kept")
        model.reset_parameters()
        model.set_parameters({k: v for k, v in values.items() if any(p.id == k for p in model.parameters)})
        model.update()
        rendered = render_tags(model, labels, frame)
        sid = f"{name}-{pose_name}"
        folder = out / "samples" / sid
        for sub in ("layers", "visible", "depth"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        composite = to_uint8(rendered.composite)
        _png(folder / "composite.png", composite)
        a = composite[..., 3:4].astype(np.float32) / 255.0
        flat = composite[..., :3] * a + np.asarray(background, np.float32) * (1 - a)
        _png(folder / "composite_rgb.png", (flat + 0.5).astype(np.uint8))
        bboxes = {}
        for tag, rgba in rendered.layers.items():
            fname = tag.replace(" ", "_")
            layer = to_uint8(rgba)
            _png(folder / "layers" / f"{fname}.png", layer)
            _png(folder / "visible" / f"{fname}.png", rendered.visible[tag].astype(np.uint8) * 255)
            _png(folder / "depth" / f"{fname}.png", (rendered.depth[tag] * 65535 + 0.5).astype(np.uint16))
            ys, xs = np.nonzero(layer[..., 3])
            bboxes[tag] = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
        entry = {"id": sid, "model": name, "pose": dict(values), "split": split_for(name),
                 "canvas": [frame.width, frame.height], "tags": list(rendered.layers), "bboxes": bboxes}
        atomic_write_bytes(folder / "sample.json", json.dumps(entry, ensure_ascii=False, indent=1).encode())
        samples[sid] = entry
        if progress is not None:
            progress(i + 1, len(poses))
    model.reset_parameters()
    model.update()
    index["samples"] = list(samples.values())
    atomic_write_bytes(index_path, json.dumps(index, ensure_ascii=False, indent=1).encode())
    return out
