"""Training the pseudo-depth model (paper 4.2, appendix C): Marigold-style v-prediction on the VAE latent of the
depth map (replicated to 3 channels in [−1, 1]), conditioned on the layer's image latent and an empty prompt.

Stage 1 is a 2-D model over one layer at a time ([layer latent, noisy depth], 8 channels). Stage 2 denoises the
19 paper classes plus the full image jointly with cross-frame attention, [full-image latent, layer latent, noisy
depth] = 12 channels, converted from stage 1 by prepending 4 zero input channels.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler
from transformers import CLIPTextConfig, CLIPTextModel

from seethrough.core.decompose.engine import depth_frames
from seethrough.core.models.layer_unet import UNetFrameConditionModel
from seethrough.core.pipelines.components import load_depth_components
from seethrough.core.pipelines.layer_depth import DEPTH_LATENT_SCALE
from seethrough.core.pipelines.schedulers import depth_scheduler
from seethrough.core.taxonomy import taxonomy
from seethrough.training import presets
from seethrough.training.config import TrainConfig
from seethrough.training.jobs.base import JobBase, composite_rgb, layer_image, to_tensor_rgb
from seethrough.training.sampling import Draws
from seethrough.training.tiny_tokenizer import write_tiny_clip_tokenizer


class DepthParts:
    """Frozen VAE and text encoder of the depth model, its empty-prompt embedding and noise schedule."""

    def __init__(self, cfg: TrainConfig, preset: str) -> None:
        if cfg.init_from:
            parts = load_depth_components(Path(cfg.init_from), stage1_ok=True)
            self.vae, self.text_encoder, self.tokenizer = parts["vae"], parts["text_encoder"], parts["tokenizer"]
            self.unet: UNetFrameConditionModel | None = parts["unet"]
        else:
            if preset != "tiny":
                raise ValueError("training the released architecture needs `init_from` (pretrained weights)")
            torch.manual_seed(cfg.seed)
            self.vae = AutoencoderKL(**presets.TINY_VAE)
            with tempfile.TemporaryDirectory() as folder:  # a folder per process: several may start at once
                self.tokenizer = write_tiny_clip_tokenizer(Path(folder))
            self.text_encoder = CLIPTextModel(CLIPTextConfig(
                vocab_size=len(self.tokenizer), bos_token_id=0, eos_token_id=1, pad_token_id=1, **presets.TINY_TEXT
            ))
            self.unet = None
        for module in (self.vae, self.text_encoder):
            module.requires_grad_(False).eval()
        with torch.no_grad():
            ids = self.tokenizer("", padding="do_not_pad", return_tensors="pt").input_ids
            self.empty = self.text_encoder(ids)[0].float()
        self.noise = DDPMScheduler(
            num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            prediction_type="v_prediction",
        )

    @torch.no_grad()
    def encode_image(self, rgb01: np.ndarray) -> torch.Tensor:
        return self.vae.encode(to_tensor_rgb(rgb01).to(self.vae.dtype)).latent_dist.mean * DEPTH_LATENT_SCALE

    @torch.no_grad()
    def encode_depth(self, depth: np.ndarray) -> torch.Tensor:
        rgb = np.repeat(np.clip(depth, 0.0, 1.0)[..., None], 3, axis=-1)
        return self.encode_image(rgb)

    def save_folder(self, folder: Path, unet: Any) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        unet.save_pretrained(tmp / "unet")
        self.vae.save_pretrained(tmp / "vae")
        self.text_encoder.save_pretrained(tmp / "text_encoder")
        self.tokenizer.save_pretrained(tmp / "tokenizer")
        depth_scheduler().save_pretrained(tmp / "scheduler")
        (tmp / "model_index.json").write_text('{"_class_name": "LayerDepthPipeline"}\n', encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)


def class_depths(layers: dict[str, np.ndarray], depths: dict[str, np.ndarray], shape: tuple[int, int]) -> list:
    """Per paper class (V2), the depth of its nearest sub-layer per pixel (1 = far where it has none)."""
    v3_to_v2 = taxonomy().v3_to_v2
    out = {tag: np.ones(shape, np.float32) for tag in taxonomy().v2}
    for tag, depth in depths.items():
        target = v3_to_v2.get(tag, tag)
        if target in out:
            out[target] = np.minimum(out[target], depth)
    return [out[tag] for tag in taxonomy().v2]


class _DepthJob(JobBase):
    stage = 1

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__(cfg)
        self.parts = DepthParts(cfg, self.preset)

    def signature(self) -> dict[str, Any]:
        return {**super().signature(), "stage": self.stage}

    def loss(self, model: torch.nn.Module, batch: dict[str, Any], draws: Draws) -> torch.Tensor:
        batch = self.on_device(batch)
        target = batch["depth_latents"]  # (B, F, 4, h, w)
        noise = self.on_device(draws.randn(target.shape[1:]))
        t = self.on_device(draws.randint(self.parts.noise.config.num_train_timesteps))
        flat_t = t.repeat_interleave(target.shape[1])
        flat_target, flat_noise = target.flatten(0, 1), noise.flatten(0, 1)
        noisy = self.parts.noise.add_noise(flat_target, flat_noise, flat_t).view_as(target)
        velocity = self.parts.noise.get_velocity(flat_target, flat_noise, flat_t).view_as(target)
        frames = target.shape[1]
        ehs = self.on_device(self.parts.empty).expand(frames, -1, -1)
        pred = model(torch.cat([batch["cond"], noisy], dim=2), t, encoder_hidden_states=ehs, return_dict=False)[0]
        return F.mse_loss(pred.float(), velocity)

    def save_final(self, model: torch.nn.Module, folder: Path) -> None:
        self.parts.save_folder(folder, model)


class DepthStage1Job(_DepthJob):
    name = "depth-stage1"
    stage = 1

    def build(self) -> torch.nn.Module:
        if self.parts.unet is not None and presets.is_2d(self.parts.unet.config):
            return self.parts.unet
        torch.manual_seed(self.cfg.seed)
        return UNetFrameConditionModel(**presets.depth_unet_config(self.preset, stage=1))

    def batch(self, indices: list[int], draws: Draws) -> dict[str, Any]:
        conds, targets = [], []
        for index, generator in zip(indices, draws.samples, strict=True):
            sample = self.sample(index, generator)
            tags = sorted(t for t in sample.depths if t in sample.layers)
            tag = tags[int(torch.randint(len(tags), (1,), generator=generator))]
            conds.append(self.parts.encode_image(layer_image(sample.layers[tag], self.cfg.resolution)))
            targets.append(self.parts.encode_depth(sample.depths[tag]))
        return {"cond": torch.cat(conds)[:, None], "depth_latents": torch.cat(targets)[:, None]}


class DepthStage2Job(_DepthJob):
    name = "depth-stage2"
    stage = 2

    def build(self) -> torch.nn.Module:
        base = self.parts.unet
        if base is not None and presets.is_2d(base.config):
            return presets.convert_2d_to_3d(base, presets.to_3d({**dict(base.config), "in_channels": 12}),
                                            prepend_channels=4)
        if base is not None:
            return base
        torch.manual_seed(self.cfg.seed)
        return UNetFrameConditionModel(**presets.depth_unet_config(self.preset, stage=2))

    def batch(self, indices: list[int], draws: Draws) -> dict[str, Any]:
        conds, targets = [], []
        size = self.cfg.resolution
        for index, generator in zip(indices, draws.samples, strict=True):
            sample = self.sample(index, generator)
            _, frames = depth_frames(sample.layers, (size, size))
            per_class = class_depths(sample.layers, sample.depths, (size, size))
            full = self.parts.encode_image(composite_rgb(sample))
            full_depth = np.min(np.stack(per_class), axis=0)
            layer_lat = [self.parts.encode_image(layer_image(f if f[..., 3].any() else None, size)) for f in frames]
            cond = torch.cat([torch.cat([full, lat], dim=1) for lat in [*layer_lat, full]])
            depth_lat = torch.cat([self.parts.encode_depth(d) for d in [*per_class, full_depth]])
            conds.append(cond[None])
            targets.append(depth_lat[None])
        return {"cond": torch.cat(conds), "depth_latents": torch.cat(targets)}
