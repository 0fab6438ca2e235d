"""Pick a memory mode for a decomposition from the free GPU memory: a pure function of numbers (no torch).

The estimate is a weights + activations model fitted to the published figures (docs/models.md, "Memory"):
the bf16 layer UNet holds about 8 GB of weights (4,071 M parameters × 2 bytes); at 1280² a full-GPU run peaks at
about 13.7 GB reserved and at 2048² at about 22.6 GB, which gives about 5.7 GB of activations at 1280², growing
with the pixel count. Group offload keeps only one block of weights on the GPU (about 7.3 GB reserved at 1280²).
The auto mode picks the fastest mode whose estimate, plus a safety margin, fits in the free memory; anything
smaller gets sequential offload, the slowest and leanest. The user can always override it.
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1e9
WEIGHTS_GB = 8.0  # bf16 layer UNet (text encoders and VAEs are smaller and do not run at the same time)
ACTIVATIONS_GB_AT_1280 = 5.7
GROUP_RESIDENT_GB = 1.6  # one offloaded block group plus the VAE decode
MARGIN_GB = 1.0
#: weight bytes relative to bf16 for the quantised modes (bitsandbytes int8 and NF4)
QUANTIZED_WEIGHT_SHARE = {None: 1.0, "8bit": 0.5, "4bit": 0.28}


@dataclass(frozen=True)
class MemoryChoice:
    offload: str  # one of core.decompose.options.OFFLOAD_MODES except "auto"
    need_gb: float  # the estimate for that mode (margin included)
    free_gb: float | None
    reason: str


def activations_gb(resolution: int) -> float:
    return ACTIVATIONS_GB_AT_1280 * (resolution / 1280) ** 2


def need_gb(offload: str, resolution: int, quantize: str | None = None) -> float:
    """Estimated peak GPU memory of a run in `offload` mode at `resolution`², margin included."""
    weights = WEIGHTS_GB * QUANTIZED_WEIGHT_SHARE[quantize]
    resident = {"none": weights, "model": weights, "group": min(weights, GROUP_RESIDENT_GB), "sequential": 0.0}
    return resident[offload] + activations_gb(resolution) + MARGIN_GB


def choose_memory_mode(free_bytes: int | None, resolution: int, quantize: str | None = None) -> MemoryChoice:
    """The fastest offload mode that fits `free_bytes` of GPU memory (None: no GPU, so no offloading)."""
    if free_bytes is None:
        return MemoryChoice("none", 0.0, None, "no GPU: the model runs in main memory")
    free = free_bytes / GB
    for mode in ("none", "group"):
        need = need_gb(mode, resolution, quantize)
        if free >= need:
            return MemoryChoice(mode, need, free, f"{free:.1f} GB free ≥ about {need:.1f} GB needed at "
                                                  f"{resolution}² in mode '{mode}'")
    need = need_gb("sequential", resolution, quantize)
    hint = "" if free >= need else " (may still run out of memory: lower the resolution)"
    return MemoryChoice("sequential", need, free,
                        f"{free:.1f} GB free is below about {need_gb('group', resolution, quantize):.1f} GB for "
                        f"group offload at {resolution}²: sequential offload{hint}")
