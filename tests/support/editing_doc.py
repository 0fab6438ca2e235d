"""A small document whose pixels every selection and transform test can predict, saved as a project a test opens
in the window (File ▸ Open) and the CLI replays on.

240×180: "paper" (opaque grey over the whole canvas, far) and "shapes" above it (near) holding three squares:
A red at (20, 20)–(80, 80), B pink right beside it at (80, 20)–(120, 80) (at most 20 levels from A in any channel),
C red again, apart, at (160, 100)–(200, 140); transparent elsewhere (its box is theirs: (20, 20)–(200, 140)).
The source illustration is their composite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer, crop_to_content
from seethrough.core.io.project import save_project

SIZE = (240, 180)
RED, PINK, PAPER = (200, 30, 30), (220, 40, 40), (230, 230, 230)
A, B, C = (20, 20, 80, 80), (80, 20, 120, 80), (160, 100, 200, 140)


def _paint(rgba: np.ndarray, box: tuple[int, int, int, int], rgb: tuple[int, int, int]) -> None:
    x0, y0, x1, y1 = box
    rgba[y0:y1, x0:x1, :3] = rgb
    rgba[y0:y1, x0:x1, 3] = 255


def editing_document() -> Document:
    w, h = SIZE
    paper = np.zeros((h, w, 4), np.uint8)
    _paint(paper, (0, 0, w, h), PAPER)
    shapes = np.zeros((h, w, 4), np.uint8)
    for box, rgb in ((A, RED), (B, PINK), (C, RED)):
        _paint(shapes, box, rgb)
    pixels, depth, offset = crop_to_content(shapes, np.full((h, w), 0.3, np.float32), (0, 0))
    layers = [
        Layer("paper", paper, tag="back hair", depth=np.full((h, w), 0.9, np.float32), depth_value=0.9),
        Layer("shapes", pixels, offset, tag="topwear", depth=depth, depth_value=0.3),
    ]
    source = composite(layers, SIZE)
    return Document(SIZE, layers, source=source)


def box_mask(box: tuple[int, int, int, int], size: tuple[int, int] = SIZE) -> np.ndarray:
    """The canvas mask of a pixel box: 255 inside."""
    out = np.zeros((size[1], size[0]), np.uint8)
    x0, y0, x1, y1 = box
    out[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 255
    return out


def save_editing_document(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "editing.stproj"
    save_project(editing_document(), path)
    return path
