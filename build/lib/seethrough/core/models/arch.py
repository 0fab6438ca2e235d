"""The released See-through architectures as configs, and their state-dict shapes built on the meta device.

`ARCHITECTURES[name]` is the config a `from_pretrained` of the released folder would produce (written down from
the authors' `common/assets/layerdiff3d.json` / `marigold3d.json` and the release notes): `layers-v2`
(seethroughv0.0.1_layerdiff3d, the paper's 19 classes), `layers-v3` (seethroughv0.0.2_layerdiff3d, 23 tags,
group embeddings), `depth` (seethroughv0.0.1_marigold, 12 input channels) and `trans-vae`.
`state_dict_shapes(name)` costs no memory: every parameter lives on the meta device.
"""

from __future__ import annotations

import functools
from typing import Any

LAYER_UNET_V2: dict[str, Any] = {
    "sample_size": 128,
    "in_channels": 8,
    "out_channels": 4,
    "down_block_types": ["DownBlock2D", "CrossFrameAttnDownBlock", "CrossFrameAttnDownBlock"],
    "mid_block_type": "UNetMidBlockCrossFrameAttn",
    "up_block_types": ["CrossFrameAttnUpBlock", "CrossFrameAttnUpBlock", "UpBlock2D"],
    "block_out_channels": [320, 640, 1280],
    "layers_per_block": 2,
    "transformer_layers_per_block": [1, 2, 10],
    "attention_head_dim": [5, 10, 20],
    "cross_attention_dim": 2048,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
    "use_linear_projection": True,
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "group_embedding": False,
    "tag_version": "v2",
}

LAYER_UNET_V3: dict[str, Any] = {
    **LAYER_UNET_V2,
    "group_embedding": True,
    "group_embedding_num": [13, 11],
    "tag_version": "v3",
}

DEPTH_UNET: dict[str, Any] = {
    "sample_size": 96,
    "in_channels": 12,
    "out_channels": 4,
    "down_block_types": ["CrossFrameAttnDownBlock", "CrossFrameAttnDownBlock", "CrossFrameAttnDownBlock",
                         "DownBlock2D"],
    "mid_block_type": "UNetMidBlockCrossFrameAttn",
    "up_block_types": ["UpBlock2D", "CrossFrameAttnUpBlock", "CrossFrameAttnUpBlock", "CrossFrameAttnUpBlock"],
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "transformer_layers_per_block": 1,
    "attention_head_dim": [5, 10, 20, 20],
    "cross_attention_dim": 1024,
    "addition_embed_type": None,
    "use_linear_projection": True,
    "upcast_attention": False,
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "group_embedding": False,
    "tag_version": "v2",
}

TRANS_VAE: dict[str, Any] = {}

#: name → (model class name, config)
ARCHITECTURES: dict[str, tuple[str, dict[str, Any]]] = {
    "layers-v2": ("UNetFrameConditionModel", LAYER_UNET_V2),
    "layers-v3": ("UNetFrameConditionModel", LAYER_UNET_V3),
    "depth": ("UNetFrameConditionModel", DEPTH_UNET),
    "trans-vae": ("TransparentVAE", TRANS_VAE),
}

#: architecture name → key of that architecture in the reference key file
REFERENCE_KEYS = {
    "layers-v2": "layerdiff3d_unet",
    "layers-v3": "layerdiff3d_unet_v3",
    "depth": "marigold3d_unet",
    "trans-vae": "trans_vae",
}


def build_meta(name: str) -> Any:
    """The full-size model `name` with every tensor on the meta device (no memory, no init cost)."""
    import torch

    if name not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    class_name, config = ARCHITECTURES[name]
    with torch.device("meta"):
        if class_name == "TransparentVAE":
            from seethrough.core.models.transparent_vae import TransparentVAE

            return TransparentVAE(**config)
        from seethrough.core.models.layer_unet import UNetFrameConditionModel

        return UNetFrameConditionModel(**config)


@functools.cache
def _shapes_and_count(name: str) -> tuple[tuple[tuple[str, tuple[int, ...]], ...], int]:
    model = build_meta(name)
    shapes = tuple((k, tuple(v.shape)) for k, v in sorted(model.state_dict().items()))
    return shapes, sum(p.numel() for p in model.parameters())


def state_dict_shapes(name: str) -> dict[str, list[int]]:
    """State-dict key → shape of the full-size architecture `name`, sorted by key."""
    return {k: list(shape) for k, shape in _shapes_and_count(name)[0]}


def parameter_count(name: str) -> int:
    """Number of parameters of the full-size architecture `name`."""
    return _shapes_and_count(name)[1]
