"""The speed settings applied to loaded pipelines (what each trades: docs/speed.md; which are on: core/decompose/speed).

- `set_attention`: one attention implementation in every `Attention` module of every model (UNets, VAEs, the
  transparent decoder), PyTorch's scaled-dot-product attention (flash / memory-efficient kernels) or the eager
  matmul-softmax;
- `use_channels_last`: channels-last weights for the convolution-heavy models;
- `compile_regional`: `torch.compile` of the UNets' repeated transformer blocks, with Inductor's caches in the user
  data folder so a later run reuses the compiled kernels;
- `quantize_fp8`: torchao float8 weights and activations for the UNets' linear layers;
- `GraphedUNet`: the layer sampler's UNet call captured once as a CUDA graph and replayed every step.
Each falls back to the eager path, with a log line, when it cannot be used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

log = logging.getLogger(__name__)

#: Inductor's environment variable for its on-disk cache (FX graphs, Triton kernels, autotuning results)
CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"


def models_of(pipeline: Any) -> list[nn.Module]:
    """The torch modules of a diffusers pipeline (UNet, VAEs, text encoders …)."""
    return [m for m in pipeline.components.values() if isinstance(m, nn.Module)]


def set_attention(modules: Iterable[nn.Module], eager: bool = False) -> int:
    """Every diffusers `Attention` in `modules` gets SDPA (or, `eager`, the plain matmul-softmax processor); the
    number of attention modules set."""
    from diffusers.models.attention_processor import Attention, AttnProcessor, AttnProcessor2_0

    count = 0
    for module in modules:
        for sub in module.modules():
            if isinstance(sub, Attention):
                sub.set_processor(AttnProcessor() if eager else AttnProcessor2_0())
                count += 1
    return count


def use_channels_last(pipeline: Any) -> None:
    """Channels-last weights for the UNet and the decoders (their inputs follow: convolutions keep the format)."""
    for name in ("unet", "vae", "trans_vae"):
        module = getattr(pipeline, name, None)
        if isinstance(module, nn.Module):
            module.to(memory_format=torch.channels_last)


def compile_cache_dir() -> Path:
    """Where Inductor keeps compiled kernels between runs: `<user data>/torch-compile-cache` (unless the user set
    $TORCHINDUCTOR_CACHE_DIR)."""
    from seethrough.core.paths import user_data_dir

    return Path(os.environ.get(CACHE_ENV) or user_data_dir() / "torch-compile-cache")


def compile_regional(unet: Any) -> bool:
    """`torch.compile` each repeated transformer block of `unet` (regional compilation: one compiled graph per block
    shape instead of the whole UNet, so the warm-up is a fraction of a full compile). Compiles lazily, at the first
    call; False (eager kept) when this torch or model cannot."""
    if not hasattr(unet, "compile_repeated_blocks") or not getattr(unet, "_repeated_blocks", None):
        log.info("torch.compile: %s has no repeated blocks declared: eager", type(unet).__name__)
        return False
    cache = compile_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(CACHE_ENV, str(cache))
    try:
        unet.compile_repeated_blocks(dynamic=False)
    except (RuntimeError, ValueError) as exc:
        log.warning("torch.compile unavailable (%s): running eager", exc)
        return False
    return True


def fp8_linear(module: nn.Module, _name: str = "") -> bool:
    """The linear layers float8 applies to: every `nn.Linear` whose sizes the fp8 matmul accepts (multiples of 16)."""
    return isinstance(module, nn.Linear) and module.in_features % 16 == 0 and module.out_features % 16 == 0


def quantize_fp8(unet: nn.Module) -> None:
    """torchao float8 (dynamic activation scaling, per-row weights) for the UNet's linear layers."""
    from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, quantize_

    quantize_(unet, Float8DynamicActivationFloat8WeightConfig(), filter_fn=fp8_linear)


def torchao_found() -> bool:
    import importlib.util

    return importlib.util.find_spec("torchao") is not None


class GraphedUNet:
    """Calls `unet(sample, t, **fixed)` through a CUDA graph: the first call runs eagerly on a side stream (warming
    up kernels and workspaces; its result is used), the second captures the call with static input buffers, every
    later call copies its inputs into them and replays. Inputs other than `sample` and `t` must stay the same
    between calls (they are captured as they were). If capture fails, later calls run eagerly."""

    def __init__(self, unet: Callable[..., Any], fixed: dict[str, Any]) -> None:
        self.unet, self.fixed = unet, fixed
        self.calls = 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failed = False
        self._sample: torch.Tensor | None = None
        self._t: torch.Tensor | None = None
        self._out: torch.Tensor | None = None

    def _eager(self, sample: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.unet(sample, t, **self.fixed, return_dict=False)[0]

    def __call__(self, sample: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.failed or not sample.is_cuda:
            return self._eager(sample, t)
        if self.calls == 1:
            stream = torch.cuda.Stream(device=sample.device)
            stream.wait_stream(torch.cuda.current_stream(sample.device))
            with torch.cuda.stream(stream):
                out = self._eager(sample, t)
            torch.cuda.current_stream(sample.device).wait_stream(stream)
            return out
        if self.graph is None:
            try:
                self._capture(sample, t)
            except RuntimeError as exc:  # capture refused (an op that syncs, an offload hook …): stay eager
                log.warning("CUDA graph capture failed (%s): the sampler runs eagerly", str(exc).splitlines()[0])
                self.failed, self.graph = True, None
                return self._eager(sample, t)
        assert self._sample is not None and self._t is not None and self._out is not None and self.graph is not None
        self._sample.copy_(sample)
        self._t.copy_(t)
        self.graph.replay()
        return self._out.clone()

    def _capture(self, sample: torch.Tensor, t: torch.Tensor) -> None:
        self._sample, self._t = sample.clone(), torch.as_tensor(t, device=sample.device).clone()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._out = self._eager(self._sample, self._t)
        self.graph = graph

    def release(self) -> None:
        """Free the graph's memory pool and static buffers."""
        self.graph = self._sample = self._t = self._out = None
