"""The `samhq` seed provider: the paper's 19-class SAM-HQ body parser (`core.models.semantic_sam`).

The render (fitted to the character, as the authors crop to the character's instance) is premultiplied, i.e.
composited on black (the authors feed the RGB of `compose_from_drawables`, which premultiplies by default), parsed,
and each of the paper's 19 classes (v2 order, `core.taxonomy`) becomes a binary map where its logit is > 0, as in
the authors' `sam_infer_l2d`; the vote then scores |visible ∩ mask| / visible per mesh. Its `hair` and `eyes` are
v2 tags: the labeller's draw-order splits turn them into front/back hair and the eye sub-parts.

Installed when the catalogue finds `24yearsold/l2d_sam_iter2` (`checkpoint-18000.pt`); the model is loaded once
per provider, on the GPU when there is one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seethrough.annotation.seeds import Maps, SeedContext, register_seed_provider


class SamHQProvider:
    name = "samhq"
    learned = True

    def __init__(self, model: Any = None, classes: tuple[str, ...] | None = None) -> None:
        self._model = model
        self._classes = classes

    def _get_model(self) -> Any:
        if self._model is None:
            import torch

            from seethrough.core.models.catalog import find_model
            from seethrough.core.models.semantic_sam import load_semantic_sam

            location = find_model("samhq")
            device = "cuda" if torch.cuda.is_available() else "cpu"
            dtype = torch.bfloat16 if device == "cuda" else torch.float32
            self._model = load_semantic_sam(location.path, device=device, dtype=dtype)
        return self._model

    @property
    def classes(self) -> tuple[str, ...]:
        if self._classes is None:
            from seethrough.core.taxonomy import taxonomy

            self._classes = tuple(taxonomy().v2)
        return self._classes

    def maps(self, ctx: SeedContext) -> Maps:
        rgba = ctx.image.astype(np.float32) / 255.0
        rgb = rgba[..., :3] * rgba[..., 3:]  # premultiplied: on black, as the authors' compose_from_drawables
        logits = self._get_model().predict((rgb * 255.0 + 0.5).astype(np.uint8))
        if logits.shape[0] != len(self.classes):
            raise ValueError(f"the parser predicts {logits.shape[0]} classes, expected {len(self.classes)}")
        return {tag: (logits[i] > 0).astype(np.float32) for i, tag in enumerate(self.classes)}


def installed() -> bool:
    from seethrough.core.errors import ModelNotFound
    from seethrough.core.models.catalog import find_model

    try:
        find_model("samhq")
    except ModelNotFound:
        return False
    return True


def register() -> None:
    register_seed_provider("samhq", SamHQProvider, installed)
