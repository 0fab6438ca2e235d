"""Training the transparency decoder (paper 4.1): from the SDXL latent of a layer's padded-Gaussian RGB and its
SDXL reconstruction, predict [alpha, padded RGB]. L2 on colour and alpha plus a PatchGAN term (weight
`gan_weight`, 0.01 in the paper). The SDXL VAE stays frozen.

One optimiser trains both nets: the discriminator's hinge loss sees detached predictions, and the generator's
adversarial term sees detached discriminator weights, so each loss moves only its own network. Both losses are
computed in the trained module's `forward` (`DecoderWithCritic`), so that gradient averaging across processes,
which wraps that forward, sees every parameter's gradient.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from seethrough.training.config import TrainConfig
from seethrough.training.jobs.base import JobBase, SDXLParts, layer_image, to_tensor_rgb
from seethrough.training.sampling import Draws


class PatchDiscriminator(nn.Module):
    """An N-layer PatchGAN over RGBA (real/fake per overlapping patch)."""

    def __init__(self, channels: int = 64, layers: int = 3) -> None:
        super().__init__()
        blocks: list[nn.Module] = [nn.Conv2d(4, channels, 4, 2, 1), nn.LeakyReLU(0.2)]
        width = channels
        for i in range(1, layers):
            out = channels * min(2**i, 8)
            blocks += [nn.Conv2d(width, out, 4, 2, 1), nn.GroupNorm(min(32, out // 4), out), nn.LeakyReLU(0.2)]
            width = out
        blocks.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*blocks)

    def forward(self, rgba: torch.Tensor) -> torch.Tensor:
        return self.net(rgba)


class DecoderWithCritic(nn.Module):
    """The transparency decoder and its PatchGAN critic; `forward` is the training loss of both."""

    def __init__(self, decoder: nn.Module, disc: PatchDiscriminator, gan_weight: float) -> None:
        super().__init__()
        self.decoder = decoder
        self.disc = disc
        self.gan_weight = gan_weight

    def forward(self, pixel: torch.Tensor, latent: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        pred = self.decoder(pixel, latent)
        reconstruction = F.mse_loss(pred, target)
        if self.gan_weight <= 0:
            return reconstruction
        frozen = {k: v.detach() for k, v in self.disc.named_parameters()}
        adversarial = -functional_call(self.disc, frozen, (pred,)).mean()
        d_loss = F.relu(1.0 - self.disc(target)).mean() + F.relu(1.0 + self.disc(pred.detach())).mean()
        return reconstruction + self.gan_weight * adversarial + d_loss


class TransparencyDecoderJob(JobBase):
    name = "vae"

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__(cfg)
        self.parts = SDXLParts(cfg, self.preset)
        width = 8 if self.preset == "tiny" else 64
        self.model = DecoderWithCritic(self.parts.trans_vae.decoder, PatchDiscriminator(width), cfg.gan_weight)

    def build(self) -> nn.Module:
        return self.model

    def batch(self, indices: list[int], draws: Draws) -> dict[str, Any]:
        pixels, latents, targets = [], [], []
        for index, generator in zip(indices, draws.samples, strict=True):
            sample = self.sample(index, generator)
            tags = sorted(sample.layers)
            rgba = sample.layers[tags[int(torch.randint(len(tags), (1,), generator=generator))]]
            padded = layer_image(rgba, self.cfg.resolution)
            with torch.no_grad():
                vae = self.parts.vae
                latent = vae.encode(to_tensor_rgb(padded).to(vae.dtype)).latent_dist.sample(generator=generator)
                pixel = (vae.decode(latent).sample * 0.5 + 0.5).clamp(0, 1)
            alpha = torch.from_numpy(rgba[..., 3].astype(np.float32) / 255.0)[None, None]
            colour = torch.from_numpy(padded).permute(2, 0, 1)[None]
            pixels.append(pixel.float())
            latents.append(latent.float())
            targets.append(torch.cat([alpha, colour], dim=1))
        return {"pixel": torch.cat(pixels), "latent": torch.cat(latents), "target": torch.cat(targets)}

    def loss(self, model: nn.Module, batch: dict[str, Any], draws: Draws) -> torch.Tensor:
        batch = self.on_device(batch)
        return model(batch["pixel"], batch["latent"], batch["target"])

    def validation_images(self, model: nn.Module, draws: Draws) -> list[np.ndarray]:
        """Target and prediction of the first sample's layer, side by side over a grey checkerboard."""
        batch = self.batch([0], draws)
        pixel, latent = self.on_device([batch["pixel"], batch["latent"]])
        pred = model.get_submodule("decoder")(pixel, latent).clamp(0, 1).cpu()
        return [np.concatenate([_on_checker(batch["target"][0]), _on_checker(pred[0])], axis=1)]

    def save_final(self, model: nn.Module, folder: Path) -> None:
        self.parts.save_folder(folder, trans_vae=self.parts.trans_vae)


def _on_checker(argb: torch.Tensor) -> np.ndarray:
    """(4, H, W) [alpha, R, G, B] in [0, 1] → (H, W, 3) uint8 over a light checkerboard."""
    alpha, rgb = argb[:1].float(), argb[1:].float()
    h, w = alpha.shape[1:]
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    checker = (0.75 + 0.15 * (((yy // 8) + (xx // 8)) % 2)).float()[None]
    out = rgb * alpha + checker * (1 - alpha)
    return (out.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
