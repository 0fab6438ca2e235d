"""`decompose(image, options) -> Document`: the whole See-through inference, on the input's own canvas.

One `DecomposeEngine` owns the loaded pipelines (the single GPU owner); requests are `DecomposeOptions`.
V3 runs two passes (body tags on the square-padded image, then head tags on a crop around the predicted head,
pasted back); V2 runs one. Depth is estimated jointly over the 19 paper classes plus the full image. Layers come
back at the input image's size and position. Progress is reported per step and per pass; cancellation is
checked between steps; CUDA out-of-memory becomes `OutOfMemory` naming the next lower memory mode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seethrough.core.decompose.geometry import SquareFrame, alpha_box, head_crop_box, paste
from seethrough.core.decompose.options import NEXT_MEMORY_MODE, DecomposeOptions
from seethrough.core.decompose.postprocess import build_document
from seethrough.core.document import Document
from seethrough.core.errors import BadInput, OutOfMemory
from seethrough.core.taxonomy import taxonomy

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

#: progress(fraction in [0, 1], message)
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Pass:
    name: str
    tags: tuple[str, ...]
    group_index: int | None


def layer_passes(tagset: str) -> list[Pass]:
    tx = taxonomy()
    if tagset == "v3":
        return [Pass("body", tx.v3_groups["body"], 0), Pass("head", tx.v3_groups["head"], 1)]
    return [Pass("all", tx.v2, None)]


def over(layers: list[np.ndarray]) -> np.ndarray:
    """Composite full-frame straight-alpha RGBA uint8 layers, first = bottom."""
    rgb = np.zeros(layers[0].shape[:2] + (3,), np.float32)
    alpha = np.zeros(layers[0].shape[:2] + (1,), np.float32)
    for layer in layers:
        a = layer[..., 3:4].astype(np.float32) / 255.0
        rgb = layer[..., :3].astype(np.float32) / 255.0 * a + rgb * (1.0 - a)
        alpha = a + alpha * (1.0 - a)
    straight = np.where(alpha > 0, rgb / np.maximum(alpha, 1e-6), 0.0)
    return np.concatenate([straight, alpha], axis=-1).__mul__(255.0).round().clip(0, 255).astype(np.uint8)


def depth_frames(layers: dict[str, np.ndarray], shape: tuple[int, int]) -> tuple[list[str], np.ndarray]:
    """The depth model's 19 paper-class frames, V3 sub-layers composited into `hair` and `eyes` (bottom to top:
    back hair, front hair; eyewhite, irides, eyelash, eyebrow). Missing classes are empty frames."""
    blank = np.zeros((*shape, 4), np.uint8)
    groups = {"hair": ["back hair", "front hair"], "eyes": ["eyewhite", "irides", "eyelash", "eyebrow"]}
    frames = []
    for tag in taxonomy().v2:
        if tag in layers:
            frame = layers[tag]
        elif tag in groups and any(t in layers for t in groups[tag]):
            frame = over([layers[t] for t in groups[tag] if t in layers])
        else:
            frame = blank
        frame = frame.copy()
        frame[frame[..., 3] < 15] = 0  # authors zero alpha < 15 before depth
        frames.append(frame)
    return list(taxonomy().v2), np.stack(frames)


class DecomposeEngine:
    """Holds the loaded layer and depth pipelines between jobs (load once, run many)."""

    def __init__(self, layer_pipeline=None, depth_pipeline=None, offload: str = "none") -> None:  # noqa: ANN001
        self.layer_pipeline = layer_pipeline
        self.depth_pipeline = depth_pipeline
        self.offload = offload  # the memory mode the pipelines were placed in ("auto" already resolved)

    # --- running ----------------------------------------------------------------------------------
    def decompose(
        self,
        image: np.ndarray,
        options: DecomposeOptions,
        progress: Progress | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> Document:
        import torch

        if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
            raise BadInput(f"decompose needs an RGBA uint8 image, got {image.shape} {image.dtype}")
        if self.layer_pipeline is None:
            raise BadInput("no layer model is loaded")
        report = progress or (lambda fraction, message: None)
        passes = layer_passes(options.tagset)
        weights = [len(p.tags) for p in passes] + ([len(taxonomy().v2) // 4] if self.depth_pipeline else [])
        spans = np.cumsum([0, *weights]) / sum(weights)
        height, width = image.shape[:2]
        generator = torch.Generator(device="cpu").manual_seed(options.seed)
        layers: dict[str, np.ndarray] = {}

        def stage(k: int, name: str) -> Callable[[int, int], None]:
            return lambda i, n: report(float(spans[k] + (spans[k + 1] - spans[k]) * i / n), f"{name}: step {i}/{n}")

        try:
            frame = SquareFrame(width, height, options.resolution)
            body = passes[0]
            out = self.layer_pipeline(
                frame.to_canvas(image), body.tags, body.group_index, options.steps, generator,
                on_step=stage(0, f"{body.name} pass"), is_cancelled=is_cancelled,
            )
            for tag, rgba in zip(body.tags, out):
                layers[tag] = _mask_by(frame.to_original(rgba), image)
            if len(passes) > 1:
                self._head_pass(image, layers, passes[1], options, generator, stage(1, "head pass"), is_cancelled)
            depths = None
            if self.depth_pipeline is not None and options.depth:
                depths = self._depth(image, layers, options, generator, stage(len(passes), "depth"), is_cancelled)
        except torch.cuda.OutOfMemoryError as exc:
            lower = NEXT_MEMORY_MODE.get(self.offload if options.offload == "auto" else options.offload)
            hint = f" Try the memory mode '{lower}'" if lower else " Try a lower resolution"
            raise OutOfMemory(f"the GPU ran out of memory at {options.resolution}².{hint}.") from exc
        layers.pop("head", None)  # only locates the head crop; never a layer of its own
        doc = build_document(image, layers, depths, metadata={"decompose": _options_metadata(options)})
        if options.lr_split:
            doc = split_left_right(doc)
        report(1.0, "done")
        return doc

    def _head_pass(self, image, layers, head, options, generator, on_step, is_cancelled) -> None:  # noqa: ANN001
        height, width = image.shape[:2]
        box = alpha_box(layers.get("head", np.zeros((1, 1, 4), np.uint8)))
        if box is None:
            log.info("no head found by the body pass: skipping the head pass")
            return
        x0, y0, x1, y1 = head_crop_box(box, width, height)
        crop = image[y0:y1, x0:x1]
        frame = SquareFrame(x1 - x0, y1 - y0, options.resolution)
        out = self.layer_pipeline(
            frame.to_canvas(crop), head.tags, head.group_index, options.steps, generator,
            on_step=on_step, is_cancelled=is_cancelled,
        )
        for tag, rgba in zip(head.tags, out):
            full = paste(np.zeros((height, width, 4), np.uint8), frame.to_original(rgba), (x0, y0))
            layers[tag] = _mask_by(full, image)

    def _depth(self, image, layers, options, generator, on_step, is_cancelled) -> dict[str, np.ndarray]:  # noqa: ANN001
        height, width = image.shape[:2]
        names, frames = depth_frames(layers, (height, width))
        full = image.copy()
        full[..., 3] = np.clip(frames[..., 3].astype(np.int32).sum(axis=0), 0, 255).astype(np.uint8)
        frame = SquareFrame(width, height, options.depth_resolution)
        depth = self.depth_pipeline(
            np.stack([frame.to_canvas(f) for f in frames]), frame.to_canvas(full), options.depth_steps, generator,
            on_step=on_step, is_cancelled=is_cancelled,
        )
        per_class = {name: frame.to_original(d) for name, d in zip(names, depth[:-1])}
        v3_to_v2 = taxonomy().v3_to_v2
        return {tag: per_class[v3_to_v2.get(tag, tag)] for tag in layers if v3_to_v2.get(tag, tag) in per_class}


def split_left_right(doc: Document) -> Document:
    """Split the tags that come in pairs (hands, ears, eye parts) into `-r`/`-l` layers: a new document with a
    fresh history (the split is part of the result, not an undoable edit)."""
    from seethrough.core.stratify import lr_split
    from seethrough.core.taxonomy import default_lr_split

    out = []
    for layer in doc.layers:
        out.extend(lr_split(layer) if default_lr_split(layer.tag) else [layer])
    layers = sorted(out, key=lambda layer: -layer.depth_value)
    return Document(doc.size, layers, source=doc.source, metadata=doc.metadata)


def _mask_by(rgba: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Alpha × the input's alpha at the input's own resolution (the model canvas was resampled), as the authors
    multiply the predicted alpha by the page alpha: nothing may appear where the illustration is transparent."""
    rgba = rgba.copy()
    rgba[..., 3] = (rgba[..., 3].astype(np.uint16) * image[..., 3] + 127) // 255
    return rgba


