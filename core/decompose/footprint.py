"""The weight sizes of model folders, read from their safetensors headers (no weights loaded, no torch), for the
memory estimate of a run before it starts (`core/decompose/memory.py`)."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from seethrough.core.decompose.memory import Footprint
from seethrough.core.models.catalog import read_safetensors_header

GB = 1e9
LAYER_OTHER = ("vae", "trans_vae", "text_encoder", "text_encoder_2")
DEPTH_OTHER = ("vae", "text_encoder")
#: the top-level UNet containers whose children group offload moves one at a time
BLOCK_LISTS = ("down_blocks", "up_blocks")


def parameter_counts(folder: Path) -> dict[str, int]:
    """Parameter count per top-level module of the model whose weights are in `folder` (*.safetensors)."""
    counts: dict[str, int] = defaultdict(int)
    for file in sorted(folder.glob("*.safetensors")):
        for name, entry in read_safetensors_header(file).items():
            if name == "__metadata__" or not isinstance(entry, dict):
                continue
            parts = name.split(".")
            key = ".".join(parts[:2]) if parts[0] in BLOCK_LISTS and len(parts) > 1 else parts[0]
            counts[key] += math.prod(int(n) for n in entry.get("shape", ()))
    return dict(counts)


def _unet(folder: Path, dtype_bytes: int) -> tuple[float, float]:
    counts = parameter_counts(folder / "unet")
    blocks = [n for key, n in counts.items() if key.split(".")[0] in BLOCK_LISTS or key == "mid_block"]
    return sum(counts.values()) * dtype_bytes / GB, max(blocks, default=0) * dtype_bytes / GB


def _others(folder: Path, names: tuple[str, ...], dtype_bytes: int) -> float:
    return sum(sum(parameter_counts(folder / n).values()) for n in names if (folder / n).is_dir()) * dtype_bytes / GB


def footprint_of(layer_dir: Path, depth_dir: Path | None, dtype_bytes: int, frames: int) -> Footprint:
    """The weights of a layer model folder (and a depth model folder) at `dtype_bytes` per parameter."""
    unet, block = _unet(layer_dir, dtype_bytes)
    depth_unet = depth_block = depth_other = 0.0
    if depth_dir is not None:
        depth_unet, depth_block = _unet(depth_dir, dtype_bytes)
        depth_other = _others(depth_dir, DEPTH_OTHER, dtype_bytes)
    return Footprint(layer_unet=unet, layer_unet_largest_block=block,
                     layer_other=_others(layer_dir, LAYER_OTHER, dtype_bytes), depth_unet=depth_unet,
                     depth_unet_largest_block=depth_block, depth_other=depth_other, frames=frames,
                     dtype_bytes=dtype_bytes)
