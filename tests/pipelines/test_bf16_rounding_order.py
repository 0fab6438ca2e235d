"""Where the depth stage rounds to bf16, checked on the values that reach the VAE (elementwise arithmetic, so exact on
every CPU, unlike the network's outputs: tests/pipelines/test_parity_goldens.py compares those within the size of
bf16 rounding). The authors' order (docs/parity.md): each per-layer frame is rounded to the VAE's precision before
the colour padding; the full-page condition is padded from its unrounded colours; both are cast to the VAE's
precision before `× 2 − 1`."""

from __future__ import annotations

import numpy as np
import torch

from seethrough.core.colour_padding import pad_colours_training
from seethrough.core.pipelines.layer_depth import LayerDepthPipeline
from tests.support.parity_release import depth_folder, designed_layers


def _vae_input(rgba: np.ndarray, rounded: bool) -> torch.Tensor:
    rgb = torch.from_numpy(pad_colours_training(rgba, torch.bfloat16 if rounded else None)).permute(2, 0, 1)[None]
    return rgb.to(torch.bfloat16) * 2.0 - 1.0


def test_frames_are_rounded_before_padding_and_the_page_after(tmp_path):
    pipeline = LayerDepthPipeline.load(depth_folder(tmp_path / "depth"))
    pipeline.to("cpu", torch.bfloat16)
    canvas, layers = designed_layers(64, v3=False, seed=9)
    frames = np.stack([layers["hair"], layers["eyes"]])
    seen: list[torch.Tensor] = []
    real_encode = pipeline.vae.encode

    def encode(x, *args, **kwargs):
        seen.append(x.clone())
        return real_encode(x, *args, **kwargs)

    pipeline.vae.encode = encode
    pipeline(frames, canvas, num_inference_steps=1, generator=torch.Generator().manual_seed(0))

    assert len(seen) == 1 + len(frames) + 1  # the page unrounded, then every frame and the page rounded
    assert all(x.dtype == torch.bfloat16 for x in seen)
    page_unrounded, *frame_inputs = seen
    assert torch.equal(page_unrounded, _vae_input(canvas, rounded=False))
    for x, rgba in zip(frame_inputs, [*frames, canvas]):
        assert torch.equal(x, _vae_input(rgba, rounded=True))
    # the two orders give different conditions for this page, so the assertions above can tell them apart
    assert not torch.equal(_vae_input(canvas, rounded=False), _vae_input(canvas, rounded=True))
