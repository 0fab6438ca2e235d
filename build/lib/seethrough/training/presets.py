"""Model architectures for training from scratch or for smoke runs: "released" (the full-size See-through configs)
and "tiny" (a few channels, for the CPU configs `resources/configs/*tiny*.yaml` and the tests).

A stage-1 layer or depth UNet is the same class with plain 2-D attention blocks; the 2-D → 3-D conversion loads
its weights into the cross-frame architecture (`convert_2d_to_3d`), whose extra blocks start as identity.
"""

from __future__ import annotations

import copy
from typing import Any

from seethrough.core.errors import BadInput

TEXT_WIDTH_TINY = 16

TO_2D = {
    "CrossFrameAttnDownBlock": "CrossAttnDownBlock2D",
    "UNetMidBlockCrossFrameAttn": "UNetMidBlock2DCrossAttn",
    "CrossFrameAttnUpBlock": "CrossAttnUpBlock2D",
}


def _tiny_layer_unet(tagset: str) -> dict[str, Any]:
    return {
        "sample_size": 8, "in_channels": 8, "out_channels": 4,
        "down_block_types": ["DownBlock2D", "CrossFrameAttnDownBlock"],
        "mid_block_type": "UNetMidBlockCrossFrameAttn",
        "up_block_types": ["CrossFrameAttnUpBlock", "UpBlock2D"],
        "block_out_channels": [32, 64], "layers_per_block": 1, "transformer_layers_per_block": 1,
        "attention_head_dim": [2, 4], "cross_attention_dim": 2 * TEXT_WIDTH_TINY, "norm_num_groups": 8,
        "addition_embed_type": "text_time", "addition_time_embed_dim": 8,
        "projection_class_embeddings_input_dim": TEXT_WIDTH_TINY + 6 * 8, "use_linear_projection": True,
        "group_embedding": tagset == "v3", "group_embedding_num": [13, 11], "tag_version": tagset,
    }


TINY_DEPTH_UNET: dict[str, Any] = {
    "sample_size": 8, "in_channels": 12, "out_channels": 4,
    "down_block_types": ["CrossFrameAttnDownBlock", "DownBlock2D"],
    "mid_block_type": "UNetMidBlockCrossFrameAttn",
    "up_block_types": ["UpBlock2D", "CrossFrameAttnUpBlock"],
    "block_out_channels": [32, 64], "layers_per_block": 1, "transformer_layers_per_block": 1,
    "attention_head_dim": [2, 4], "cross_attention_dim": TEXT_WIDTH_TINY, "norm_num_groups": 8,
    "use_linear_projection": True,
}

TINY_VAE: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [8, 8, 16, 16],
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
    "layers_per_block": 1, "norm_num_groups": 4, "sample_size": 64,
}

TINY_TRANS_VAE: dict[str, Any] = {
    "block_out_channels": [8, 8, 8, 8, 16, 16, 16], "norm_num_groups": 4, "attention_head_dim": 8,
    "layers_per_block": 1, "encoder_channels": [8] * 8,
}

TINY_TEXT: dict[str, Any] = {
    "hidden_size": TEXT_WIDTH_TINY, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "max_position_embeddings": 77, "projection_dim": TEXT_WIDTH_TINY,
}


def layer_unet_config(preset: str, tagset: str, stage: int) -> dict[str, Any]:
    """Config of the layer UNet for a stage (1 = 2-D, one tag at a time; 2 = cross-frame)."""
    if preset == "tiny":
        config = _tiny_layer_unet(tagset)
    elif preset == "released":
        from seethrough.core.models.arch import LAYER_UNET_V2, LAYER_UNET_V3

        config = copy.deepcopy(LAYER_UNET_V3 if tagset == "v3" else LAYER_UNET_V2)
    else:
        raise BadInput(f"unknown model preset {preset!r}: use 'tiny' or 'released'")
    return to_2d(config) if stage == 1 else config


def depth_unet_config(preset: str, stage: int) -> dict[str, Any]:
    if preset == "tiny":
        config = copy.deepcopy(TINY_DEPTH_UNET)
    elif preset == "released":
        from seethrough.core.models.arch import DEPTH_UNET

        config = copy.deepcopy(DEPTH_UNET)
    else:
        raise BadInput(f"unknown model preset {preset!r}: use 'tiny' or 'released'")
    if stage == 1:
        config = to_2d(config)
        config["in_channels"] = 8  # Marigold: [image latent, noisy depth]; stage 2 prepends the full image
    return config


def to_2d(config: dict[str, Any]) -> dict[str, Any]:
    """The stage-1 (2-D) form of a cross-frame config: plain attention blocks, no group embeddings."""
    out = copy.deepcopy(config)
    out["down_block_types"] = [TO_2D.get(b, b) for b in out["down_block_types"]]
    out["up_block_types"] = [TO_2D.get(b, b) for b in out["up_block_types"]]
    out["mid_block_type"] = TO_2D.get(out["mid_block_type"], out["mid_block_type"])
    out["group_embedding"] = False
    return out


def is_2d(config: Any) -> bool:
    blocks = [*config["down_block_types"], *config["up_block_types"], config.get("mid_block_type") or ""]
    return not any(b in TO_2D for b in blocks)


def to_3d(config_2d: dict[str, Any], tagset: str | None = None) -> dict[str, Any]:
    """The cross-frame form of a stage-1 config (inverse of `to_2d`), with group embeddings for V3."""
    back = {v: k for k, v in TO_2D.items()}
    out = {k: v for k, v in copy.deepcopy(config_2d).items() if not k.startswith("_")}
    out["down_block_types"] = [back.get(b, b) for b in out["down_block_types"]]
    out["up_block_types"] = [back.get(b, b) for b in out["up_block_types"]]
    out["mid_block_type"] = back.get(out["mid_block_type"], out["mid_block_type"])
    if tagset is not None:
        out["group_embedding"] = tagset == "v3"
        out["group_embedding_num"] = [13, 11]
        out["tag_version"] = tagset
    return out


def convert_2d_to_3d(unet_2d: Any, config_3d: dict[str, Any], prepend_channels: int = 0) -> Any:
    """A cross-frame UNet initialised from a stage-1 UNet: shared weights copied, cross-frame blocks and group
    embeddings zero-initialised at their output (so the 3-D model reproduces the 2-D one exactly), and
    `prepend_channels` zero input channels put in front of `conv_in` (the depth model's full-image latent)."""
    import torch

    from seethrough.core.models.layer_unet import UNetFrameConditionModel

    unet = UNetFrameConditionModel(**config_3d)
    state = dict(unet_2d.state_dict())
    if prepend_channels:
        weight = state["conv_in.weight"]
        pad = torch.zeros(weight.shape[0], prepend_channels, *weight.shape[2:], dtype=weight.dtype)
        state["conv_in.weight"] = torch.cat([pad, weight], dim=1)
    missing, unexpected = unet.load_state_dict(state, strict=False)
    foreign = [k for k in missing if "temporal_transformer_blocks" not in k and "group_embeds" not in k]
    if foreign or unexpected:
        raise BadInput(
            "the stage-1 model does not match the stage-2 architecture "
            f"(missing {foreign[:3]}, unexpected {list(unexpected)[:3]})"
        )
    unet.init_weights()
    return unet
