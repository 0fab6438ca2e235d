"""The paper's 2D body parser: SAM-HQ with one mask decoder head per class (section 3.1.3), weight-compatible
with the authors' `SemanticSam` release `24yearsold/l2d_sam_iter2` (`checkpoint-18000.pt`, ViT-H, 19 classes).

Facts from the authors' code (`common/modules/semanticsam.py`, `extend_sam.py`; written down in
`docs/semantic-sam.md`, key list in `tests/data/semantic-sam-state-dict-keys.json`):

- module tree: `img_adapter.sam_img_encoder` (SAM ViT image encoder that also returns the output of each
  global-attention block), `prompt_adapter.sam_prompt_encoder` (SAM prompt encoder, used without prompts),
  `mask_adapter.sam_mask_decoder` (the SAM-HQ mask decoder *without* its `output_hypernetworks_mlps` and
  `hf_mlp`), and per class `mask_adapter.output_hypernetworks_mlps[c]` and `mask_adapter.hf_mlps[c]` (3-layer MLPs
  256→256→32);
- forward: no prompts (sparse embeddings empty, dense = `no_mask_embed`); the two-way transformer runs on
  [iou token, 4 mask tokens, HQ token]; class c's mask = hypernet_c(mask token 1) · upscaled embedding +
  hf_c(HQ token) · (embedding_maskfeature(upscaled) + embedding_encoder(image embedding) +
  compress_vit_feat(first global block's output)); logits at a quarter of the input size;
- inference: RGB resized so its long side is 1024, centre-padded to 1024², normalised with ImageNet mean/std × 255;
  logits cropped and resized back; a class is present where its logit is > 0.

The SAM-HQ building blocks come from the `segment-anything-hq` package. Its package `__init__` imports TinyViT,
which needs `timm`, so its `modeling` modules are loaded on their own (`_samhq_modeling`): the ViT encoder, prompt
encoder, HQ decoder and two-way transformer are plain torch modules with the parameter names the checkpoint uses.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seethrough.core.errors import BadInput, ModelNotFound

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
CHECKPOINT = "checkpoint-18000.pt"


def _samhq_modeling() -> types.ModuleType:
    """`segment_anything_hq.modeling` loaded without the package `__init__` (which imports timm for TinyViT)."""
    name = "_seethrough_samhq_modeling"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec("segment_anything_hq")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound("the SAM-HQ parser needs the 'segment-anything-hq' package "
                            "(pip install segment-anything-hq)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "modeling"
    package = types.ModuleType(name)
    package.__path__ = [str(folder)]
    sys.modules[name] = package
    for sub in ("common", "image_encoder", "prompt_encoder", "transformer", "mask_decoder_hq"):
        setattr(package, sub, importlib.import_module(f"{name}.{sub}"))
    return package


@dataclass(frozen=True)
class SemanticSamConfig:
    """Defaults = the released model: SAM-HQ ViT-H (`h_hq`), 19 classes."""

    class_num: int = 19
    encoder_embed_dim: int = 1280
    encoder_depth: int = 32
    encoder_num_heads: int = 16
    encoder_global_attn_indexes: tuple[int, ...] = (7, 15, 23, 31)
    img_size: int = 1024
    patch_size: int = 16
    window_size: int = 14
    prompt_embed_dim: int = 256
    transformer_depth: int = 2
    transformer_mlp_dim: int = 2048
    transformer_heads: int = 8
    mask_in_chans: int = 16


class _Holder(nn.Module):
    """An adapter that only holds a module under the authors' attribute name (for matching state-dict keys)."""

    def __init__(self, **modules: nn.Module) -> None:
        super().__init__()
        for k, v in modules.items():
            setattr(self, k, v)


