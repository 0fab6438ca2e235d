"""A tiny random-weight SemanticSam (the paper's SAM-HQ parser) for plumbing tests: 64² input, 2 ViT blocks."""

from __future__ import annotations

from seethrough.core.models.semantic_sam import SemanticSam, SemanticSamConfig

TINY_SAM = SemanticSamConfig(
    class_num=19, encoder_embed_dim=32, encoder_depth=2, encoder_num_heads=2, encoder_global_attn_indexes=(1,),
    img_size=64, window_size=2, prompt_embed_dim=32, transformer_mlp_dim=64, transformer_heads=2,
)


def tiny_semantic_sam(config: SemanticSamConfig = TINY_SAM) -> SemanticSam:
    return SemanticSam(config).eval()
