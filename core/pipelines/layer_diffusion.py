"""The layer model's sampler: one latent per body-part frame, denoised jointly (`docs/authors-pipeline.md` §2).

Per frame the UNet sees 8 channels — the noisy layer latent and the latent of the source image — and the
frame's tag embedding (plus a learned group embedding that selects the body or head pass). No classifier-free
guidance; one initial noise sample is shared by all frames; DPM++ 2M SDE with a zero final sigma. Each frame is
decoded by SDXL's VAE to RGB and by the transparent decoder to alpha.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from diffusers import AutoencoderKL, DiffusionPipeline

from seethrough.core.errors import Cancelled
from seethrough.core.pipelines.acceleration import GraphedUNet
from seethrough.core.pipelines.schedulers import layer_scheduler
from seethrough.core.pipelines.text import TagEmbeddingCache

StepCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


class LayerDiffusionPipeline(DiffusionPipeline):
    """Components as in the released repo folders: unet, trans_vae, vae, text_encoder(_2), tokenizer(_2)."""

    model_cpu_offload_seq = "text_encoder->text_encoder_2->vae->unet->trans_vae"

    def __init__(self, vae, trans_vae, unet, text_encoder, text_encoder_2, tokenizer, tokenizer_2, scheduler=None):  # noqa: ANN001
        super().__init__()
        self.register_modules(
            vae=vae,
            trans_vae=trans_vae,
            unet=unet,
            text_encoder=text_encoder,
            text_encoder_2=text_encoder_2,
            tokenizer=tokenizer,
            tokenizer_2=tokenizer_2,
            scheduler=scheduler or layer_scheduler(),
        )
        self.tags = TagEmbeddingCache(tokenizer, tokenizer_2, text_encoder, text_encoder_2,
                                      device=lambda: self._execution_device)

    @classmethod
    def load(
        cls, folder: str | Path, dtype: torch.dtype = torch.float32, quantize: str | None = None
    ) -> LayerDiffusionPipeline:
        """Load every component from a local folder in the released layout (see core.pipelines.components)."""
        from seethrough.core.pipelines.components import load_layer_components

        return cls(**load_layer_components(Path(folder), dtype=dtype, quantize=quantize))

    # --- encoding -----------------------------------------------------------------------------------
    def encode_condition(self, image: np.ndarray, generator: torch.Generator | None = None) -> torch.Tensor:
        """Source RGBA (S, S, 4) uint8 → its SDXL latent (1, 4, S/8, S/8), scaled.

        As the authors do, alpha is ignored (forced opaque) and RGB is not premultiplied, so colours hidden
        under transparent pixels and the black padding are encoded as they are; the latent is *sampled*, from the
        global torch RNG when `generator` is None (the authors' stream, seeded by `seed_everything`).
        """
        vae: AutoencoderKL = self.vae
        rgb = torch.from_numpy(np.ascontiguousarray(image[..., :3])).permute(2, 0, 1)[None].float() / 255.0
        # in the VAE's precision, in the authors' order (bf16); on the computing device (an offloaded VAE is on the CPU)
        rgb = rgb.to(self._execution_device, vae.dtype) * 2.0 - 1.0
        latent = vae.encode(rgb).latent_dist.sample(generator=generator)
        return latent * vae.config.scaling_factor

    # --- sampling -----------------------------------------------------------------------------------
    @torch.no_grad()
    def __call__(
        self,
        image: np.ndarray,
        tags: Sequence[str],
        group_index: int | None = None,
        num_inference_steps: int = 30,
        generator: torch.Generator | None = None,
        on_step: StepCallback | None = None,
        is_cancelled: CancelCheck | None = None,
        fp32_latents: bool = False,
        cuda_graphs: bool = False,
        decoder_batch: int = 1,
        decoder_tile: int = 0,
    ) -> np.ndarray:
        """Decompose a square RGBA image (S, S, 4) uint8 into one RGBA frame per tag: (F, S, S, 4) uint8.

        Random streams as in the authors' pipeline: `generator` (a generator on the UNet's device, seeded once per
        image and shared by the passes) draws only the initial noise; the condition latent's sample and the SDE
        noise of every step come from the global torch RNG, which the caller seeds (`DecomposeEngine` does).
        The latents are kept in the UNet's precision between steps, as the authors keep them (the scheduler computes
        each step in fp32 and rounds the result back); `fp32_latents` keeps them in fp32 instead.
        All F frames go through the UNet in one batched call per step (the cross-frame attention needs them together).
        `cuda_graphs` replays the UNet call as a CUDA graph (on a CUDA device); `decoder_batch` and `decoder_tile` are
        the decoders' (see `decode`).
        """
        size = image.shape[0]
        if image.shape[:2] != (size, size) or size % 8:
            raise ValueError(f"the layer model needs a square image with a side divisible by 8, got {image.shape}")
        unet, device = self.unet, self._execution_device
        dtype = unet.dtype
        frames = len(tags)

        embeds, pooled = self.tags.get(list(tags))
        embeds, pooled = embeds.to(device, dtype), pooled.to(device, dtype)
        time_ids = torch.tensor([size, size, 0, 0, size, size], device=device, dtype=dtype).repeat(frames, 1)

        cond = self.encode_condition(image, None).to(device, dtype)
        cond = cond[:, None].expand(1, frames, *cond.shape[1:])
        latent_shape = (1, 1, self.vae.config.latent_channels, size // 8, size // 8)
        latent_dtype = torch.float32 if fp32_latents else dtype
        noise = torch.randn(latent_shape, generator=generator, device=generator.device if generator else device,
                            dtype=latent_dtype)
        self.scheduler.set_timesteps(num_inference_steps, device=device)
        latents = noise.to(device).expand(1, frames, *latent_shape[2:]).clone()
        latents = latents * self.scheduler.init_noise_sigma

        fixed = {"encoder_hidden_states": embeds, "added_cond_kwargs": {"text_embeds": pooled, "time_ids": time_ids},
                 "group_index": group_index}
        graphed = GraphedUNet(unet, fixed) if cuda_graphs and torch.device(device).type == "cuda" else None
        total = len(self.scheduler.timesteps)
        try:
            for i, t in enumerate(self.scheduler.timesteps):
                if is_cancelled is not None and is_cancelled():
                    raise Cancelled("decomposition cancelled")
                model_in = torch.cat([self.scheduler.scale_model_input(latents, t).to(dtype), cond], dim=2)
                if graphed is not None:
                    noise_pred = graphed(model_in, t)
                else:
                    noise_pred = unet(model_in, t, **fixed, return_dict=False)[0]
                latents = self.scheduler.step(noise_pred.to(latent_dtype), t, latents).prev_sample
                if on_step is not None:
                    on_step(i + 1, total)
        finally:
            if graphed is not None:
                graphed.release()
        return self.decode(latents[0], image, batch=decoder_batch, tile=decoder_tile)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor, image: np.ndarray, batch: int = 1, tile: int = 0) -> np.ndarray:
        """Per frame: SDXL VAE → RGB, transparent decoder → alpha (× the input's alpha). (F, S, S, 4) uint8.
        `batch` frames per decoder call; `tile` > 0 runs both decoders in overlapping tiles of that side."""
        input_alpha = torch.from_numpy(image[..., 3].astype(np.float32) / 255.0)
        out = []
        for chunk in latents.split(max(1, batch)):
            rgba = self.trans_vae.decode_rgba(chunk, self.vae, input_alpha=input_alpha, batch=len(chunk), tile=tile)
            for frame in rgba:  # (4, S, S)
                # scaled in the decoder's precision (bf16 rounds there, as in the authors' decoder), then truncated
                # to uint8 as they store them (rounding would move thresholded masks at alpha 10/15)
                scaled = frame.permute(1, 2, 0).clamp(0, 1) * 255.0
                out.append(scaled.float().cpu().numpy().clip(0, 255).astype(np.uint8))
        return np.stack(out)
