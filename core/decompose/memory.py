"""Pick a memory mode for a decomposition from the free GPU memory: a pure function of numbers (no torch).

The estimate of a mode's peak is the weights it keeps on the GPU plus the activations of the largest stage, plus a
safety margin. Weights come from the models' own sizes (`Footprint`: read from the weight files' headers before
loading, `core/decompose/footprint.py`; `RELEASE_BF16` for the released models in bf16). Activations were measured
on an H200 with the released architectures in bf16 (bench/RESULTS.md, in GiB): peak 15.3 GiB in mode `none` at
1024² and 16.2 GiB at 1280², 9.9 GiB in mode `model` at 1024², i.e. about 2.5 GB (10^9 bytes, the unit here) per
megapixel for a 13-frame pass on top of the weights (the decoders' peak per frame is of the same size, so each extra
frame of a decoder batch adds as much).

| mode | on the GPU |
|---|---|
| none | every model of both pipelines |
| model | the largest model (the layer UNet) |
| group | the other models whole, plus the UNet's largest top-level block |
| sequential | one layer at a time |

`choose_memory_mode` returns the fastest mode whose estimate fits the free memory (modes in speed order); a run
that fits in no mode is refused before it starts, and a mode chosen by hand that does not fit is refused with the
mode that would (`check_fits`).
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1e9
#: activations per megapixel (2^20 pixels) of canvas of a 13-frame pass in bf16 (measured, see above)
ACTIVATIONS_GB_PER_MP = 2.5
FRAMES_MEASURED = 13
MARGIN_GB = 1.0
#: the memory modes from fastest to slowest (measured at 1024²: none 0.37 s/step, model 0.49; group and sequential
#: stream weights every step)
MODES_BY_SPEED = ("none", "model", "group", "sequential")
#: weight bytes relative to bf16 for the quantised modes (bitsandbytes int8 and NF4, torchao float8)
QUANTIZED_WEIGHT_SHARE = {None: 1.0, "8bit": 0.5, "4bit": 0.28, "fp8": 0.5}
#: what stays on the GPU in sequential offload: one layer's weights at a time
SEQUENTIAL_RESIDENT_GB = 0.3


@dataclass(frozen=True)
class Footprint:
    """Weight sizes in GB of a run's models at the run's precision."""

    layer_unet: float
    layer_unet_largest_block: float  # the largest top-level block (group offload streams one at a time)
    layer_other: float  # VAE, transparent decoder, text encoders
    depth_unet: float = 0.0
    depth_unet_largest_block: float = 0.0
    depth_other: float = 0.0
    frames: int = FRAMES_MEASURED  # frames of the largest pass (V3: 13; V2: 19)
    dtype_bytes: int = 2

    @property
    def total(self) -> float:
        return self.layer_unet + self.layer_other + self.depth_unet + self.depth_other


#: the released V3 layer model and depth model in bf16 (parameter counts of core/models/arch.py: UNet 4071 M, its
#: up_blocks.0 1895 M; depth UNet 1213 M, its up_blocks.1 398 M; text encoders 818 M + 340 M, VAEs 84 M each,
#: transparent decoder 105 M)
RELEASE_BF16 = Footprint(layer_unet=8.14, layer_unet_largest_block=3.79, layer_other=2.02, depth_unet=2.43,
                         depth_unet_largest_block=0.80, depth_other=0.85)


@dataclass(frozen=True)
class MemoryChoice:
    offload: str  # one of core.decompose.options.OFFLOAD_MODES except "auto"
    need_gb: float  # the estimate for that mode (margin included)
    free_gb: float | None
    reason: str


def activations_gb(resolution: int, footprint: Footprint = RELEASE_BF16, decoder_batch: int = 1) -> float:
    """The largest stage's activations: the UNet pass, or a decoder batch of frames, whichever is larger."""
    per_frame_set = ACTIVATIONS_GB_PER_MP * (resolution * resolution / 2**20) * footprint.dtype_bytes / 2
    unet = per_frame_set * footprint.frames / FRAMES_MEASURED
    return max(unet, per_frame_set * decoder_batch)


