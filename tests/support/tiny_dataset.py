"""A small dataset in the exported layout (docs/dataset-layout.md), drawn in code: a face, front and back hair
and a top, each complete (hidden parts included), with drawing-order pseudo-depth. For training tests that must
not depend on the Live2D fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from seethrough.core.decompose.engine import over

#: bottom to top, with their colours
PARTS = {"back hair": (90, 50, 30), "topwear": (40, 140, 70), "face": (250, 215, 185), "front hair": (150, 90, 50)}


def _draw(tag: str, size: int, shift: int) -> np.ndarray:
    rgba = np.zeros((size, size, 4), np.uint8)
    c = size // 2 + shift
    colour = (*PARTS[tag], 255)
    if tag == "back hair":
        cv2.circle(rgba, (c, size // 3), size // 3, colour, -1, cv2.LINE_AA)
    elif tag == "topwear":
        cv2.rectangle(rgba, (c - size // 4, size // 2), (c + size // 4, size - 2), colour, -1)
    elif tag == "face":
        cv2.ellipse(rgba, (c, size // 3 + 2), (size // 5, size // 4), 0, 0, 360, colour, -1, cv2.LINE_AA)
    else:
        cv2.ellipse(rgba, (c, size // 6), (size // 4, size // 10), 0, 0, 360, colour, -1, cv2.LINE_AA)
    return rgba


def write_dataset(root: Path, samples: int = 4, size: int = 64, test_every: int = 4) -> Path:
    entries = []
    tags = list(PARTS)
    for i in range(samples):
        sid = f"toy{i:02d}"
        folder = root / "samples" / sid
        for sub in ("layers", "depth", "visible"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        layers = [_draw(tag, size, shift=(i % 3) - 1) for tag in tags]
        composite = over(layers)
        cv2.imwrite(str(folder / "composite.png"), cv2.cvtColor(composite, cv2.COLOR_RGBA2BGRA))
        for z, (tag, rgba) in enumerate(zip(tags, layers)):
            name = tag.replace(" ", "_")
            cv2.imwrite(str(folder / "layers" / f"{name}.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
            d = 1.0 - z / (len(tags) - 1)  # drawing order → depth, 0 = front
            depth = np.where(rgba[..., 3] > 0, d * 65535, 65535).astype(np.uint16)
            cv2.imwrite(str(folder / "depth" / f"{name}.png"), depth)
        split = "test" if (i + 1) % test_every == 0 else "train"
        entries.append({"id": sid, "model": f"toy{i % 2}", "pose": {}, "split": split, "canvas": [size, size],
                        "tags": tags, "bboxes": {}})
    (root / "dataset.json").write_text(json.dumps({"schema_version": 1, "taxonomy": "v3", "tags": tags,
                                                   "samples": entries}), encoding="utf-8")
    return root
