"""The `model_index.json` of the released folders, as the authors' diffusers pipeline classes load them: our loader
reads only the subfolders (and the depth folder's `default_denoising_steps`), the authors' classes need the whole
index. Written by the tiny parity release (tests/support/parity_release.py) and by the GPU benchmark's random-weight
release (bench/bench_decompose.py)."""

from __future__ import annotations

import json
from pathlib import Path

#: the layer model's index (`KDiffusionStableDiffusionXLPipeline`; `unet` and `trans_vae` are loaded by hand)
LAYER_INDEX = {
    "_class_name": "KDiffusionStableDiffusionXLPipeline", "_diffusers_version": "0.37.0",
    "force_zeros_for_empty_prompt": True, "requires_aesthetics_score": False,
    "feature_extractor": [None, None], "image_encoder": [None, None],
    "scheduler": ["diffusers", "DPMSolverMultistepScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
    "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
    "trans_vae": [None, None], "unet": [None, None], "vae": ["diffusers", "AutoencoderKL"],
}


def depth_index(default_steps: int) -> dict:
    """The depth model's index (`MarigoldDepthPipeline`) with its `default_denoising_steps`."""
    return {
        "_class_name": "MarigoldDepthPipeline", "_diffusers_version": "0.37.0",
        "default_denoising_steps": default_steps, "default_processing_resolution": 768,
        "scale_invariant": True, "shift_invariant": True,
        "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": [None, None], "vae": ["diffusers", "AutoencoderKL"],
    }


def write_index(folder: Path, index: dict) -> None:
    (folder / "model_index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