class SemanticMaskDecoder(nn.Module):
    """`mask_adapter`: the SAM-HQ decoder's shared parts plus one hypernetwork MLP pair per class."""

    sam_mask_decoder: Any  # segment_anything_hq's MaskDecoderHQ (untyped)

    def __init__(self, decoder: Any, class_num: int, mlp_cls: Any) -> None:
        super().__init__()
        dim = int(decoder.transformer_dim)
        del decoder.output_hypernetworks_mlps  # replaced by the per-class heads below
        del decoder.hf_mlp
        self.sam_mask_decoder = decoder
        self.class_num = class_num
        self.num_mask_tokens = int(decoder.num_mask_tokens)  # 4 SAM mask tokens + the HQ token
        self.hf_token_idx = self.num_mask_tokens
        self.output_hypernetworks_mlps = nn.ModuleList(mlp_cls(dim, dim, dim // 8, 3) for _ in range(class_num))
        self.hf_mlps = nn.ModuleList(mlp_cls(dim, dim, dim // 8, 3) for _ in range(class_num))

    def forward(self, image_embeddings: torch.Tensor, image_pe: torch.Tensor, sparse: torch.Tensor,
                dense: torch.Tensor, interm: list[torch.Tensor], mask_scale: int = 1) -> torch.Tensor:
        dec = self.sam_mask_decoder
        b = image_embeddings.shape[0]
        vit_features = interm[0].permute(0, 3, 1, 2)
        hq_features = dec.embedding_encoder(image_embeddings) + dec.compress_vit_feat(vit_features)
        tokens = torch.cat([dec.iou_token.weight, dec.mask_tokens.weight, dec.hf_token.weight], dim=0)
        tokens = torch.cat([tokens.unsqueeze(0).expand(b, -1, -1), sparse.expand(b, -1, -1)], dim=1)
        src = image_embeddings + dense
        pos = torch.repeat_interleave(image_pe, b, dim=0)
        hs, src = dec.transformer(src, pos, tokens)
        c, h, w = src.shape[-1], image_embeddings.shape[-2], image_embeddings.shape[-1]
        upscaled = dec.output_upscaling(src.transpose(1, 2).reshape(b, c, h, w))
        mask_token = hs[:, 1 + mask_scale, :]
        hq_token = hs[:, self.hf_token_idx, :]
        hyper = torch.stack([mlp(mask_token) for mlp in self.output_hypernetworks_mlps], dim=1)
        hyper_hq = torch.stack([mlp(hq_token) for mlp in self.hf_mlps], dim=1)
        bb, cc, hh, ww = upscaled.shape
        masks = (hyper @ upscaled.reshape(bb, cc, hh * ww)).reshape(bb, -1, hh, ww)
        upscaled_hq = dec.embedding_maskfeature(upscaled) + hq_features
        masks_hq = (hyper_hq @ upscaled_hq.reshape(bb, cc, hh * ww)).reshape(bb, -1, hh, ww)
        return masks + masks_hq


class SemanticSam(nn.Module):
    """Closed-set SAM-HQ: image → `class_num` mask logits (B, C, S/4, S/4) for a normalised (B, 3, S, S) input."""

    img_adapter: Any
    prompt_adapter: Any
    mask_adapter: SemanticMaskDecoder

    def __init__(self, config: SemanticSamConfig | None = None) -> None:
        super().__init__()
        cfg = self.config = config or SemanticSamConfig()
        m = _samhq_modeling()
        grid = cfg.img_size // cfg.patch_size
        encoder = m.image_encoder.ImageEncoderViT(
            img_size=cfg.img_size, patch_size=cfg.patch_size, embed_dim=cfg.encoder_embed_dim,
            depth=cfg.encoder_depth, num_heads=cfg.encoder_num_heads, mlp_ratio=4.0,
            out_chans=cfg.prompt_embed_dim, qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6),
            use_rel_pos=True, window_size=cfg.window_size,
            global_attn_indexes=tuple(cfg.encoder_global_attn_indexes),
        )
        prompt = m.prompt_encoder.PromptEncoder(
            embed_dim=cfg.prompt_embed_dim, image_embedding_size=(grid, grid),
            input_image_size=(cfg.img_size, cfg.img_size), mask_in_chans=cfg.mask_in_chans,
        )
        decoder = m.mask_decoder_hq.MaskDecoderHQ(
            num_multimask_outputs=3,
            transformer=m.transformer.TwoWayTransformer(
                depth=cfg.transformer_depth, embedding_dim=cfg.prompt_embed_dim, mlp_dim=cfg.transformer_mlp_dim,
                num_heads=cfg.transformer_heads,
            ),
            transformer_dim=cfg.prompt_embed_dim, iou_head_depth=3, iou_head_hidden_dim=256,
            vit_dim=cfg.encoder_embed_dim,
        )
        self.img_adapter = _Holder(sam_img_encoder=encoder)
        self.prompt_adapter = _Holder(sam_prompt_encoder=prompt)
        self.mask_adapter = SemanticMaskDecoder(decoder, cfg.class_num, m.mask_decoder_hq.MLP)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        embeddings, interm = self.img_adapter.sam_img_encoder(images)
        prompt = self.prompt_adapter.sam_prompt_encoder
        sparse, dense = prompt(points=None, boxes=None, masks=None)
        return self.mask_adapter(embeddings, prompt.get_dense_pe(), sparse, dense, interm)

    @torch.no_grad()
    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB → (class_num, H, W) float32 logits (present where > 0), as the authors infer."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise BadInput(f"the parser needs an (H, W, 3) RGB image, got {rgb.shape}")
        param = next(self.parameters())
        size = self.config.img_size
        h, w = rgb.shape[:2]
        scale = size / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].to(torch.float32)
        x = F.interpolate(x, (nh, nw), mode="bilinear", align_corners=False, antialias=True)
        top, left = (size - nh) // 2, (size - nw) // 2
        x = F.pad(x, (left, size - nw - left, top, size - nh - top))
        mean = torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(PIXEL_STD).view(1, 3, 1, 1)
        x = ((x - mean) / std).to(param.device, param.dtype)
        logits = F.interpolate(self(x).float(), (size, size), mode="bilinear", align_corners=False)
        logits = logits[..., top : top + nh, left : left + nw]
        logits = F.interpolate(logits, (h, w), mode="bilinear", align_corners=False)
        return logits[0].cpu().numpy()


def load_semantic_sam(path: Path | str, config: SemanticSamConfig | None = None,
                      device: str = "cpu", dtype: torch.dtype = torch.float32) -> SemanticSam:
    """Build the parser and load a checkpoint file (or a folder holding `checkpoint-18000.pt`).

    The authors load with strict=False after unwrapping a `state_dict` key; here every parameter of the model must
    be in the file (a missing head would silently predict noise), and extra keys are reported as an error too."""
    file = Path(path).expanduser()
    if file.is_dir():
        file = file / CHECKPOINT
    if not file.is_file():
        raise ModelNotFound(f"SAM-HQ parser checkpoint not found: {file}")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torch pickle can fail in many ways; say which file
        raise BadInput(f"{file} is not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})") from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    model = SemanticSam(config)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        few = ", ".join([*result.missing_keys[:3], *result.unexpected_keys[:3]])
        raise BadInput(f"{file} does not fit the SAM-HQ parser: {len(result.missing_keys)} missing and "
                       f"{len(result.unexpected_keys)} unexpected weights (e.g. {few})")
    return model.to(device, dtype).eval()
