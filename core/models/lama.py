"""LaMa inpainting from a local TorchScript file (the `big-lama.pt` that IOPaint / lama-cleaner ship).

The file format: a TorchScript module `forward(image, mask) -> image`, with `image` (1, 3, H, W) float RGB in
[0, 1], `mask` (1, 1, H, W) float in {0, 1} (1 = invent), H and W multiples of 8, and the result (1, 3, H, W) in
[0, 1]. Only this TorchScript form is read: the authors' Lightning checkpoint of the FFC generator
(`lama_large_512px.ckpt`) would need the generator's code, which this project does not carry.

Where it is looked for (never downloaded): `$SEETHROUGH_LAMA` (a file), `big-lama.pt` in the model search folders
(`core.models.catalog.search_paths`: the setting, `$SEETHROUGH_MODELS`, the user data folder), then torch hub's
checkpoint folder where IOPaint and lama-cleaner put it (`~/.cache/torch/hub/checkpoints/big-lama.pt`).

Large images are never run whole: each cluster of masked pixels is cut out with context around it, scaled down to
at most `max_side` when larger, inpainted, scaled back, and only its masked pixels are pasted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from seethrough.core.errors import BadInput, ModelNotFound

FILE_NAME = "big-lama.pt"
ENV_VAR = "SEETHROUGH_LAMA"
#: MD5 of IOPaint's / lama-cleaner's released big-lama.pt (their download is checked against it)
RELEASED_MD5 = "e3aa4aaa15225a33ec84f9f4bc47e500"
HOW_TO_GET = (
    "LaMa is optional: put IOPaint's big-lama.pt (released with lama-cleaner; MD5 " + RELEASED_MD5 + ") in the "
    "models folder or point $SEETHROUGH_LAMA at it"
)


def candidate_files(extra: Iterable[Path | str] = ()) -> list[Path]:
    from seethrough.core.models.catalog import search_paths

    files = []
    env = os.environ.get(ENV_VAR)
    if env:
        files.append(Path(env).expanduser())
    files += [root / FILE_NAME for root, _ in search_paths(extra)]
    files += [root / "lama" / FILE_NAME for root, _ in search_paths(extra)]
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    files.append(torch_home / "hub" / "checkpoints" / FILE_NAME)
    return files


def find_lama(extra: Iterable[Path | str] = ()) -> Path:
    for path in candidate_files(extra):
        if path.is_file():
            return path
    raise ModelNotFound(f"LaMa weights not found ({FILE_NAME}); {HOW_TO_GET}")


class LamaInpainter:
    """`fn(rgb, mask) -> rgb` (the core.inpaint contract) backed by a TorchScript LaMa, loaded on first use."""

    def __init__(self, path: Path | str, device: str = "cpu", max_side: int = 1024, context: float = 0.5) -> None:
        self.path = Path(path)
        self.device = device
        self.max_side = max_side
        self.context = context
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # a torch.jit.ScriptModule
        import torch

        with self._lock:
            if self._model is None:
                try:
                    model = torch.jit.load(str(self.path), map_location="cpu")
                except (RuntimeError, ValueError, OSError) as exc:
                    raise BadInput(f"{self.path}: not a TorchScript LaMa model ({str(exc).splitlines()[0]})") from exc
                self._model = model.to(self.device).eval()
        return self._model

    def __call__(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        rgb = np.asarray(rgb)
        mask = np.asarray(mask, bool)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or mask.shape != rgb.shape[:2]:
            raise BadInput(f"LaMa needs (H, W, 3) uint8 and an (H, W) mask, got {rgb.shape} {rgb.dtype}, {mask.shape}")
        out = rgb.copy()
        for x0, y0, x1, y1 in self.tiles(mask):
            crop, hole = rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1]
            filled = self._run(crop, hole)
            out[y0:y1, x0:x1][hole] = filled[hole]
        return out

    def tiles(self, mask: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Boxes with context around each cluster of masked pixels (clusters closer than the context merge)."""
        h, w = mask.shape
        if not mask.any():
            return []
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        boxes = []
        for i in range(1, count):
            x, y, bw, bh = (int(v) for v in stats[i, :4])
            pad = max(16, int(self.context * max(bw, bh)))
            boxes.append([max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)])
        merged = True
        while merged:  # overlapping boxes become one, so a pixel is inpainted once, with all its context
            merged = False
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    a, b = boxes[i], boxes[j]
                    if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                        boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                        del boxes[j]
                        merged = True
                        break
                if merged:
                    break
        return [(a, b, c, d) for a, b, c, d in boxes]

    def _run(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        import torch

        h, w = hole.shape
        scale = min(1.0, self.max_side / max(h, w))
        sh, sw = max(8, round(h * scale)), max(8, round(w * scale))
        small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        small_hole = cv2.resize(hole.astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST) if scale < 1 \
            else hole.astype(np.uint8)
        ph, pw = -sh % 8, -sw % 8
        image = np.pad(small, ((0, ph), (0, pw), (0, 0)), mode="symmetric")
        holes = np.pad(small_hole, ((0, ph), (0, pw)), mode="symmetric")
        model = self._load()
        with torch.inference_mode():
            x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255).to(self.device)
            m = torch.from_numpy(holes)[None, None].float().to(self.device)
            y = model(x, m)
        result = (y[0].permute(1, 2, 0).float().cpu().numpy()[:sh, :sw] * 255).clip(0, 255) + 0.5
        result = result.astype(np.uint8)
        return cv2.resize(result, (w, h), interpolation=cv2.INTER_CUBIC) if scale < 1 else result


def load_inpainter(extra: Iterable[Path | str] = (), device: str | None = None) -> LamaInpainter:
    """The installed LaMa (ModelNotFound when there is none), on the GPU when one is there."""
    path = find_lama(extra)
    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    return LamaInpainter(path, device=device)
