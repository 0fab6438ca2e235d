"""Tiny configurations of the See-through model classes (same code paths, a few channels) for CPU tests."""

from __future__ import annotations

from typing import Any

import torch

POOLED, TOKENS, TIME_DIM = 48, 32, 8


def layer_unet_config(group_embedding: bool = True) -> dict[str, Any]:
    return dict(
        sample_size=16, in_channels=8, out_channels=4,
        down_block_types=["DownBlock2D", "CrossFrameAttnDownBlock"],
        mid_block_type="UNetMidBlockCrossFrameAttn",
        up_block_types=["CrossFrameAttnUpBlock", "UpBlock2D"],
        block_out_channels=[16, 32], layers_per_block=1, transformer_layers_per_block=[1, 3],
        attention_head_dim=[2, 4], cross_attention_dim=TOKENS, addition_embed_type="text_time",
        addition_time_embed_dim=TIME_DIM, projection_class_embeddings_input_dim=POOLED + 6 * TIME_DIM,
        use_linear_projection=True, norm_num_groups=8,
        group_embedding=group_embedding, group_embedding_num=[3, 2], tag_version="v3" if group_embedding else "v2",
    )


def depth_unet_config() -> dict[str, Any]:
    return dict(
        sample_size=16, in_channels=12, out_channels=4,
        down_block_types=["CrossFrameAttnDownBlock", "DownBlock2D"],
        mid_block_type="UNetMidBlockCrossFrameAttn",
        up_block_types=["UpBlock2D", "CrossFrameAttnUpBlock"],
        block_out_channels=[16, 32], layers_per_block=1, transformer_layers_per_block=1,
        attention_head_dim=[2, 4], cross_attention_dim=TOKENS, use_linear_projection=True, norm_num_groups=8,
    )


def trans_vae_config() -> dict[str, Any]:
    return dict(
        block_out_channels=[8, 8, 8, 16, 16],
        down_block_types=["DownBlock2D"] * 4 + ["AttnDownBlock2D"],
        up_block_types=["AttnUpBlock2D"] + ["UpBlock2D"] * 4,
        layers_per_block=1, norm_num_groups=4, attention_head_dim=8, encoder_channels=[8] * 8,
    )


def sdxl_vae() -> Any:
    """A tiny AutoencoderKL with the SDXL latent geometry (4 channels, 1/8 scale)."""
    from diffusers import AutoencoderKL

    torch.manual_seed(3)
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[8, 8, 8, 8],
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        layers_per_block=1, norm_num_groups=4, scaling_factor=0.13025,
    ).eval()


def layer_inputs(batch: int, frames: int, seed: int = 0) -> dict[str, Any]:
    g = torch.Generator().manual_seed(seed)
    return dict(
        sample=torch.randn(batch, frames, 8, 16, 16, generator=g),
        timestep=torch.tensor(500.0),
        encoder_hidden_states=torch.randn(frames, 7, TOKENS, generator=g),
        added_cond_kwargs={"text_embeds": torch.randn(frames, POOLED, generator=g),
                           "time_ids": torch.tensor([[128.0, 128, 0, 0, 128, 128]]).expand(frames, 6)},
    )


def randomize(model: torch.nn.Module, seed: int = 1, scale: float = 0.1) -> None:
    """Give every weight (including the zero-initialised ones) a non-trivial random value."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                continue
            p.copy_(torch.randn(p.shape, generator=g) * scale)
