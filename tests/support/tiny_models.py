"""Tiny versions of the released model folders, built from the production classes with random weights and saved
with `save_pretrained` in the released layout, so tests load them through the production loader.

The architectures are the "tiny" presets of `training.presets` (text encoders of width 16, a 2-level UNet of
width 32/64, a VAE with the real ×8 downsampling, a 7-level transparent decoder of width 8–16).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from seethrough.core.models.layer_unet import UNetFrameConditionModel
from seethrough.core.models.transparent_vae import TransparentVAE
from seethrough.training import presets
from tests.support.tiny_clip import write_tiny_clip_tokenizer


def _text_config(vocab_size: int) -> CLIPTextConfig:
    return CLIPTextConfig(vocab_size=vocab_size, bos_token_id=0, eos_token_id=1, pad_token_id=1, **presets.TINY_TEXT)


def tiny_vae() -> AutoencoderKL:
    return AutoencoderKL(**presets.TINY_VAE)


def tiny_layer_unet(tagset: str) -> UNetFrameConditionModel:
    return UNetFrameConditionModel(**presets.layer_unet_config("tiny", tagset, stage=2))


def tiny_depth_unet() -> UNetFrameConditionModel:
    return UNetFrameConditionModel(**presets.TINY_DEPTH_UNET)


def tiny_trans_vae() -> TransparentVAE:
    return TransparentVAE(**presets.TINY_TRANS_VAE)


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
