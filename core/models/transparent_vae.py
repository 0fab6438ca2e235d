"""The transparent VAE of See-through (LayerDiffuse lineage): alpha from an SDXL latent and its RGB decoding.

`TransparentVAE` = `decoder` (`TransparentVAEDecoder`, whose `.model` is a UNet over the decoded RGB at full
resolution with the latent injected at 1/8 scale, predicting `[alpha, R, G, B]`) + `encoder`
(`TransparentVAEEncoder`, a small conv stack kept for key compatibility; inference never uses its offset).
Module names follow the authors' so `trans_vae/diffusion_pytorch_model.safetensors` loads unchanged; the widths
are config arguments (defaults = released) so tests can build a tiny one.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.unets.unet_2d_blocks import UNetMidBlock2D, get_down_block, get_up_block
from diffusers.utils.accelerate_utils import apply_forward_hook
from torch import nn

DEFAULT_DOWN = ("DownBlock2D",) * 4 + ("AttnDownBlock2D",) * 3
DEFAULT_UP = ("AttnUpBlock2D",) * 3 + ("UpBlock2D",) * 4
DEFAULT_CHANNELS = (32, 32, 64, 128, 256, 512, 512)
DEFAULT_ENCODER_CHANNELS = (32, 32, 64, 64, 128, 128, 256, 256)
#: index of the down block before which the (1/8-scale) latent features are added
LATENT_INJECT_BLOCK = 3


class UNet1024(nn.Module):
    """Pixel-space UNet: `forward(pixel (N, in, H, W), latent (N, 4, H/8, W/8)) -> (N, out, H, W)`.

    The latent goes through a 1×1 conv to the width of block `LATENT_INJECT_BLOCK`'s input and is added there
    (after three downsamplings, i.e. at the latent's own resolution). No time embedding.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 4,
                 down_block_types: tuple[str, ...] = DEFAULT_DOWN, up_block_types: tuple[str, ...] = DEFAULT_UP,
                 block_out_channels: tuple[int, ...] = DEFAULT_CHANNELS, layers_per_block: int = 2,
                 attention_head_dim: int = 8, norm_num_groups: int = 4, norm_eps: float = 1e-5,
                 latent_channels: int = 4) -> None:
        super().__init__()
        if len(block_out_channels) <= LATENT_INJECT_BLOCK:
            raise ValueError(f"UNet1024 needs more than {LATENT_INJECT_BLOCK} blocks (the latent joins at 1/8)")
        self.conv_in = nn.Conv2d(in_channels, block_out_channels[0], kernel_size=3, padding=1)
        self.latent_conv_in = nn.Conv2d(latent_channels, block_out_channels[LATENT_INJECT_BLOCK - 1], kernel_size=1)
        common: dict[str, Any] = dict(temb_channels=None, resnet_eps=norm_eps, resnet_act_fn="silu",
                                      resnet_groups=norm_num_groups, attention_head_dim=attention_head_dim,
                                      resnet_time_scale_shift="default", dropout=0.0)
        self.down_blocks = nn.ModuleList()
        out_ch = block_out_channels[0]
        for i, block_type in enumerate(down_block_types):
            in_ch, out_ch = out_ch, block_out_channels[i]
            self.down_blocks.append(get_down_block(
                block_type, num_layers=layers_per_block, in_channels=in_ch, out_channels=out_ch,
                add_downsample=i < len(block_out_channels) - 1, downsample_padding=1, downsample_type="conv",
                **common,
            ))
        self.mid_block = UNetMidBlock2D(
            in_channels=block_out_channels[-1], temb_channels=None, dropout=0.0, resnet_eps=norm_eps,
            resnet_act_fn="silu", output_scale_factor=1, resnet_time_scale_shift="default",
            attention_head_dim=attention_head_dim, resnet_groups=norm_num_groups, attn_groups=None,
            add_attention=True,
        )
        rev = list(reversed(block_out_channels))
        self.up_blocks = nn.ModuleList()
        out_ch = rev[0]
        for i, block_type in enumerate(up_block_types):
            prev_ch, out_ch = out_ch, rev[i]
            in_ch = rev[min(i + 1, len(block_out_channels) - 1)]
            self.up_blocks.append(get_up_block(
                block_type, num_layers=layers_per_block + 1, in_channels=in_ch, out_channels=out_ch,
                prev_output_channel=prev_ch, add_upsample=i < len(block_out_channels) - 1, upsample_type="conv",
                **common,
            ))
        self.conv_norm_out = nn.GroupNorm(num_channels=block_out_channels[0], num_groups=norm_num_groups,
                                          eps=norm_eps)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(block_out_channels[0], out_channels, kernel_size=3, padding=1)

    def forward(self, pixel: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        latent_features = self.latent_conv_in(latent)
        sample = self.conv_in(pixel)
        skips: tuple[torch.Tensor, ...] = (sample,)
        for i, block in enumerate(self.down_blocks):
            if i == LATENT_INJECT_BLOCK:
                sample = sample + latent_features
            sample, res = block(hidden_states=sample, temb=None)
            skips += res
        sample = self.mid_block(sample, None)
        for block in self.up_blocks:
            n = len(list(block.get_submodule("resnets").children()))
            sample, skips = block(sample, skips[-n:], None), skips[:-n]
        return self.conv_out(self.conv_act(self.conv_norm_out(sample)))


class TransparentVAEDecoder(nn.Module):
    """Holds `.model` (UNet1024 over `[decoded RGB]` + latent → `[alpha, R, G, B]`)."""

    def __init__(self, **unet_kwargs: Any) -> None:
        super().__init__()
        self.model = UNet1024(**unet_kwargs)

    def forward(self, pixel: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        """`pixel` in [0, 1] `(N, 3, H, W)`, unscaled latent `(N, 4, H/8, W/8)` → `(N, 4, H, W)` in [0, 1]."""
        return self.model(pixel, latent).clamp(0, 1)


class LatentTransparencyOffsetEncoder(nn.Module):
    """9 3×3 convolutions with SiLU between (`blocks.{0,2,…,16}`); the 3rd, 5th and 7th have stride 2."""

    def __init__(self, channels: tuple[int, ...] = DEFAULT_ENCODER_CHANNELS, in_channels: int = 4,
                 out_channels: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        widths = (in_channels, *channels)
        for i in range(len(channels)):
            stride = 2 if i in (2, 4, 6) else 1
            layers += [nn.Conv2d(widths[i], widths[i + 1], kernel_size=3, padding=1, stride=stride), nn.SiLU()]
        layers.append(nn.Conv2d(widths[-1], out_channels, kernel_size=3, padding=1))
        self.blocks = nn.Sequential(*layers)

    def forward(self, argb: torch.Tensor) -> torch.Tensor:
        return self.blocks(argb)


class TransparentVAEEncoder(nn.Module):
    """Holds `.model`; the offset it predicts (× `alpha`) perturbs latents in training only."""

    def __init__(self, channels: tuple[int, ...] = DEFAULT_ENCODER_CHANNELS, alpha: float = 300.0) -> None:
        super().__init__()
        self.model = LatentTransparencyOffsetEncoder(channels)
        self.alpha = alpha

    def forward(self, argb: torch.Tensor) -> torch.Tensor:
        return self.model(argb) * self.alpha


class TransparentVAE(ModelMixin, ConfigMixin):
    """Transparent decoder + offset encoder. With no arguments this is the released architecture.

    Main API: `decode_rgba(latents_scaled, sdxl_vae, input_alpha=None)` and `encode_condition(rgb, sdxl_vae)`.
    """

    _no_split_modules = ["ResnetBlock2D"]

    @register_to_config
    def __init__(
        self,
        block_out_channels: tuple[int, ...] = DEFAULT_CHANNELS,
        down_block_types: tuple[str, ...] = DEFAULT_DOWN,
        up_block_types: tuple[str, ...] = DEFAULT_UP,
        layers_per_block: int = 2,
        norm_num_groups: int = 4,
        attention_head_dim: int = 8,
        encoder_channels: tuple[int, ...] = DEFAULT_ENCODER_CHANNELS,
    ) -> None:
        super().__init__()
        self.decoder = TransparentVAEDecoder(
            in_channels=3, out_channels=4, down_block_types=tuple(down_block_types),
            up_block_types=tuple(up_block_types), block_out_channels=tuple(block_out_channels),
            layers_per_block=layers_per_block, attention_head_dim=attention_head_dim,
            norm_num_groups=norm_num_groups,
        )
        self.encoder = TransparentVAEEncoder(tuple(encoder_channels))

    @torch.no_grad()
    @apply_forward_hook  # with CPU offload, this (not `forward`) is what brings the decoder to the GPU
    def decode_rgba(self, latents_scaled: torch.Tensor, sdxl_vae: Any, input_alpha: torch.Tensor | None = None,
                    batch: int = 1, tile: int = 0) -> torch.Tensor:
        """Decode layer latents to straight-alpha RGBA in [0, 1], one image per latent (authors' §2.6 numerics).

        Args:
            latents_scaled: `(N, 4, h, w)` latents as the UNet produces them (i.e. × `vae.config.scaling_factor`).
            sdxl_vae: the SDXL `AutoencoderKL` (decodes RGB; its dtype/device are used for that step).
            input_alpha: optional `(H, W)`, `(1, H, W)` or `(N, 1, H, W)` alpha in [0, 1] of the source image;
                the predicted alpha is multiplied by it (so nothing appears outside the character).
            batch: latents per decoder call (the full-resolution UNet is memory hungry: each one of a batch adds
                about as much memory as the first).
            tile: > 0: both decoders run in overlapping tiles of this side (a multiple of 64), blended linearly
                over the overlaps; bounds memory at large sizes, approximate (the deepest attention sees a tile).
        Returns:
            `(N, 4, H, W)` float tensor, channels `[R, G, B, A]`, RGB not premultiplied, on this model's device.
        """
        latents = latents_scaled / sdxl_vae.config.scaling_factor
        rgba: list[torch.Tensor] = []
        for chunk in latents.split(max(1, batch)):
            # on this model's device, the computing one once the offload hook ran (the SDXL VAE may still sit on the
            # CPU: its own decode hook moves it)
            pixel = _decode_rgb(sdxl_vae, chunk.to(device=self.device, dtype=sdxl_vae.dtype), tile)
            pixel = (pixel * 0.5 + 0.5).to(device=self.device, dtype=self.dtype)
            y = tiled(self.decoder, pixel, chunk.to(device=self.device, dtype=self.dtype), tile)
            alpha, rgb = y[:, :1], y[:, 1:]
            if input_alpha is not None:
                alpha = alpha * _as_alpha(input_alpha, len(rgba), len(chunk)).to(alpha)
            rgba.extend(torch.cat([rgb, alpha], dim=1))
        return torch.stack(rgba)

    @torch.no_grad()
    def encode_condition(self, rgb: torch.Tensor, sdxl_vae: Any, generator: torch.Generator | None = None
                         ) -> torch.Tensor:
        """Source-image latent for the layer UNet: `sample()` of the SDXL posterior of `rgb*2-1`, × scaling.

        `rgb`: `(N, 3, H, W)` in [0, 1], alpha already dropped (the authors feed `[255, R, G, B]`, no offset).
        """
        feed = (rgb * 2 - 1).to(device=sdxl_vae.device, dtype=sdxl_vae.dtype)
        latent = sdxl_vae.encode(feed).latent_dist.sample(generator)
        return latent * sdxl_vae.config.scaling_factor


def _as_alpha(alpha: torch.Tensor, index: int, count: int = 1) -> torch.Tensor:
    """The input alpha for latents `index … index + count - 1`, shaped to broadcast over them."""
    if alpha.ndim == 2:
        return alpha[None, None]
    if alpha.ndim == 3:
        return alpha[None]
    return alpha[index:index + count] if alpha.shape[0] > 1 else alpha


def _decode_rgb(sdxl_vae: Any, latents: torch.Tensor, tile: int) -> torch.Tensor:
    """The SDXL VAE's decode, in its own tiles of `tile` pixels when asked (diffusers' tiled decode)."""
    if not tile:
        return sdxl_vae.decode(latents).sample
    if hasattr(sdxl_vae, "tile_sample_min_size"):
        sdxl_vae.tile_sample_min_size, sdxl_vae.tile_latent_min_size = tile, tile // 8
    sdxl_vae.enable_tiling()
    try:
        return sdxl_vae.decode(latents).sample
    finally:
        sdxl_vae.disable_tiling()


#: the transparent decoder's tiles start at multiples of this (it halves the image six times)
TILE_GRID = 64


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of side `tile` covering `size`, overlapping by at least `overlap`, on the 64 grid."""
    if tile >= size:
        return [0]
    step = max(TILE_GRID, (tile - overlap) // TILE_GRID * TILE_GRID)
    starts = list(range(0, size - tile, step))
    return [*starts, size - tile]


def _ramp(length: int, start: int, size: int, overlap: int, device: torch.device) -> torch.Tensor:
    """Blend weights along one axis of a tile: rising over `overlap` pixels on each side that has a neighbour."""
    w = torch.ones(length, device=device)
    ramp = (torch.arange(overlap, device=device, dtype=torch.float32) + 0.5) / overlap
    if start > 0:
        w[:overlap] = torch.minimum(w[:overlap], ramp)
    if start + length < size:
        w[-overlap:] = torch.minimum(w[-overlap:], ramp.flip(0))
    return w


def tiled(decoder: Any, pixel: torch.Tensor, latent: torch.Tensor, tile: int) -> torch.Tensor:
    """`decoder(pixel, latent)` over overlapping tiles of side `tile` (a multiple of 64), blended linearly; the
    whole image in one call when `tile` is 0 or covers it."""
    height, width = pixel.shape[-2:]
    if not tile or (tile >= height and tile >= width):
        return decoder(pixel, latent)
    overlap = max(TILE_GRID, tile // 4 // TILE_GRID * TILE_GRID)
    out: torch.Tensor | None = None
    weight = torch.zeros((1, 1, height, width), device=pixel.device, dtype=torch.float32)
    for y in tile_starts(height, tile, overlap):
        for x in tile_starts(width, tile, overlap):
            th, tw = min(tile, height), min(tile, width)
            part = decoder(pixel[..., y:y + th, x:x + tw], latent[..., y // 8:(y + th) // 8, x // 8:(x + tw) // 8])
            w = (_ramp(th, y, height, overlap, pixel.device)[:, None]
                 * _ramp(tw, x, width, overlap, pixel.device)[None, :])[None, None]
            if out is None:
                out = torch.zeros((part.shape[0], part.shape[1], height, width), device=pixel.device,
                                  dtype=torch.float32)
            out[..., y:y + th, x:x + tw] += part.float() * w
            weight[..., y:y + th, x:x + tw] += w
    assert out is not None
    return (out / weight).to(pixel.dtype)
