"""The recipe for the tiny random-weight release that the parity goldens (tests/data/parity/) were made with.

Everything is rebuilt from fixed seeds, so the weights are the same on every run (same torch version, CPU): a tiny
V3 and a tiny V2 layer model and a tiny depth model, in the released folder layout, loadable by the project *and*
by the authors' code. The transparent decoder is full size because the authors' `TransparentVAE` takes no config
(it is the same module in both folders, linked). The test images are drawn here too.

Used by tests/pipelines/test_parity_goldens.py; the harness that runs the authors' code on the same folders to make
the goldens is described in docs/parity.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import AutoencoderKL
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from seethrough.core.models.layer_unet import UNetFrameConditionModel
from seethrough.core.models.transparent_vae import TransparentVAE
from seethrough.core.pipelines.schedulers import depth_scheduler
from seethrough.core.taxonomy import taxonomy
from seethrough.training.tiny_tokenizer import write_tiny_clip_tokenizer
from tests.support.release_index import LAYER_INDEX, depth_index, write_index

#: pooled / token embedding widths the authors' GroupEmbedding hard-codes, and a tiny time-embedding width
POOLED, TOKENS, TIME_DIM = 1280, 2048, 8
#: depth steps written into the depth folder's model_index.json (`default_denoising_steps`)
DEPTH_DEFAULT_STEPS = 3


def tiny_layer_config(v3: bool) -> dict:
    return dict(
        sample_size=16, in_channels=8, out_channels=4,
        down_block_types=["DownBlock2D", "CrossFrameAttnDownBlock", "CrossFrameAttnDownBlock"],
        mid_block_type="UNetMidBlockCrossFrameAttn",
        up_block_types=["CrossFrameAttnUpBlock", "CrossFrameAttnUpBlock", "UpBlock2D"],
        block_out_channels=[32, 64, 64], layers_per_block=2, transformer_layers_per_block=[1, 2, 4],
        attention_head_dim=[2, 4, 4], cross_attention_dim=TOKENS, addition_embed_type="text_time",
        addition_time_embed_dim=TIME_DIM, projection_class_embeddings_input_dim=POOLED + 6 * TIME_DIM,
        use_linear_projection=True, norm_num_groups=8, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0,
        upcast_attention=None, group_embedding=v3, group_embedding_num=[13, 11], tag_version="v3" if v3 else "v2",
    )


def tiny_depth_config() -> dict:
    return dict(
        sample_size=16, in_channels=12, out_channels=4,
        down_block_types=["CrossFrameAttnDownBlock"] * 3 + ["DownBlock2D"],
        mid_block_type="UNetMidBlockCrossFrameAttn",
        up_block_types=["UpBlock2D"] + ["CrossFrameAttnUpBlock"] * 3,
        block_out_channels=[32, 32, 64, 64], layers_per_block=2, transformer_layers_per_block=1,
        attention_head_dim=[2, 2, 4, 4], cross_attention_dim=64, addition_embed_type=None,
        use_linear_projection=True, upcast_attention=False, norm_num_groups=8, norm_eps=1e-5,
    )


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Every parameter drawn from a seeded generator (the zero-initialised cross-frame and group-embedding layers
    too, so every path matters), scaled to keep activations tame."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                scale = 0.5 / max(1.0, p[0].numel() ** 0.5) if p.ndim > 1 else 0.05
                p.copy_(torch.randn(p.shape, generator=g) * scale)


def _text_config(vocab: int, width: int, proj: int | None = None) -> CLIPTextConfig:
    return CLIPTextConfig(vocab_size=vocab, hidden_size=width, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, max_position_embeddings=77, projection_dim=proj or width,
                          bos_token_id=0, eos_token_id=1, pad_token_id=1)


def _tiny_vae(scaling: float) -> AutoencoderKL:
    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[8, 8, 16, 16],
                         down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
                         layers_per_block=1, norm_num_groups=4, sample_size=128, scaling_factor=scaling)


def tiny_release_trans_vae() -> TransparentVAE:
    """The full-size transparent decoder with seeded weights, its alpha kept away from the clip limits."""
    torch.manual_seed(1)
    tv = TransparentVAE()
    with torch.no_grad():
        tv.decoder.model.conv_out.weight.mul_(0.3)
        tv.decoder.model.conv_out.bias.copy_(torch.tensor([0.45, 0.5, 0.5, 0.5]))
    return tv




def layer_components(
    folder: Path, v3: bool, trans_vae: TransparentVAE | None = None, with_trans_vae: bool = True
) -> dict:
    """The tiny layer model's components in memory (tokenizers written to `folder`, which they need); `trans_vae`
    shares an already built transparent decoder (it has its own seed, so sharing does not change any weight)."""
    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    tok = write_tiny_clip_tokenizer(folder / "tokenizer")
    tok2 = write_tiny_clip_tokenizer(folder / "tokenizer_2")
    parts = {
        "tokenizer": tok,
        "tokenizer_2": tok2,
        "text_encoder": CLIPTextModel(_text_config(len(tok), 768)),
        "text_encoder_2": CLIPTextModelWithProjection(_text_config(len(tok), 1280, 1280)),
        "vae": _tiny_vae(0.13025),
        "unet": UNetFrameConditionModel(**tiny_layer_config(v3)),
    }
    randomize(parts["unet"], 21 if v3 else 23)
    # explicit draws, so the weights do not depend on the library's default initialisers
    randomize(parts["text_encoder"], 31)
    randomize(parts["text_encoder_2"], 32)
    if with_trans_vae:
        parts["trans_vae"] = trans_vae if trans_vae is not None else tiny_release_trans_vae()
    return parts


def layer_folder(folder: Path, v3: bool, trans_vae: Path | None = None) -> Path:
    """A tiny layer model on disk; `trans_vae` links an already written transparent decoder."""
    parts = layer_components(folder, v3, with_trans_vae=trans_vae is None)
    for name in ("text_encoder", "text_encoder_2", "vae", "unet"):
        parts[name].save_pretrained(folder / name)
    if trans_vae is None:
        parts["trans_vae"].save_pretrained(folder / "trans_vae")
    else:
        os.symlink(trans_vae.resolve(), folder / "trans_vae", target_is_directory=True)
    write_index(folder, LAYER_INDEX)
    return folder


def depth_folder(folder: Path) -> Path:
    torch.manual_seed(2)
    folder.mkdir(parents=True, exist_ok=True)
    tok = write_tiny_clip_tokenizer(folder / "tokenizer")
    text_encoder = CLIPTextModel(_text_config(len(tok), 64))
    randomize(text_encoder, 33)
    text_encoder.save_pretrained(folder / "text_encoder")
    _tiny_vae(0.18215).save_pretrained(folder / "vae")
    unet = UNetFrameConditionModel(**tiny_depth_config())
    randomize(unet, 22)
    unet.save_pretrained(folder / "unet")
    depth_scheduler().save_pretrained(folder / "scheduler")
    write_index(folder, depth_index(DEPTH_DEFAULT_STEPS))
    return folder


def build_release(root: Path) -> Path:
    """root/layer (V3), root/layer-v2, root/depth."""
    v3 = layer_folder(root / "layer", v3=True)
    layer_folder(root / "layer-v2", v3=False, trans_vae=v3 / "trans_vae")
    depth_folder(root / "depth")
    return root


def character(h: int, w: int, soft: bool, seed: int) -> np.ndarray:
    """A narrow 'character' (a head disc over a body ellipse) on transparent ground, with colourful RGB everywhere,
    including under alpha 0 (the authors feed hidden colours as they are)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([(xx / w * 255), (yy / h * 255), ((xx + yy) % 37 / 37 * 255)], -1)
    rgb += rng.normal(0, 12, rgb.shape)
    cx = w * 0.5
    head = 1.0 - np.sqrt(((xx - cx) / (0.12 * w)) ** 2 + ((yy - 0.25 * h) / (0.12 * h)) ** 2)
    body = 1.0 - np.sqrt(((xx - cx) / (0.16 * w)) ** 2 + ((yy - 0.65 * h) / (0.3 * h)) ** 2)
    field = np.maximum(head, body)
    alpha = np.clip(field * (6.0 if soft else 1e6), 0, 1) * 255
    rgba = np.concatenate([np.clip(rgb, 0, 255), alpha[..., None]], -1)
    return np.round(rgba).astype(np.uint8)


