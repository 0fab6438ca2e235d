"""The pseudo-depth model: Marigold with cross-frame attention over the layers (`docs/authors-pipeline.md` §3).

Frames are the 19 paper-class layers plus the full image. Per frame the UNet sees 12 channels:
[full-image latent (4), layer latent (4), noisy depth latent (4)], with an empty-text embedding. A few DDIM
steps; the decoded depth is the channel mean mapped from [−1, 1] to [0, 1], 0 = front.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from diffusers import DiffusionPipeline

from seethrough.core.colour_padding import pad_colours_training
from seethrough.core.errors import Cancelled
from seethrough.core.pipelines.schedulers import depth_scheduler

#: Marigold's (SD2's) VAE scaling factor
DEPTH_LATENT_SCALE = 0.18215


class LayerDepthPipeline(DiffusionPipeline):
    model_cpu_offload_seq = "text_encoder->vae->unet"

    def __init__(self, unet, vae, text_encoder, tokenizer, scheduler=None):  # noqa: ANN001
        super().__init__()
        self.register_modules(
            unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler or depth_scheduler()
        )
        self._empty_embedding: torch.Tensor | None = None
        #: the folder's `default_denoising_steps` (model_index.json), used when the caller gives no step count
        self.default_steps: int | None = None

    @classmethod
    def load(
        cls, folder: str | Path, dtype: torch.dtype = torch.float32, quantize: str | None = None
    ) -> LayerDepthPipeline:
        from seethrough.core.pipelines.components import load_depth_components, model_index_value

        pipeline = cls(**load_depth_components(Path(folder), dtype=dtype, quantize=quantize))
        steps = model_index_value(Path(folder), "default_denoising_steps")
        pipeline.default_steps = int(steps) if isinstance(steps, int) and steps > 0 else None
        return pipeline

    @torch.no_grad()
    def empty_embedding(self) -> torch.Tensor:
        if self._empty_embedding is None:
            ids = self.tokenizer("", padding="do_not_pad", return_tensors="pt").input_ids
            self._empty_embedding = self.text_encoder(ids.to(self._execution_device))[0].float().cpu()
        return self._empty_embedding

    @torch.no_grad()
    def encode(self, rgba: np.ndarray, rounded: bool = True) -> torch.Tensor:
        """One RGBA image (S, S, 4) uint8 → the VAE latent mean × 0.18215, (1, 4, S/8, S/8); transparent colours are
        filled with the padding the model was trained with. `rounded`: the 0..1 input is rounded to the VAE's
        precision before the padding, as the authors' frames are; their full-page condition is padded unrounded."""
        return self._encode_padded(pad_colours_training(rgba, self.vae.dtype if rounded else None))

    def _encode_padded(self, padded: np.ndarray) -> torch.Tensor:
        rgb = torch.from_numpy(padded).permute(2, 0, 1)[None]
        # in the VAE's precision, in the authors' order; on the computing device (an offloaded VAE is still on the CPU)
        rgb = rgb.to(self._execution_device, self.vae.dtype) * 2.0 - 1.0
        return self.vae.encode(rgb).latent_dist.mean * DEPTH_LATENT_SCALE

    def encode_frames(self, frames: np.ndarray, share_identical: bool = False) -> torch.Tensor:
        """`encode` of every frame, (F, 4, S/8, S/8). `share_identical`: frames whose padded input is the same (the
        empty ones) are encoded once: the latent mean is deterministic, so the result is the same."""
        done: dict[bytes, torch.Tensor] = {}
        latents = []
        for frame in frames:
            padded = pad_colours_training(frame, self.vae.dtype)
            key = padded.tobytes() if share_identical else b""
            if not share_identical or key not in done:
                done[key] = self._encode_padded(padded)
            latents.append(done[key])
        return torch.cat(latents)

    @torch.no_grad()
    def __call__(
        self,
        layers: np.ndarray,
        full_image: np.ndarray,
        num_inference_steps: int = 4,
        generator: torch.Generator | None = None,
        on_step: Callable[[int, int], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
        fp32_latents: bool = False,
        unused: Sequence[bool] | None = None,
    ) -> np.ndarray:
        """`layers` (F, S, S, 4) uint8 and `full_image` (S, S, 4) → depth (F + 1, S, S) float32 in [0, 1].

        The full image is the last frame, as in the authors' code. The initial noise comes from `generator`, or,
        when it is None, from the global torch RNG in the UNet's dtype, as the authors draw it after re-seeding.
        The latents stay in the UNet's precision between steps, as the authors' (`fp32_latents` keeps them in fp32).
        `unused` (F + 1 flags, the page last): frames whose depth the caller will not read: identical inputs among
        them are encoded once and they are not decoded (their depth is 1, far); the other frames are unchanged (the
        UNet still sees every frame, as the cross-frame attention needs).
        """
        device, dtype = self._execution_device, self.unet.dtype
        frames = np.concatenate([layers, full_image[None]], axis=0)
        count, size = frames.shape[0], frames.shape[1]
        full_latent = self.encode(full_image, rounded=False)
        layer_latents = self.encode_frames(frames, share_identical=unused is not None)
        cond = torch.cat([full_latent.expand_as(layer_latents), layer_latents], dim=1)[None].to(device, dtype)
        ehs = self.empty_embedding().to(device, dtype).expand(count, -1, -1)

        shape = (count, self.vae.config.latent_channels, size // 8, size // 8)
        if generator is not None:
            latents = torch.randn(shape, generator=generator, device=generator.device)
        else:
            latents = torch.randn(shape, device=device, dtype=dtype)
        latent_dtype = torch.float32 if fp32_latents else dtype
        latents = latents.to(device, latent_dtype)[None] * self.scheduler.init_noise_sigma
        self.scheduler.set_timesteps(num_inference_steps, device=device)
        total = len(self.scheduler.timesteps)
        for i, t in enumerate(self.scheduler.timesteps):
            if is_cancelled is not None and is_cancelled():
                raise Cancelled("depth estimation cancelled")
            model_in = torch.cat([cond, self.scheduler.scale_model_input(latents, t).to(dtype)], dim=2)
            pred = self.unet(model_in, t, encoder_hidden_states=ehs, return_dict=False)[0]
            latents = self.scheduler.step(pred.to(latent_dtype), t, latents, generator=generator).prev_sample
            if on_step is not None:
                on_step(i + 1, total)
        depth = []
        for index, frame in enumerate(latents[0]):
            if unused is not None and unused[index]:
                depth.append(np.ones((size, size), np.float32))
                continue
            decoded = self.vae.decode((frame[None] / DEPTH_LATENT_SCALE).to(self.vae.dtype)).sample
            d = decoded.mean(dim=1)[0].clamp(-1.0, 1.0)  # in the VAE's precision, as the authors' decode_depth
            depth.append(((d + 1.0) / 2.0).float().cpu().numpy())
        return np.stack(depth).astype(np.float32)
