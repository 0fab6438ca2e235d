"""`decompose(image, options) -> Document`: the whole See-through inference, as the authors run it (docs/parity.md).

One `DecomposeEngine` owns the loaded pipelines (the single GPU owner); requests are `DecomposeOptions`.
Every stage works on the layer model's square canvas with the authors' random streams and rules: V3 runs two
passes (body tags on the canvas, then head tags on a crop around the predicted head, pasted back); V2 runs one.
Depth is estimated jointly over the 19 paper classes plus the full page (`depth_stage`), then the authors'
post-processing makes the parts (`postprocess.authors_parts`). The document is on the canvas
(`output_frame="canvas"`) or mapped to the input's own size and position (default). Progress is reported per step
and per pass; cancellation is checked between steps; CUDA out-of-memory becomes `OutOfMemory` naming the next
lower memory mode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seethrough.core.decompose.depth_stage import run_depth
from seethrough.core.decompose.geometry import SquareFrame, head_crop, head_to_canvas, paste
from seethrough.core.decompose.options import DEFAULT_DEPTH_STEPS, NEXT_MEMORY_MODE, DecomposeOptions
from seethrough.core.decompose.postprocess import Part, authors_parts, part_tag
from seethrough.core.decompose.speed import EAGER, SpeedSettings
from seethrough.core.document import Document, Layer, crop_to_content, place
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

    def __init__(self, layer_pipeline=None, depth_pipeline=None, offload: str = "none",  # noqa: ANN001
                 speed: SpeedSettings = EAGER) -> None:
        self.layer_pipeline = layer_pipeline
        self.depth_pipeline = depth_pipeline
        #: the speed settings the pipelines were prepared with (`load_engine`; the eager path when built directly)
        self.speed = speed
        #: the last run's stage outputs on the canvas (canvas, head_crop, layers, depth_maps, depth_composites,
        #: parts), for checks
        self.last_run: dict = {}
        self.offload = offload  # the memory mode the pipelines were placed in ("auto" already resolved)

    # --- running ----------------------------------------------------------------------------------
    def decompose(
        self,
        image: np.ndarray,
        options: DecomposeOptions,
        progress: Progress | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> Document:
        """The authors' pipeline (docs/parity.md): every stage on the layer model's square canvas, with their random
        streams and rules; then the parts are mapped to the input's own frame unless `output_frame="canvas"`."""
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
        frame = SquareFrame(width, height, options.resolution)
        canvas = frame.to_canvas(image)
        layers: dict[str, np.ndarray] = {}
        self.last_run = {"canvas": canvas, "head_crop": None, "layers": layers, "depth_maps": None}

        def stage(k: int, name: str) -> Callable[[int, int], None]:
            return lambda i, n: report(float(spans[k] + (spans[k + 1] - spans[k]) * i / n), f"{name}: step {i}/{n}")

        try:
            device = _device_of(self.layer_pipeline)
            with seeded_global_rng(options.seed, device):
                generator = torch.Generator(device=device).manual_seed(options.seed)
                body = passes[0]
                out = self.layer_pipeline(
                    canvas, body.tags, body.group_index, options.steps, generator,
                    on_step=stage(0, f"{body.name} pass"), is_cancelled=is_cancelled, fp32_latents=options.fp32_latents,
                    **self._layer_speed(),
                )
                layers.update(zip(body.tags, out))
                if len(passes) > 1:
                    self._head_pass(image, frame, layers, passes[1], options, generator, stage(1, "head pass"),
                                    is_cancelled)
            doc = self.finish(image, canvas, layers, options, stage(len(passes), "depth"), is_cancelled)
        except torch.cuda.OutOfMemoryError as exc:
            lower = NEXT_MEMORY_MODE.get(self.offload if options.offload == "auto" else options.offload)
            hint = f" Try the memory mode '{lower}'" if lower else " Try a lower resolution"
            raise OutOfMemory(f"the GPU ran out of memory at {options.resolution}².{hint}.") from exc
        report(1.0, "done")
        return doc

    def finish(
        self,
        image: np.ndarray,
        canvas: np.ndarray,
        layers: dict[str, np.ndarray],
        options: DecomposeOptions,
        on_step: Callable[[int, int], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> Document:
        """The stages after the layer passes: depth (re-seeded, as the authors re-seed before it) and
        post-processing, from the full-canvas layers of every pass tag (empty ones included)."""
        if self.last_run.get("layers") is not layers:
            self.last_run = {"canvas": canvas, "head_crop": None, "layers": layers}
        depths = None
        if self.depth_pipeline is not None and options.depth:
            with seeded_global_rng(options.seed, _device_of(self.depth_pipeline)):
                depths = self._depth(canvas, layers, options, on_step or (lambda i, n: None), is_cancelled)
        self.last_run["depth_maps"] = depths
        order = list(depths) if depths is not None else part_order(layers)
        parts = authors_parts(canvas, layers, depths, order, lr_split=options.lr_split)
        self.last_run["parts"] = parts
        metadata = {"decompose": _options_metadata(options)}
        if options.output_frame == "canvas":
            return document_from_parts(canvas, parts, metadata)
        frame = SquareFrame(image.shape[1], image.shape[0], canvas.shape[0])
        return document_in_input_frame(image, frame, parts, metadata)

    def _head_pass(self, image, frame, layers, head, options, generator, on_step, is_cancelled) -> None:  # noqa: ANN001
        crop = head_crop(layers["head"], frame)
        self.last_run["head_crop"] = crop
        if crop is None:
            log.info("no head found by the body pass: skipping the head pass")
            return
        x1, y1, x2, y2 = crop.box
        pixels = image[y1:y2, x1:x2]
        crop_frame = SquareFrame(pixels.shape[1], pixels.shape[0], options.resolution)
        out = self.layer_pipeline(
            crop_frame.to_canvas(pixels), head.tags, head.group_index, options.steps, generator,
            on_step=on_step, is_cancelled=is_cancelled, fp32_latents=options.fp32_latents, **self._layer_speed(),
        )
        size = options.resolution
        page_alpha = layers_page_alpha(frame, image) if options.clip_head_halo else None
        for tag, rgba in zip(head.tags, out):
            full = paste(np.zeros((size, size, 4), np.uint8), head_to_canvas(rgba, crop_frame, frame), crop.origin)
            if page_alpha is not None:
                full[..., 3] = np.minimum(full[..., 3], page_alpha)
            layers[tag] = full

    def _depth(self, canvas, layers, options, on_step, is_cancelled) -> dict[str, np.ndarray]:  # noqa: ANN001
        steps = options.depth_steps or getattr(self.depth_pipeline, "default_steps", None) or DEFAULT_DEPTH_STEPS

        def estimate(frames: np.ndarray, page: np.ndarray, unused: list[bool] | None) -> np.ndarray:
            extra = {} if unused is None else {"unused": unused}
            return self.depth_pipeline(frames, page, steps, None, on_step=on_step, is_cancelled=is_cancelled,
                                       fp32_latents=options.fp32_latents, **extra)

        composites: dict[str, np.ndarray] = {}
        self.last_run["depth_composites"] = composites
        return run_depth(layers, canvas, options.depth_resolution, estimate, composites,
                         skip_unused=self.speed.skip_empty)

    def _layer_speed(self) -> dict:
        """The layer pipeline's speed arguments, only those that differ from its defaults (so a test double or an
        older pipeline that lacks them still runs the eager path)."""
        speed = self.speed
        extra: dict = {}
        if speed.cuda_graphs:
            extra["cuda_graphs"] = True
        if speed.decoder_batch != 1:
            extra["decoder_batch"] = speed.decoder_batch
        if speed.decoder_tile:
            extra["decoder_tile"] = speed.decoder_tile
        return extra


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


def _device_of(pipeline) -> str:  # noqa: ANN001 - a diffusers pipeline (or a test double)
    device = getattr(pipeline, "_execution_device", None)
    return "cpu" if device is None else str(device)


@contextmanager
def seeded_global_rng(seed: int, device: str) -> Iterator[None]:
    """The global torch RNG seeded as the authors' `seed_everything` does (CPU and every CUDA device) for the
    duration of a stage, and restored afterwards, so the app's own random state is left as it was."""
    import torch

    devices = [torch.device(device)] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def layers_page_alpha(frame: SquareFrame, image: np.ndarray) -> np.ndarray:
    """The input's alpha on the model canvas."""
    return frame.to_canvas(image)[..., 3]


def part_order(layers: dict[str, np.ndarray]) -> list[str]:
    """The authors' part order without a depth stage: V2 classes, composites as their sub-layers top down."""
    from seethrough.core.decompose.depth_stage import COMPOSITES

    order: list[str] = []
    for tag in taxonomy().v2:
        subs = [t for t in COMPOSITES.get(tag, ()) if t in layers]
        order.extend(reversed(subs) if subs else ([tag] if tag in layers else []))
    return order


def document_from_parts(canvas: np.ndarray, parts: list[Part], metadata: dict) -> Document:
    """The parts as they are, on the model canvas (the authors' PSD frame)."""
    layers = [
        Layer(p.name, p.rgba, offset=p.offset, tag=part_tag(p.name), depth=p.depth, depth_value=p.depth_median,
              provenance="decompose")
        for p in parts
    ]
    return Document((canvas.shape[1], canvas.shape[0]), layers, source=canvas.copy(), metadata=dict(metadata))


def document_in_input_frame(image: np.ndarray, frame: SquareFrame, parts: list[Part], metadata: dict) -> Document:
    """The parts mapped from the canvas to the input's own size and position (un-pad, resize), alpha kept within
    the input's alpha (no resampling halo, no squared edges); order and depth medians are the canvas ones."""
    size = (frame.size, frame.size)
    layers = []
    for p in parts:
        rgba = frame.to_original(place(p.rgba, p.offset, size))
        rgba[..., 3] = np.minimum(rgba[..., 3], image[..., 3])
        depth = None
        if p.depth is not None:
            depth = np.clip(frame.to_original(place(p.depth, p.offset, size, fill=1.0)), 0.0, 1.0)
        pixels, cropped_depth, offset = crop_to_content(rgba, depth)
        if pixels.size == 0:
            continue
        layers.append(Layer(p.name, pixels, offset=offset, tag=part_tag(p.name), depth=cropped_depth,
                            depth_value=p.depth_median, provenance="decompose"))
    return Document((image.shape[1], image.shape[0]), layers, source=image.copy(), metadata=dict(metadata))


def _options_metadata(options: DecomposeOptions) -> dict:
    return {
        "tagset": options.tagset,
        "resolution": options.resolution,
        "steps": options.steps,
        "seed": options.seed,
        "depth_resolution": options.depth_resolution,
        "depth_steps": options.depth_steps,
        "lr_split": options.lr_split,
        "output_frame": options.output_frame,
        "fp32_latents": options.fp32_latents,
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
    load them on the requested device in the requested memory mode, prepared with the speed settings for that
    device (core/decompose/speed.py). Missing weights → ModelNotFound; a run that would not fit the GPU's free memory
    in the chosen mode → BadInput naming the mode that would, before anything is loaded."""
    from seethrough.core.decompose.speed import fp8_problem, resolve_speed
    from seethrough.core.pipelines.acceleration import torchao_found
    from seethrough.core.pipelines.layer_depth import LayerDepthPipeline
    from seethrough.core.pipelines.layer_diffusion import LayerDiffusionPipeline

    device, dtype = resolve_device_dtype(options)
    props = device_properties(device)
    if options.quantize in ("8bit", "4bit") and not device.startswith("cuda"):
        raise BadInput(f"8-bit/4-bit weights need a CUDA GPU (bitsandbytes); on {device} use the default precision")
    if options.quantize == "fp8":
        problem = fp8_problem(props, torchao_found())
        if problem:
            raise BadInput(problem)
    layer_kind = "layers-v3" if options.tagset == "v3" else "layers-v2"
    layer_dir = _model_folder(layer_kind, options.layer_model, options.models_dir)
    depth_dir = _model_folder("depth", options.depth_model, options.models_dir) if options.depth else None
    offload = resolve_offload(options, device, _footprint(options, layer_dir, depth_dir, dtype))
    speed = resolve_speed(options, props, offload)
    log.info("speed settings: %s", speed.describe())
    bnb = options.quantize if options.quantize in ("8bit", "4bit") else None
    layer = LayerDiffusionPipeline.load(layer_dir, dtype=dtype, quantize=bnb)
    depth = LayerDepthPipeline.load(depth_dir, dtype=dtype, quantize=bnb) if depth_dir is not None else None
    for pipeline in (layer, depth):
        if pipeline is not None:
            prepare(pipeline, device, offload, speed, options)
    return DecomposeEngine(layer, depth, offload, speed)


def prepare(pipeline, device: str, offload: str, speed: SpeedSettings, options: DecomposeOptions) -> None:  # noqa: ANN001
    """One loaded pipeline made ready to run: one attention implementation everywhere, channels-last, float8,
    placement in the memory mode, regional compilation (lazy: it compiles at the first step)."""
    from seethrough.core.pipelines.acceleration import (
        compile_regional,
        models_of,
        quantize_fp8,
        set_attention,
        use_channels_last,
    )

    set_attention(models_of(pipeline), eager=options.attention == "eager")
    if speed.channels_last and options.quantize not in ("8bit", "4bit"):  # bitsandbytes weights keep their layout
        use_channels_last(pipeline)
    _place(pipeline, device, offload)
    if options.quantize == "fp8":
        quantize_fp8(pipeline.unet)
    if speed.compile == "regional":
        compile_regional(pipeline.unet)


def device_properties(device: str):  # noqa: ANN201 - torch's _CudaDeviceProperties, or None for the CPU
    """`torch.cuda.get_device_properties` of a CUDA device, None for any other."""
    if not device.startswith("cuda"):
        return None
    import torch

    return torch.cuda.get_device_properties(torch.device(device))


def _footprint(options: DecomposeOptions, layer_dir: Path, depth_dir: Path | None, dtype: torch.dtype):
    """The models' weight sizes at the run's precision, from their headers (None if they cannot be read: the
    release's figures are used)."""
    from seethrough.core.decompose.footprint import footprint_of

    frames = max(len(p.tags) for p in layer_passes(options.tagset))
    try:
        return footprint_of(layer_dir, depth_dir, dtype.itemsize, frames)
    except (BadInput, OSError) as exc:
        log.info("model sizes unreadable (%s): using the release's", exc)
        return None


def resolve_offload(options: DecomposeOptions, device: str, footprint=None) -> str:  # noqa: ANN001
    """The memory mode to use: the user's, or for "auto" the fastest that fits the device's free memory now.
    Raises BadInput, before anything is loaded, when the estimate says the run cannot fit (with the mode, or the
    resolution, that would)."""
    from seethrough.core.decompose.memory import RELEASE_BF16, check_fits, choose_memory_mode

    footprint = footprint or RELEASE_BF16
    free = None
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
    batch = options.decoder_batch or 1
    if options.offload != "auto":
        problem = check_fits(options.offload, free, options.resolution, options.quantize, footprint, batch)
        if problem:
            raise BadInput(f"{problem} (--offload / Decompose ▸ Memory mode)")
        return options.offload
    choice = choose_memory_mode(free, options.resolution, options.quantize, footprint, batch)
    problem = check_fits(choice.offload, free, options.resolution, options.quantize, footprint, batch)
    if problem:
        raise BadInput(problem)
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
        offload_unet_groups(pipeline, device)


def offload_unet_groups(pipeline, device: str) -> None:  # noqa: ANN001 - a diffusers pipeline
    """The `group` memory mode: the UNet (most of the weights; always called through `forward`, whose hook onloads
    the layers outside its blocks) streams to `device` block by block and never goes there whole (on the small GPUs
    this mode is for, it would not fit); the other models (~2 GB in bf16) go to `device`: their decode/encode methods
    bypass `forward`, which would leave their layers behind."""
    import torch

    for name, component in pipeline.components.items():
        if isinstance(component, torch.nn.Module) and name != "unet":
            component.to(device)
    pipeline.unet.enable_group_offload(onload_device=device, offload_type="block_level", num_blocks_per_group=1)
