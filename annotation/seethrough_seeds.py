"""The `seethrough` seed provider: the installed See-through layer model decomposes the render.

Each tag layer's alpha (0..1, on the render's own canvas) is that tag's score map: the layer model already speaks
the project's taxonomy, so no extra weights are needed. Several poses vote through `annotation.seeds.vote`.
Depth is not run (only the layers are needed). The engine is loaded once per provider and reused for every pose.

`installed()` asks the model catalogue (no torch import); the weights are found like `decompose` finds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seethrough.annotation.seeds import Maps, SeedContext, register_seed_provider
from seethrough.core.decompose.options import DecomposeOptions


class SeeThroughProvider:
    name = "seethrough"
    learned = True

    def __init__(self, options: DecomposeOptions | None = None, engine: Any = None) -> None:
        self.options = (options or DecomposeOptions()).with_(depth=False, lr_split=False)
        self._engine = engine

    def _get_engine(self) -> Any:
        if self._engine is None:
            from seethrough.core.decompose.engine import load_engine

            self._engine = load_engine(self.options)
        return self._engine

    def maps(self, ctx: SeedContext) -> Maps:
        image = np.ascontiguousarray(ctx.image)
        doc = self._get_engine().decompose(image, self.options)
        height, width = image.shape[:2]
        maps: Maps = {}
        for layer in doc.layers:
            if not layer.tag:
                continue
            alpha = np.zeros((height, width), np.float32)
            x, y = layer.offset
            h, w = layer.rgba.shape[:2]
            x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
            if x1 > x0 and y1 > y0:
                alpha[y0:y1, x0:x1] = layer.rgba[y0 - y : y1 - y, x0 - x : x1 - x, 3] / 255.0
            tag = layer.tag
            maps[tag] = np.maximum(maps[tag], alpha) if tag in maps else alpha
        return maps


def installed() -> bool:
    from seethrough.core.errors import ModelNotFound
    from seethrough.core.models.catalog import find_model

    try:
        find_model("layers")
    except ModelNotFound:
        return False
    return True


def register() -> None:
    register_seed_provider("seethrough", SeeThroughProvider, installed)
