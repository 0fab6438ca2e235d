"""What the training jobs share: the frozen SDXL-side components (VAE, text encoders), tag embeddings, the noise
schedule, reading and augmenting samples, and saving a model folder in the layout the decomposition engine loads.

Components come from `init_from` (a model folder in the released layout: a released model, or an earlier run's
`model/`) or, without it, are built from the architecture preset (`model: {preset: tiny}`) with random weights —
useful only for smoke runs, since real training starts from pretrained SDXL/Marigold weights.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import AutoencoderKL, DDPMScheduler
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from seethrough.core.colour_padding import pad_transparent_colours
from seethrough.core.pipelines.components import load_layer_components
from seethrough.core.pipelines.schedulers import SDXL_NOISE_SCHEDULE
from seethrough.core.pipelines.text import TagEmbeddingCache
from seethrough.training import presets
from seethrough.training.augment import Backgrounds, TrainSample, augment, over_background
from seethrough.training.config import TrainConfig
from seethrough.training.data import LayerDataset
from seethrough.training.tiny_tokenizer import write_tiny_clip_tokenizer


def to_tensor_rgb(rgb01: np.ndarray) -> torch.Tensor:
    """(H, W, 3) float in [0, 1] → (1, 3, H, W) in [−1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb01)).permute(2, 0, 1)[None].float() * 2.0 - 1.0


class JobBase:
    """Dataset access and augmentation common to every job.

    Batches are made on the CPU (every random draw from the CPU generator of the step, so a run is reproducible on
    any device); `loss` moves what it feeds the model to `device`, which the runner sets to where the model trains.
    """

    name = "job"
    device: torch.device = torch.device("cpu")
    unused_parameters = False

    def on_device(self, value: Any) -> Any:
        """`value` (a tensor, or a dict/list/tuple holding tensors) on the training device."""
        if isinstance(value, torch.Tensor):
            return value.to(self.device)
        if isinstance(value, dict):
            return {k: self.on_device(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.on_device(v) for v in value)
        return value

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.dataset = LayerDataset(cfg.data, split=None if cfg.split == "all" else cfg.split)
        self.backgrounds = Backgrounds(cfg.backgrounds)
        self.preset = cfg.model.preset or ("tiny" if cfg.init_from is None else "released")

    def num_samples(self) -> int:
        return len(self.dataset)

    def sample(self, index: int, generator: torch.Generator) -> TrainSample:
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        return augment(
            self.dataset.load(index), self.cfg.resolution, rng, self.backgrounds,
            flip_p=self.cfg.augment.flip, crop_p=self.cfg.augment.crop,
        )

    def signature(self) -> dict[str, Any]:
        model = self.cfg.model.model_dump(exclude_none=True)
        return {"job": self.name, "preset": self.preset, "tags": self.cfg.tags, "model": model}


def layer_image(rgba: np.ndarray | None, size: int) -> np.ndarray:
    """A layer's padded-Gaussian RGB in [0, 1] (black for a missing layer)."""
    if rgba is None:
        return np.zeros((size, size, 3), np.float32)
    return pad_transparent_colours(rgba)


def composite_rgb(sample: TrainSample) -> np.ndarray:
    assert sample.background is not None
    return over_background(sample.composite, sample.background).astype(np.float32) / 255.0


class SDXLParts:
    """The frozen VAE and text encoders of the layer model, and a tag-embedding cache."""

    def __init__(self, cfg: TrainConfig, preset: str) -> None:
        if cfg.init_from:
            parts = load_layer_components(Path(cfg.init_from))
            self.vae: AutoencoderKL = parts["vae"]
            self.text_encoder, self.text_encoder_2 = parts["text_encoder"], parts["text_encoder_2"]
            self.tokenizer, self.tokenizer_2 = parts["tokenizer"], parts["tokenizer_2"]
            self.trans_vae, self.unet = parts["trans_vae"], parts["unet"]
        else:
            if preset != "tiny":
                raise ValueError("training the released architecture needs `init_from` (pretrained weights)")
            torch.manual_seed(cfg.seed)
            self.vae = AutoencoderKL(**presets.TINY_VAE)
            with tempfile.TemporaryDirectory() as folder:  # a folder per process: several may start at once
                self.tokenizer = write_tiny_clip_tokenizer(Path(folder))
                self.tokenizer_2 = CLIPTokenizer.from_pretrained(folder)
            text = CLIPTextConfig(vocab_size=len(self.tokenizer), bos_token_id=0, eos_token_id=1, pad_token_id=1,
                                  **presets.TINY_TEXT)
            self.text_encoder = CLIPTextModel(text)
            self.text_encoder_2 = CLIPTextModelWithProjection(text)
            from seethrough.core.models.layer_unet import UNetFrameConditionModel
            from seethrough.core.models.transparent_vae import TransparentVAE

            # random stand-ins so that every saved folder is complete and loads into the engine
            self.trans_vae = TransparentVAE(**presets.TINY_TRANS_VAE)
            self.unet = UNetFrameConditionModel(**presets.layer_unet_config("tiny", cfg.tags, stage=2))
        for module in (self.vae, self.text_encoder, self.text_encoder_2):
            module.requires_grad_(False).eval()
        self.tags = TagEmbeddingCache(self.tokenizer, self.tokenizer_2, self.text_encoder, self.text_encoder_2)
        self.noise = DDPMScheduler(**SDXL_NOISE_SCHEDULE)

    @torch.no_grad()
    def encode(self, rgb01: np.ndarray, generator: torch.Generator) -> torch.Tensor:
        dist = self.vae.encode(to_tensor_rgb(rgb01).to(self.vae.dtype)).latent_dist
        return dist.sample(generator=generator) * self.vae.config.scaling_factor

    def save_folder(self, folder: Path, unet: Any = None, trans_vae: Any = None) -> None:
        """A complete layer-model folder (released layout), with the trained part replacing the base one."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.vae.save_pretrained(tmp / "vae")
        self.text_encoder.save_pretrained(tmp / "text_encoder")
        self.text_encoder_2.save_pretrained(tmp / "text_encoder_2")
        self.tokenizer.save_pretrained(tmp / "tokenizer")
        self.tokenizer_2.save_pretrained(tmp / "tokenizer_2")
        for name, module in (("unet", unet or self.unet), ("trans_vae", trans_vae or self.trans_vae)):
            if module is not None:
                module.save_pretrained(tmp / name)
        (tmp / "model_index.json").write_text('{"_class_name": "LayerDiffusionPipeline"}\n', encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
