"""Load all components of a released (or self-trained) model folder, offline, with clear errors (the custom
UNet and transparent VAE through `core.models.loading`, which also checks weights against the architecture).

Layer model folder (`layerdifforg/seethroughv0.0.2_layerdiff3d` layout): `unet/`, `trans_vae/`, `vae/`,
`text_encoder/`, `text_encoder_2/`, `tokenizer/`, `tokenizer_2/`; the sampler is built locally
(`core.pipelines.schedulers.layer_scheduler`) unless the folder has a `scheduler/` config, which then replaces the
noise schedule (DPM++ 2M SDE with a zero final sigma is kept, as the authors force it).
Depth model folder (`24yearsold/seethroughv0.0.1_marigold`): `unet/`, `vae/`, `text_encoder/`,
`tokenizer/` and optionally `scheduler/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from seethrough.core.errors import BadInput, ModelNotFound

LAYER_SUBFOLDERS = ("unet", "trans_vae", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2")
DEPTH_SUBFOLDERS = ("unet", "vae", "text_encoder", "tokenizer")


def _require(folder: Path, subfolders: tuple[str, ...], what: str) -> None:
    if not folder.is_dir():
        raise ModelNotFound(f"{what}: no folder at {folder}")
    missing = [s for s in subfolders if not (folder / s).is_dir()]
    if missing:
        raise ModelNotFound(
            f"{what} at {folder} is incomplete: missing {', '.join(s + '/' for s in missing)} "
            f"(expected {', '.join(s + '/' for s in subfolders)})"
        )


def _load(cls: Any, folder: Path, subfolder: str, **kwargs: Any) -> Any:
    try:
        return cls.from_pretrained(folder, subfolder=subfolder, local_files_only=True, **kwargs)
    except (OSError, ValueError, RuntimeError) as exc:
        text = str(exc)
        if "safetensors" in text.lower() or "header" in text.lower() or "deserializ" in text.lower():
            raise BadInput(f"{folder / subfolder}: the weights file is damaged ({text.splitlines()[0]})") from exc
        raise ModelNotFound(f"{folder / subfolder} cannot be loaded: {text.splitlines()[0] if text else exc}") from exc


def quantization_config(mode: str | None) -> Any:
    """diffusers' BitsAndBytesConfig for "8bit"/"4bit" (NF4) UNet weights; None for full precision."""
    if mode is None:
        return None
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise BadInput(
            f"{mode} weights need bitsandbytes (CUDA only): pip install 'seethrough-studio[lowvram]'"
        ) from None
    from diffusers import BitsAndBytesConfig

    if mode == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)


def load_layer_components(
    folder: Path, dtype: torch.dtype = torch.float32, quantize: str | None = None
) -> dict[str, Any]:
    from diffusers import AutoencoderKL
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    from seethrough.core.models.loading import load_layer_unet, load_trans_vae

    folder = Path(folder)
    _require(folder, LAYER_SUBFOLDERS, "layer model")
    components = {
        "unet": load_layer_unet(folder, dtype, **_quantized(quantize)),
        "trans_vae": load_trans_vae(folder, dtype),
        "vae": _load(AutoencoderKL, folder, "vae", torch_dtype=dtype),
        "text_encoder": _load(CLIPTextModel, folder, "text_encoder", dtype=dtype),
        "text_encoder_2": _load(CLIPTextModelWithProjection, folder, "text_encoder_2", dtype=dtype),
        "tokenizer": _load(CLIPTokenizer, folder, "tokenizer"),
        "tokenizer_2": _load(CLIPTokenizer, folder, "tokenizer_2"),
    }
    if (folder / "scheduler").is_dir():
        from seethrough.core.pipelines.schedulers import layer_scheduler_from

        components["scheduler"] = layer_scheduler_from(folder / "scheduler")
    return components


def model_index_value(folder: Path, key: str) -> Any:
    """One entry of a model folder's model_index.json (None when the file or the entry is missing or unreadable)."""
    import json

    try:
        data = json.loads((Path(folder) / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def _quantized(mode: str | None) -> dict[str, Any]:
    config = quantization_config(mode)
    return {} if config is None else {"quantization_config": config}


def load_depth_components(
    folder: Path, dtype: torch.dtype = torch.float32, stage1_ok: bool = False, quantize: str | None = None
) -> dict[str, Any]:
    """`stage1_ok`: also accept a stage-1 (2-D, 8-channel) depth UNet, as training's stage 2 starts from one."""
    from diffusers import AutoencoderKL, DDIMScheduler
    from transformers import CLIPTextModel, CLIPTokenizer

    from seethrough.core.models.loading import DEPTH_IN_CHANNELS, load_depth_unet

    folder = Path(folder)
    _require(folder, DEPTH_SUBFOLDERS, "depth model")
    components = {
        "unet": load_depth_unet(folder, dtype, None if stage1_ok else DEPTH_IN_CHANNELS, **_quantized(quantize)),
        "vae": _load(AutoencoderKL, folder, "vae", torch_dtype=dtype),
        "text_encoder": _load(CLIPTextModel, folder, "text_encoder", dtype=dtype),
        "tokenizer": _load(CLIPTokenizer, folder, "tokenizer"),
    }
    if (folder / "scheduler").is_dir():
        components["scheduler"] = DDIMScheduler.from_pretrained(folder, subfolder="scheduler", local_files_only=True)
    return components