def _disc(shape: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    return np.clip((r - np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)) * 40.0, 0, 255).astype(np.uint8)


def designed_layers(size: int, v3: bool, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A canvas and full-canvas layers drawn by hand, for the depth and post-processing stages alone.

    V3: `back hair` lies entirely under `front hair` (a fully hidden sub-layer), `eyewhite` is partly under
    `irides`, `handwear` and `ears` have two blobs each (left/right split) plus a speck (dropped by the split),
    `objects` lies only in the bottom/right strip (dropped). V2: `eyes` has four blobs (eyes and brows split)."""
    rng = np.random.default_rng(seed)
    s = float(size)

    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size

    def layer(alpha: np.ndarray) -> np.ndarray:
        """Smooth colours of a random hue gradient (small goldens), the given alpha."""
        a, b, c = rng.uniform(0, 255, 3)
        rgb = np.stack([a + 60 * xx, b + 60 * yy, c - 60 * xx * yy], axis=-1) % 256
        return np.concatenate([rgb.astype(np.uint8), alpha[..., None]], axis=-1)

    def discs(*spec: tuple[float, float, float]) -> np.ndarray:
        out = np.zeros((size, size), np.uint8)
        for cx, cy, r in spec:
            out = np.maximum(out, _disc((size, size), cx * s, cy * s, r * s))
        return out

    canvas = layer(discs((0.5, 0.3, 0.22), (0.5, 0.65, 0.3)))
    layers = {
        "face": layer(discs((0.5, 0.3, 0.16))),
        "neck": layer(discs((0.5, 0.47, 0.06))),
        "topwear": layer(discs((0.5, 0.65, 0.22))),
        "handwear": layer(discs((0.22, 0.7, 0.07), (0.78, 0.7, 0.08), (0.5, 0.86, 0.015))),
        "objects": layer(discs((0.96, 0.96, 0.03))),
        "nose": layer(discs((0.5, 0.33, 0.03))),
        "mouth": layer(discs((0.5, 0.4, 0.04))),
    }
    if v3:
        layers.update({
            "front hair": layer(discs((0.5, 0.2, 0.2))),
            "back hair": layer(discs((0.5, 0.2, 0.12))),
            "ears": layer(discs((0.33, 0.3, 0.04), (0.67, 0.3, 0.045))),
            "eyewhite": layer(discs((0.42, 0.28, 0.04), (0.58, 0.28, 0.04))),
            "irides": layer(discs((0.42, 0.28, 0.025), (0.58, 0.28, 0.025))),
            "eyebrow": layer(discs((0.42, 0.2, 0.02), (0.58, 0.2, 0.02))),
        })
    else:
        layers.update({
            "hair": layer(discs((0.5, 0.2, 0.2))),
            "eyes": layer(discs((0.42, 0.28, 0.035), (0.58, 0.28, 0.04), (0.42, 0.2, 0.02), (0.58, 0.21, 0.018))),
        })
    # every frame a layer pass produces exists, empty or not (the authors read one file per tag)
    tx = taxonomy()
    tags = [*tx.v3_groups["body"], *tx.v3_groups["head"]] if v3 else list(tx.v2)
    return canvas, {tag: layers.get(tag, np.zeros((size, size, 4), np.uint8)) for tag in tags}


@dataclass(frozen=True)
class Case:
    """One golden: `e2e` runs the whole pipeline on `image`; `designed` runs depth and post-processing alone on
    `designed_layers`. Sizes: the layer canvas `resolution`, the depth model's `depth_resolution`."""

    name: str
    kind: str
    v3: bool
    lr_split: bool
    image: tuple[int, int, bool, int] = (128, 128, False, 5)  # (height, width, soft alpha, seed)
    resolution: int = 128
    depth_resolution: int = 64
    steps: int = 8
    seed: int = 42

    @property
    def layer_folder(self) -> str:
        return "layer" if self.v3 else "layer-v2"

    def input_image(self) -> np.ndarray:
        h, w, soft, seed = self.image
        return character(h, w, soft, seed)

    def designed(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return designed_layers(self.resolution, self.v3, self.image[3])


CASES = (
    Case("v3_square_binary", "e2e", v3=True, lr_split=False, image=(128, 128, False, 5)),
    Case("v3_portrait_soft_lr", "e2e", v3=True, lr_split=True, image=(150, 102, True, 6), resolution=64),
    Case("v2_square_soft", "e2e", v3=False, lr_split=False, image=(48, 48, True, 7), resolution=64),
    Case("v3_designed_hidden_lr", "designed", v3=True, lr_split=True, image=(0, 0, False, 8)),
    Case("v2_designed_eyes", "designed", v3=False, lr_split=False, image=(0, 0, False, 9)),
)