def resident_gb(offload: str, footprint: Footprint = RELEASE_BF16, quantize: str | None = None) -> float:
    """Weights on the GPU at the peak of a run in `offload` mode."""
    share = QUANTIZED_WEIGHT_SHARE[quantize]
    unet, depth_unet = footprint.layer_unet * share, footprint.depth_unet * share
    if offload == "none":
        return unet + depth_unet + footprint.layer_other + footprint.depth_other
    if offload == "model":
        return max(unet, depth_unet, footprint.layer_other, footprint.depth_other)
    if offload == "group":
        block = max(footprint.layer_unet_largest_block, footprint.depth_unet_largest_block) * share
        return footprint.layer_other + footprint.depth_other + block
    return min(SEQUENTIAL_RESIDENT_GB, footprint.total)


def need_gb(offload: str, resolution: int, quantize: str | None = None, footprint: Footprint = RELEASE_BF16,
            decoder_batch: int = 1, margin: float = MARGIN_GB) -> float:
    """Estimated peak GPU memory of a run in `offload` mode at `resolution`², margin included."""
    return resident_gb(offload, footprint, quantize) + activations_gb(resolution, footprint, decoder_batch) + margin


def choose_memory_mode(free_bytes: int | None, resolution: int, quantize: str | None = None,
                       footprint: Footprint = RELEASE_BF16, decoder_batch: int = 1) -> MemoryChoice:
    """The fastest offload mode that fits `free_bytes` of GPU memory (None: no GPU, so no offloading)."""
    if free_bytes is None:
        return MemoryChoice("none", 0.0, None, "no GPU: the model runs in main memory")
    free = free_bytes / GB
    for mode in MODES_BY_SPEED:
        need = need_gb(mode, resolution, quantize, footprint, decoder_batch)
        if free >= need:
            return MemoryChoice(mode, need, free, f"{free:.1f} GB free ≥ about {need:.1f} GB needed at "
                                                  f"{resolution}² in mode '{mode}'")
    need = need_gb("sequential", resolution, quantize, footprint, decoder_batch)
    return MemoryChoice("sequential", need, free,
                        f"{free:.1f} GB free is below about {need:.1f} GB, the least any mode needs at "
                        f"{resolution}²")


def check_fits(offload: str, free_bytes: int | None, resolution: int, quantize: str | None = None,
               footprint: Footprint = RELEASE_BF16, decoder_batch: int = 1) -> str | None:
    """None when a run in `offload` mode fits the free memory, else a one-line reason naming the mode that would fit
    (or the resolution to lower to). The test leaves out the safety margin: a run refused here would not fit even
    if the estimate were exact."""
    if free_bytes is None:
        return None
    free = free_bytes / GB
    need = need_gb(offload, resolution, quantize, footprint, decoder_batch, margin=0.0)
    if free >= need:
        return None
    head = f"at {resolution}² the memory mode '{offload}' needs about {need:.1f} GB, the GPU has {free:.1f} GB free"
    for mode in MODES_BY_SPEED[MODES_BY_SPEED.index(offload) + 1:] if offload in MODES_BY_SPEED else ():
        if free >= need_gb(mode, resolution, quantize, footprint, decoder_batch, margin=0.0):
            return f"{head}: the memory mode '{mode}' would fit"
    fitting = largest_fitting_resolution(free, quantize, footprint, decoder_batch)
    hint = f"lower the resolution to {fitting}" if fitting else "free GPU memory or use the CPU"
    return f"{head}, and no memory mode fits: {hint}"


def largest_fitting_resolution(free_gb: float, quantize: str | None = None, footprint: Footprint = RELEASE_BF16,
                               decoder_batch: int = 1) -> int | None:
    """The largest multiple of 64 at which sequential offload fits `free_gb` (None below 64²)."""
    best = None
    for resolution in range(64, 8192 + 1, 64):
        if need_gb("sequential", resolution, quantize, footprint, decoder_batch, margin=0.0) > free_gb:
            break
        best = resolution
    return best
