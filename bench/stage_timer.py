"""Stage timing shared by the GPU benchmarks of our pipeline and the authors': CUDA-synchronised wall time of
whole calls (a layer pass, a depth run) and of modules (the VAE decoder, the transparent decoder), and the synthetic
character both sides decompose."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

#: V3 layer UNet cost per frame per step in TFLOP, counted on the released architecture (issue 4); scales with pixels
TFLOP_PER_FRAME_STEP_1024 = 10.5
#: frames of the two V3 passes (body, head)
V3_FRAMES = 13 + 11


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


class StageTimer:
    """Accumulates synchronised seconds per stage name."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    def module(self, module: Any, name: str) -> None:
        """Time every forward of a torch module under `name`."""
        def pre(m: Any, _args: Any) -> None:
            sync()
            m._stage_t0 = time.perf_counter()

        def post(m: Any, _args: Any, _out: Any) -> None:
            sync()
            self.totals[name] += time.perf_counter() - m._stage_t0

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)

    def wrap(self, fn: Callable[..., Any], name: Callable[..., str] | str) -> Callable[..., Any]:
        """`fn` timed under `name` (or `name(*args, **kwargs)`, to tell the passes apart)."""
        def timed(*args: Any, **kwargs: Any) -> Any:
            sync()
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                sync()
                self.totals[name(*args, **kwargs) if callable(name) else name] += time.perf_counter() - t0

        return timed

    def report(self, total: float, size: int, steps: int) -> dict[str, Any]:
        """Seconds per stage, the layer UNet's sampling time (passes less their decoding) and its TFLOP/s."""
        stages = {k: round(v, 3) for k, v in self.totals.items()}
        passes = sum(v for k, v in self.totals.items() if k.endswith("pass"))
        decoding = self.totals.get("VAE decode", 0.0) + self.totals.get("transparent decoder", 0.0)
        sampling = max(passes - decoding, 1e-9)
        flops = TFLOP_PER_FRAME_STEP_1024 * (size / 1024) ** 2 * V3_FRAMES * steps
        return {"total_s": round(total, 3), "stages": stages, "sampling_s": round(sampling, 3),
                "s_per_step": round(sampling / (2 * steps), 4), "unet_tflops": round(flops / sampling, 1)}


def character(size: int) -> np.ndarray:
    """The input both sides decompose: grey RGB, an opaque rectangle in the middle, transparent around."""
    image = np.zeros((size, size, 4), np.uint8)
    image[..., :3] = 128
    image[size // 8: -size // 8, size // 4: -size // 4, 3] = 255
    return image


def peak_gb() -> float | None:
    """Peak GPU memory allocated since the last reset, in GiB (None without a GPU)."""
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None


def gib(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} GiB"


def reset_peak() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
