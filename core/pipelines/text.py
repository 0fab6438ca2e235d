"""Tag conditioning of the layer model: each frame's prompt is its tag name through SDXL's two text encoders.

Following `docs/authors-pipeline.md` §2.3: tokenise with both tokenizers (77 tokens, padded, truncated), take the
penultimate hidden states of both encoders (768 + 1280 → 2048 per token) and the projected pooled output of the
second (1280). Embeddings are cached per tag string, so the encoders can be unloaded after the first use. The tags
of one request are encoded together in one batch, as the authors encode each pass's tag list (batched attention
is not bit-identical to one prompt at a time: up to 3.4e-4 on the latents with the tiny models).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


class TagEmbeddingCache:
    """Encodes tag strings once; `get(tags)` returns (prompt_embeds (F, 77, D), pooled (F, P)) on CPU."""

    def __init__(self, tokenizer, tokenizer_2, text_encoder, text_encoder_2,  # noqa: ANN001 - HF types
                 device: Callable[[], torch.device] | None = None) -> None:
        """`device`: where the encoders compute (a pipeline's execution device: with CPU offload the encoders sit on
        the CPU until their forward moves them); None = the first encoder's own device."""
        self.device = device
        self.tokenizer, self.tokenizer_2 = tokenizer, tokenizer_2
        self.text_encoder, self.text_encoder_2 = text_encoder, text_encoder_2
        self._cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    @torch.no_grad()
    def _encode(self, tags: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        hidden_states = []
        pooled = None
        for tokenizer, encoder in ((self.tokenizer, self.text_encoder), (self.tokenizer_2, self.text_encoder_2)):
            ids = tokenizer(
                tags,
                padding="max_length",
                max_length=tokenizer.model_max_length,
                truncation=True,
                return_tensors="pt",
            ).input_ids.to(self.device() if self.device is not None else encoder.device)
            out = encoder(ids, output_hidden_states=True)
            hidden_states.append(out.hidden_states[-2])
            pooled = out[0]  # the last encoder's projected pooled output (text_embeds)
        assert pooled is not None
        return torch.cat(hidden_states, dim=-1).float().cpu(), pooled.float().cpu()

    def get(self, tags: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        missing = list(dict.fromkeys(t for t in tags if t not in self._cache))
        if missing:
            if self.text_encoder is None:
                raise RuntimeError(f"tag {missing[0]!r} is not cached and the text encoders were unloaded")
            embeds, pooled = self._encode(missing)
            for i, tag in enumerate(missing):
                self._cache[tag] = (embeds[i], pooled[i])
        embeds = torch.stack([self._cache[t][0] for t in tags])
        pooled = torch.stack([self._cache[t][1] for t in tags])
        return embeds, pooled

    def unload_encoders(self) -> None:
        """Free the text encoders (≈ 2 GB in bf16) once every needed tag is cached."""
        self.text_encoder = self.text_encoder_2 = None