def _options_metadata(options: DecomposeOptions) -> dict:
    return {
        "tagset": options.tagset,
        "resolution": options.resolution,
        "steps": options.steps,
        "seed": options.seed,
        "depth_resolution": options.depth_resolution,
        "depth_steps": options.depth_steps,
    }


def resolve_device_dtype(options: DecomposeOptions) -> tuple[str, torch.dtype]:
    """("cuda"|"cpu", torch dtype): bf16 on CUDA unless asked otherwise, fp32 on the CPU."""
    import torch

    device = options.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BadInput("a CUDA device was asked for, but PyTorch sees no GPU (is the CUDA build of torch installed?)")
    name = options.dtype
    if name == "auto":
        name = "bfloat16" if device.startswith("cuda") else "float32"
    return device, getattr(torch, name)


def load_engine(options: DecomposeOptions) -> DecomposeEngine:
    """Find the models (options' folders, else the catalogue: settings, $SEETHROUGH_MODELS, the HF cache) and
    load them on the requested device in the requested memory mode. Missing weights → ModelNotFound."""
    from seethrough.core.pipelines.layer_depth import LayerDepthPipeline
    from seethrough.core.pipelines.layer_diffusion import LayerDiffusionPipeline

    device, dtype = resolve_device_dtype(options)
    if options.quantize and not device.startswith("cuda"):
        raise BadInput(f"8-bit/4-bit weights need a CUDA GPU (bitsandbytes); on {device} use the default precision")
    layer_kind = "layers-v3" if options.tagset == "v3" else "layers-v2"
    layer_dir = _model_folder(layer_kind, options.layer_model, options.models_dir)
    layer = LayerDiffusionPipeline.load(layer_dir, dtype=dtype, quantize=options.quantize)
    depth = None
    if options.depth:
        depth = LayerDepthPipeline.load(_model_folder("depth", options.depth_model, options.models_dir), dtype=dtype,
                                        quantize=options.quantize)
    offload = resolve_offload(options, device)
    for pipeline in (layer, depth):
        if pipeline is not None:
            if options.attention == "eager":
                from diffusers.models.attention_processor import AttnProcessor

                pipeline.unet.set_attn_processor(AttnProcessor())
            _place(pipeline, device, offload)
    return DecomposeEngine(layer, depth, offload)


def resolve_offload(options: DecomposeOptions, device: str) -> str:
    """The memory mode to use: the user's, or for "auto" the one that fits the device's free memory now."""
    if options.offload != "auto":
        return options.offload
    from seethrough.core.decompose.memory import choose_memory_mode

    free = None
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
    choice = choose_memory_mode(free, options.resolution, options.quantize)
    log.info("memory mode auto → %s: %s", choice.offload, choice.reason)
    return choice.offload


def _model_folder(kind: str, chosen: Path | None, models_dir: Path | None = None) -> Path:
    """The folder the user chose, else the one the model catalogue finds (raises ModelNotFound with how-to)."""
    if chosen is not None:
        return Path(chosen)
    from seethrough.core.models.catalog import find_model

    return find_model(kind, [models_dir] if models_dir else ()).path


def _place(pipeline, device: str, offload: str) -> None:  # noqa: ANN001 - a diffusers pipeline
    if device == "cpu" or offload == "none":
        pipeline.to(device)
    elif offload == "model":
        pipeline.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipeline.enable_sequential_cpu_offload(device=device)
    elif offload == "group":
        pipeline.enable_group_offload(onload_device=device, offload_type="block_level", num_blocks_per_group=1)
