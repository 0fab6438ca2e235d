"""Tiny versions of the released model folders, built from the production classes with random weights and saved
with `save_pretrained` in the released layout, so tests load them through the production loader.

Sizes: text encoders of width 16 (two of them → 32-d tokens), a 2-level layer UNet of width 32/64, a VAE with the
real ×8 downsampling (4 levels of 8–16 channels), a 7-level transparent decoder of width 8–16.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from core.models.layer_unet import UNetFrameConditionModel
from core.models.transparent_vae import TransparentVAE
from tests.support.tiny_clip import write_tiny_clip_tokenizer

TEXT_WIDTH = 16


def _text_config(vocab_size: int) -> CLIPTextConfig:
    return CLIPTextConfig(
        vocab_size=vocab_size, hidden_size=TEXT_WIDTH, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, max_position_embeddings=77, projection_dim=TEXT_WIDTH,
        bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )


def tiny_vae() -> AutoencoderKL:
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8, 16, 16),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1, norm_num_groups=4, sample_size=64,
    )


def tiny_layer_unet(tagset: str) -> UNetFrameConditionModel:
    v3 = tagset == "v3"
    return UNetFrameConditionModel(
        sample_size=8, in_channels=8, out_channels=4,
        down_block_types=("DownBlock2D", "CrossFrameAttnDownBlock"),
        mid_block_type="UNetMidBlockCrossFrameAttn",
        up_block_types=("CrossFrameAttnUpBlock", "UpBlock2D"),
        block_out_channels=(32, 64), layers_per_block=1, transformer_layers_per_block=1,
        attention_head_dim=(2, 4), cross_attention_dim=2 * TEXT_WIDTH, norm_num_groups=8,
        addition_embed_type="text_time", addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=TEXT_WIDTH + 6 * 8, use_linear_projection=True,
        group_embedding=v3, group_embedding_num=(13, 11), tag_version=tagset,
    )


def tiny_depth_unet() -> UNetFrameConditionModel:
    return UNetFrameConditionModel(
        sample_size=8, in_channels=12, out_channels=4,
        down_block_types=("CrossFrameAttnDownBlock", "DownBlock2D"),
        mid_block_type="UNetMidBlockCrossFrameAttn",
        up_block_types=("UpBlock2D", "CrossFrameAttnUpBlock"),
        block_out_channels=(32, 64), layers_per_block=1, transformer_layers_per_block=1,
        attention_head_dim=(2, 4), cross_attention_dim=TEXT_WIDTH, norm_num_groups=8, use_linear_projection=True,
    )


def tiny_trans_vae() -> TransparentVAE:
    return TransparentVAE(block_out_channels=(8, 8, 8, 8, 16, 16, 16), norm_num_groups=4, attention_head_dim=8,
                          layers_per_block=1, encoder_channels=(8, 8, 8, 8, 8, 8, 8, 8))


def build_layer_model(folder: Path, tagset: str = "v3", seed: int = 0) -> Path:
    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    tok = write_tiny_clip_tokenizer(folder / "tokenizer")
    write_tiny_clip_tokenizer(folder / "tokenizer_2")
    CLIPTextModel(_text_config(len(tok))).save_pretrained(folder / "text_encoder")
    CLIPTextModelWithProjection(_text_config(len(tok))).save_pretrained(folder / "text_encoder_2")
    tiny_vae().save_pretrained(folder / "vae")
    tiny_layer_unet(tagset).save_pretrained(folder / "unet")
    tiny_trans_vae().save_pretrained(folder / "trans_vae")
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LayerDiffusionPipeline"}), encoding="utf-8")
    return folder


def build_depth_model(folder: Path, seed: int = 1) -> Path:
    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    tok = write_tiny_clip_tokenizer(folder / "tokenizer")
    CLIPTextModel(_text_config(len(tok))).save_pretrained(folder / "text_encoder")
    tiny_vae().save_pretrained(folder / "vae")
    tiny_depth_unet().save_pretrained(folder / "unet")
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LayerDepthPipeline"}), encoding="utf-8")
    return folder
