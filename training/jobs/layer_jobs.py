"""Training the layer model (paper 4.1, appendix C): ε-prediction on the layer latent, the tag through
cross-attention, the source image by concatenation.

Stage 1 extracts one tag at a time with a 2-D UNet. Stage 2 denoises all tags of a group jointly with the Body
Part Consistency Module, initialised from stage 1 (`presets.convert_2d_to_3d`); V3 alternates the body group
(with the intermediate `head` layer) and the head group, with their group embeddings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from seethrough.core.models.layer_unet import UNetFrameConditionModel
from seethrough.core.pipelines.components import load_layer_components
from seethrough.core.taxonomy import taxonomy
from seethrough.training import presets
from seethrough.training.config import TrainConfig
from seethrough.training.jobs.base import JobBase, SDXLParts, composite_rgb, layer_image
from seethrough.training.sampling import Draws


def head_layer(layers: dict[str, np.ndarray]) -> np.ndarray | None:
    """The training `head` layer: the union of the head members (face, eyes, ears, nose, mouth; not hair)."""
    members = [layers[t] for t in taxonomy().head_members if t in layers]
    if not members:
        return None
    rgb = np.zeros(members[0].shape[:2] + (3,), np.float32)
    alpha = np.zeros(members[0].shape[:2], np.uint8)
    for rgba in members:
        a = rgba[..., 3:4].astype(np.float32) / 255.0
        rgb = rgba[..., :3] * a + rgb * (1.0 - a)
        alpha = np.maximum(alpha, rgba[..., 3])
    return np.concatenate([rgb.round().astype(np.uint8), alpha[..., None]], axis=-1)


class _LayerJob(JobBase):
    stage = 1

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__(cfg)
        self.parts = SDXLParts(cfg, self.preset)
        self.unet: UNetFrameConditionModel | None = None

    def groups(self) -> list[tuple[tuple[str, ...], int | None]]:
        tx = taxonomy()
        if self.cfg.tags == "v3":
            return [(tx.v3_groups["body"], 0), (tx.v3_groups["head"], 1)]
        return [(tx.v2, None)]

    def signature(self) -> dict[str, Any]:
        return {**super().signature(), "stage": self.stage}

    def _time_ids(self, frames: int) -> torch.Tensor:
        size = self.cfg.resolution
        return torch.tensor([size, size, 0, 0, size, size], dtype=torch.float32).repeat(frames, 1)

    def loss(self, model: torch.nn.Module, batch: dict[str, Any], draws: Draws) -> torch.Tensor:
        batch = self.on_device(batch)
        target = batch["latents"]  # (B, F, 4, h, w)
        noise = self.on_device(draws.randn(target.shape[1:]))
        t = self.on_device(draws.randint(self.parts.noise.config.num_train_timesteps))
        flat_t = t.repeat_interleave(target.shape[1])
        noisy = self.parts.noise.add_noise(target.flatten(0, 1), noise.flatten(0, 1), flat_t).view_as(target)
        model_in = torch.cat([noisy, batch["cond"]], dim=2)
        time_ids = self.on_device(self._time_ids(target.shape[1]))
        pred = model(
            model_in, t, encoder_hidden_states=batch["embeds"],
            added_cond_kwargs={"text_embeds": batch["pooled"], "time_ids": time_ids},
            group_index=batch["group_index"], return_dict=False,
        )[0]
        return F.mse_loss(pred.float(), noise)

    def save_final(self, model: torch.nn.Module, folder: Path) -> None:
        self.parts.save_folder(folder, unet=model)


class LayerStage1Job(_LayerJob):
    name = "layers-stage1"
    stage = 1

    def build(self) -> torch.nn.Module:
        if self.cfg.init_from and presets.is_2d(self.parts.unet.config):  # continue a stage-1 model
            self.unet = self.parts.unet
        else:
            torch.manual_seed(self.cfg.seed)
            self.unet = UNetFrameConditionModel(**presets.layer_unet_config(self.preset, self.cfg.tags, stage=1))
        return self.unet

    def batch(self, indices: list[int], draws: Draws) -> dict[str, Any]:
        latents, conds, tags = [], [], []
        for index, generator in zip(indices, draws.samples, strict=True):
            sample = self.sample(index, generator)
            available = sorted(sample.layers)
            tag = available[int(torch.randint(len(available), (1,), generator=generator))]
            latents.append(self.parts.encode(layer_image(sample.layers[tag], self.cfg.resolution), generator))
            conds.append(self.parts.encode(composite_rgb(sample), generator))
            tags.append(tag)
        embeds, pooled = self.parts.tags.get(tags)
        return {
            "latents": torch.cat(latents)[:, None], "cond": torch.cat(conds)[:, None],
            "embeds": embeds[:, None], "pooled": pooled[:, None], "group_index": None,
        }


class LayerStage2Job(_LayerJob):
    name = "layers-stage2"
    stage = 2
    unused_parameters = True  # V3: a step trains one group, the other group's embedding gets no gradient

    def build(self) -> torch.nn.Module:
        if self.cfg.init_from:
            base = load_layer_components(Path(self.cfg.init_from))["unet"]
            if presets.is_2d(base.config):  # a stage-1 model: convert (its output is reproduced exactly)
                self.unet = presets.convert_2d_to_3d(base, presets.to_3d(dict(base.config), self.cfg.tags))
            else:  # already a stage-2 model: continue training it
                self.unet = base
        else:
            torch.manual_seed(self.cfg.seed)
            self.unet = UNetFrameConditionModel(**presets.layer_unet_config(self.preset, self.cfg.tags, stage=2))
        return self.unet

    def batch(self, indices: list[int], draws: Draws) -> dict[str, Any]:
        groups = self.groups()  # one group for the whole step: its samples are stacked frame by frame
        tags, group_index = groups[int(torch.randint(len(groups), (1,), generator=draws.shared))]
        latents, conds = [], []
        for index, generator in zip(indices, draws.samples, strict=True):
            sample = self.sample(index, generator)
            layers = dict(sample.layers)
            head = head_layer(layers) if "head" in tags else None
            if head is not None:  # a missing head reads as None below either way
                layers["head"] = head
            frame_latents = [self.parts.encode(layer_image(layers.get(t), self.cfg.resolution), generator)
                             for t in tags]
            latents.append(torch.cat(frame_latents)[None])
            conds.append(self.parts.encode(composite_rgb(sample), generator)[:, None].expand(1, len(tags), -1, -1, -1))
        embeds, pooled = self.parts.tags.get(list(tags))
        return {"latents": torch.cat(latents), "cond": torch.cat(conds), "embeds": embeds, "pooled": pooled,
                "group_index": group_index}
