"""`seethrough-gui eval`: decompose a dataset's test split and compare with the ground-truth layers (paper Table 1).

Per sample and tag present in the ground truth: PSNR and SSIM of the layer composited on white (both cropped to
the union of their boxes), and for every tag the alpha-mask Dice loss and MSE; with a depth model, AbsRel and δ1
of each layer's depth (scale/shift-aligned) inside its ground-truth alpha. LPIPS and FID need pretrained networks
that are never downloaded here: they are computed only when `torchmetrics` and its weights are available locally,
and the report says so otherwise. Writes `report.json` and a markdown summary beside it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.core.decompose.engine import load_engine
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.core.io.atomic import atomic_write_bytes
from seethrough.core.metrics import psnr, ssim
from seethrough.core.taxonomy import taxonomy
from seethrough.training.augment import over_background
from seethrough.training.data import LayerDataset
from seethrough.training.metrics import depth_metrics, mask_dice_loss, mask_mse

WHITE = np.full((1, 1, 3), 255, np.uint8)


def _union_box(a: np.ndarray, b: np.ndarray) -> tuple[slice, slice] | None:
    ys, xs = np.nonzero((a[..., 3] > 10) | (b[..., 3] > 10))
    if len(xs) == 0:
        return None
    return slice(int(ys.min()), int(ys.max()) + 1), slice(int(xs.min()), int(xs.max()) + 1)


def compare_layers(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Image and mask metrics of one predicted layer against its ground truth (both full-canvas RGBA)."""
    out = {"mask_dice": mask_dice_loss(pred[..., 3], truth[..., 3]), "mask_mse": mask_mse(pred[..., 3], truth[..., 3])}
    box = _union_box(pred, truth)
    if box is not None:
        a = over_background(pred[box], np.broadcast_to(WHITE, pred[box].shape[:2] + (3,)))
        b = over_background(truth[box], np.broadcast_to(WHITE, truth[box].shape[:2] + (3,)))
        out["psnr"] = psnr(a, b)
        out["ssim"] = ssim(a, b) if min(a.shape[:2]) >= 7 else float("nan")
    return out


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def evaluate(
    model: Path,
    data: Path,
    output: Path,
    depth_model: Path | None = None,
    split: str = "test",
    resolution: int = 1024,
    steps: int = 30,
    limit: int | None = None,
) -> dict[str, Any]:
    dataset = LayerDataset(data, split=split)
    options = DecomposeOptions(
        tagset="v3" if dataset.taxonomy == "v3" else "v2", resolution=resolution, steps=steps,
        layer_model=Path(model), depth_model=Path(depth_model) if depth_model else None, depth=depth_model is not None,
        depth_resolution=min(768, resolution),
    )
    engine = load_engine(options)
    per_sample = []
    for index in range(len(dataset) if limit is None else min(limit, len(dataset))):
        sample = dataset.load(index)
        doc = engine.decompose(sample.composite, options)
        predicted = {layer.tag: layer for layer in doc.layers}
        row: dict[str, Any] = {"id": dataset.entries[index].id, "tags": {}}
        for tag in taxonomy().tags(options.tagset):
            truth = sample.layers.get(tag)
            layer = predicted.get(tag)
            pred = layer.on_canvas(doc.size) if layer is not None else np.zeros_like(sample.composite)
            if truth is None:
                truth = np.zeros_like(sample.composite)
                row["tags"][tag] = {"mask_dice": mask_dice_loss(pred[..., 3], truth[..., 3]),
                                    "mask_mse": mask_mse(pred[..., 3], truth[..., 3]), "in_truth": False}
                continue
            metrics = compare_layers(pred, truth)
            if layer is not None and layer.depth is not None and tag in sample.depths:
                valid = truth[..., 3] > 127
                if valid.sum() >= 2:
                    d = depth_metrics(layer.depth_on_canvas(doc.size) + 0.01, sample.depths[tag] + 0.01, valid,
                                      align=True)
                    metrics.update({"abs_rel": d["abs_rel"], "delta1": d["delta1"]})
            row["tags"][tag] = {**metrics, "in_truth": True}
        per_sample.append(row)

    def collect(key: str, in_truth_only: bool) -> list[float]:
        return [m[key] for r in per_sample for m in r["tags"].values()
                if key in m and (m["in_truth"] or not in_truth_only)]

    summary = {
        "samples": len(per_sample),
        "psnr": _mean(collect("psnr", True)),
        "ssim": _mean(collect("ssim", True)),
        "mask_dice": _mean(collect("mask_dice", False)),
        "mask_mse": _mean(collect("mask_mse", False)),
        "abs_rel": _mean(collect("abs_rel", True)) if depth_model else None,
        "delta1": _mean(collect("delta1", True)) if depth_model else None,
        "lpips": None,
        "fid": None,
        "unavailable": {
            "lpips": "needs pretrained VGG weights, which are not available offline here",
            "fid": "needs pretrained Inception weights, which are not available offline here",
        },
    }
    report = {"summary": summary, "model": str(model), "data": str(data), "split": split, "samples": per_sample}
    output = Path(output)
    # atomic: a full disk leaves the previous report whole (and says which file could not be written)
    atomic_write_bytes(output, json.dumps(_finite(report), indent=2, allow_nan=False).encode("utf-8"))
    atomic_write_bytes(output.with_suffix(".md"), _markdown(summary, report).encode("utf-8"))
    return report


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: those become null (e.g. the PSNR of identical layers, an empty SSIM)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _markdown(summary: dict[str, Any], report: dict[str, Any]) -> str:
    lines = [f"# Evaluation of {report['model']}", "", f"Dataset `{report['data']}`, split `{report['split']}`, "
             f"{summary['samples']} samples.", "", "| metric | value |", "|---|---|"]
    for key in ("psnr", "ssim", "mask_dice", "mask_mse", "abs_rel", "delta1"):
        value = summary[key]
        lines.append(f"| {key} | {'—' if value is None else f'{value:.4f}'} |")
    for key, why in summary["unavailable"].items():
        lines.append(f"| {key} | not computed: {why} |")
    return "\n".join(lines) + "\n"
