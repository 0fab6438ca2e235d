"""Small documents built in code for the file I/O tests (64–128 px, a few layers with real structure)."""

from __future__ import annotations

import numpy as np

from seethrough.core.document import Document, Layer


def blob(h: int, w: int, colour: tuple[int, int, int], seed: int) -> np.ndarray:
    """An opaque ellipse with a soft edge and some texture, transparent corners (so offsets matter)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = ((yy - h / 2) / (h / 2)) ** 2 + ((xx - w / 2) / (w / 2)) ** 2
    alpha = np.clip((1.0 - r) * 4.0, 0, 1)
    rgba = np.zeros((h, w, 4), np.uint8)
    noise = rng.integers(-20, 21, size=(h, w, 3))
    rgba[..., :3] = np.clip(np.asarray(colour)[None, None, :] + noise, 0, 255)
    rgba[..., 3] = np.rint(alpha * 255).astype(np.uint8)
    rgba[rgba[..., 3] == 0, :3] = 0  # fully transparent pixels carry no colour (PSD stores them as is anyway)
    return rgba


def depth_ramp(h: int, w: int, lo: float, hi: float) -> np.ndarray:
    return np.linspace(lo, hi, h * w, dtype=np.float32).reshape(h, w)


def make_doc(with_empty: bool = False) -> Document:
    """Five layers bottom→top: back hair, topwear, face (hidden), front hair (opacity 0.5), handwear-r."""
    specs = [
        ("back hair", "back hair", (40, 30, 90), (10, 4), (60, 70), 0.9, True, 1.0),
        ("topwear", "topwear", (200, 60, 60), (20, 50), (56, 30), 0.6, True, 1.0),
        ("face", "face", (250, 220, 200), (30, 14), (36, 40), 0.4, False, 1.0),
        ("front hair", "front hair", (60, 40, 120), (24, 6), (48, 26), 0.2, True, 0.5),
        ("handwear-r", "handwear", (240, 200, 180), (4, 60), (18, 16), 0.1, True, 1.0),
    ]
    layers = []
    for i, (name, tag, colour, (x, y), (h, w), d, visible, opacity) in enumerate(specs):
        rgba = blob(h, w, colour, seed=i)
        layers.append(
            Layer(
                name=name,
                rgba=rgba,
                offset=(x, y),
                tag=tag,
                depth=depth_ramp(h, w, d - 0.05, d + 0.05),
                depth_value=d,
                visible=visible,
                opacity=opacity,
                locked=(i == 1),
                provenance="test",
            )
        )
    if with_empty:
        layers.insert(2, Layer(name="objects", rgba=np.zeros((8, 8, 4), np.uint8), offset=(1, 1), tag="objects"))
    source = np.zeros((80, 96, 4), np.uint8)
    source[..., 0] = np.arange(96, dtype=np.uint8)[None, :]
    source[..., 3] = 255
    return Document((96, 80), layers, source=source, metadata={"note": "test doc", "nested": {"k": [1, 2]}})


def with_layer(doc: Document, index: int, **changes: object) -> Document:
    """A new document equal to `doc` but for layer `index`, rebuilt with `changes` (layers are immutable)."""
    from dataclasses import replace

    layers = list(doc.layers)
    layers[index] = replace(layers[index], **changes)  # type: ignore[arg-type]
    return Document(doc.size, layers, source=doc.source, metadata=doc.metadata)
