"""Run one parity case with the project's engine and compare it, stage by stage, with the golden the authors' code
made (tests/data/parity/<case>.npz). Shared by tests/pipelines/test_parity_goldens.py (asserts) and
bench/parity_report.py (prints the table)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seethrough.core.decompose.depth_stage import COMPOSITES, DEPTH_ALPHA_FLOOR
from seethrough.core.decompose.engine import DecomposeEngine
from seethrough.core.decompose.geometry import SquareFrame
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.core.pipelines.layer_depth import LayerDepthPipeline
from seethrough.core.pipelines.layer_diffusion import LayerDiffusionPipeline
from tests.support.parity_release import Case, depth_folder, layer_components

GOLDENS = Path(__file__).resolve().parents[1] / "data" / "parity"


@dataclass(frozen=True)
class Row:
    case: str
    stage: str
    what: str
    value: object
    limit: object

    @property
    def ok(self) -> bool:
        if isinstance(self.limit, (int, float)) and isinstance(self.value, (int, float)):
            return self.value <= self.limit
        return self.value == self.limit


@dataclass(frozen=True)
class Where:
    """Where the project's side runs and which goldens it is held to: the committed CPU fp32 goldens by default; a
    CUDA run (bench/parity_report.py --device cuda) is compared with goldens the authors' code made on that GPU."""

    device: str = "cpu"
    dtype: str = "float32"
    goldens: Path = GOLDENS
    #: the goldens were made by the same kernels (same device, ISA and library versions) as this run: pixels are
    #: then held to 1/255. False for committed reduced-precision goldens run on another CPU (`rounding_limits`).
    same_kernels: bool = True


CPU = Where()


@dataclass(frozen=True)
class Limits:
    """The largest differences a case may show: uint8 depth maps and layer depth, layer RGBA, median depth."""

    depth: int = 1
    rgba: int = 1
    median: float = 1 / 255


def rounding_limits(case: Case, where: Where) -> Limits:
    """The limits for `case` at `where`: 1/255 everywhere when the goldens come from the same kernels.

    In bf16 a CPU with native bf16 kernels (AVX-512 BF16, AMX, Arm's BF16) rounds inside a convolution at other
    places than the CPU that made the goldens, and other library versions choose other kernels: the result moves
    by the size of bf16 rounding itself. The goldens measure that size: the authors' bf16 result against their fp32
    result of the same case (the fp32 goldens). Ours and theirs each lie within that distance of the exact result,
    so they lie within twice it of each other (docs/parity.md, "bf16 on other CPUs")."""
    if where.same_kernels or where.dtype == "float32":
        return Limits()
    meta_exact, exact = golden(case, CPU)
    meta_rounded, rounded = golden(case, where)

    def by_name(meta: dict, arrays: dict[str, np.ndarray], kind: str) -> dict[str, np.ndarray]:
        maps = {f"map {t}": d for t, d in zip(meta["depth_tags"], arrays.get("depth_maps", ())) if kind == "depth"}
        return maps | {layer["name"]: arrays[f"layer{i}_{kind}"] for i, layer in enumerate(meta["layers"])}

    spread: dict[str, int] = {}
    for kind in ("depth", "rgba"):
        a, b = by_name(meta_exact, exact, kind), by_name(meta_rounded, rounded, kind)
        diffs = [_max_diff(a[k], b[k]) for k in a.keys() & b.keys()]
        spread[kind] = max([0, *(d for d in diffs if isinstance(d, int))])  # a box that moved says nothing here
    depth, rgba = spread["depth"], spread["rgba"]
    parts = meta_rounded["psd_json"]["parts"]
    medians = [abs(part["depth_median"] - parts[name]["depth_median"])
               for name, part in meta_exact["psd_json"]["parts"].items() if name in parts]
    return Limits(depth=max(1, 2 * depth), rgba=max(1, 2 * rgba), median=max(1 / 255, 2 * max(medians, default=0.0)))


def golden(case: Case, where: Where = CPU) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(where.goldens / f"{case.name}.npz") as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("meta"))), arrays


def build_release(root: Path, where: Where = CPU) -> dict:
    """The tiny release in memory (layer models) and on disk (depth model, through the production loader), placed
    on `where.device` in `where.dtype` as the authors place theirs (every module of both pipelines)."""
    import torch

    v3 = LayerDiffusionPipeline(**layer_components(root / "layer", v3=True))
    v2 = LayerDiffusionPipeline(**layer_components(root / "layer-v2", v3=False, trans_vae=v3.trans_vae))
    release = {"layer": v3, "layer-v2": v2, "depth": LayerDepthPipeline.load(depth_folder(root / "depth"))}
    if where != CPU:
        for pipeline in release.values():
            pipeline.to(where.device, getattr(torch, where.dtype))
    return release


def options(case: Case, where: Where = CPU) -> DecomposeOptions:
    return DecomposeOptions(
        tagset="v3" if case.v3 else "v2", resolution=case.resolution, steps=case.steps, seed=case.seed,
        depth_resolution=case.depth_resolution, device=where.device, dtype=where.dtype, lr_split=case.lr_split,
        output_frame="canvas",
    )


def run(case: Case, release: dict, where: Where = CPU):
    """(engine, document, latents per pass ÷ the VAE scaling factor) of the project's run of `case`."""
    latents: list[np.ndarray] = []
    if case.kind == "designed":  # depth and post-processing only
        engine = DecomposeEngine(None, release["depth"])
        canvas, layers = case.designed()
        return engine, engine.finish(canvas, canvas, layers, options(case, where)), latents
    pipeline = release[case.layer_folder]
    real_decode = pipeline.decode

    def decode(lat, image, **kwargs):
        latents.append((lat / pipeline.vae.config.scaling_factor).float().cpu().numpy())
        return real_decode(lat, image, **kwargs)

    pipeline.decode = decode
    try:
        engine = DecomposeEngine(pipeline, release["depth"])
        doc = engine.decompose(case.input_image(), options(case, where))
    finally:
        del pipeline.decode
    return engine, doc, latents


def _max_diff(a: np.ndarray, b: np.ndarray) -> int | str:
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    return int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max()) if a.size else 0


def _worst(diffs: list[int | str]) -> int | str:
    """The largest difference, or the first shape mismatch."""
    mismatch = [d for d in diffs if isinstance(d, str)]
    return mismatch[0] if mismatch else max([0, *diffs])  # type: ignore[list-item]


def fully_hidden_sub_layers(layers: dict[str, np.ndarray]) -> list[str]:
    """Sub-layers of a depth composite whose every pixel lies under the sub-layers above them: the one documented
    difference (docs/parity.md): the authors' median of nothing becomes depth 0, ours keeps the composite's depth."""
    hidden = []
    for subs in COMPOSITES.values():
        covered = None
        for tag in reversed([t for t in subs if t in layers]):
            own = layers[tag][..., 3] > DEPTH_ALPHA_FLOOR
            if covered is not None and own.any() and not (own & ~covered).any():
                hidden.append(tag)
            covered = own if covered is None else covered | own
    return hidden


def compare(case: Case, release: dict, where: Where = CPU) -> list[Row]:
    meta, ref = golden(case, where)
    limits = rounding_limits(case, where)
    engine, doc, latents = run(case, release, where)
    last = engine.last_run
    hidden_tags = fully_hidden_sub_layers(last["layers"])
    rows: list[Row] = []

    def row(stage: str, what: str, value: object, limit: object) -> None:
        rows.append(Row(case.name, stage, what, value, limit))

    if case.kind == "e2e":
        keys = ["latents_body", "latents_head"] if case.v3 else ["latents_body"]
        row("latents", "passes decoded", len(latents), len(keys))
        for key, ours in zip(keys, latents):
            theirs = ref[key]
            rel = float(np.abs(ours - theirs).max() / np.abs(theirs).max()) if ours.shape == theirs.shape else 1.0
            row("latents", f"{key[8:]} max|diff| / max|latent|", rel, 1e-4)
        if case.v3:
            crop = last["head_crop"]
            x1, y1, x2, y2 = crop.box
            pixels = case.input_image()[y1:y2, x1:x2]
            head_input = SquareFrame(pixels.shape[1], pixels.shape[0], case.resolution).to_canvas(pixels)
            row("head crop", f"head-pass input (box {crop.box}) max|diff|", _max_diff(head_input, ref["src_head"]), 0)
        row("layer passes", "frames (tags)", sorted(last["layers"]), meta["pass_tags"])
        diffs = [_max_diff(last["layers"][t][..., 3], a) for t, a in zip(meta["pass_tags"], ref["pass_alpha"])
                 if t in last["layers"]]
        row("layer passes", "canvas alpha of every frame max|diff|", _worst(diffs), 1)

    maps = last["depth_maps"]
    row("depth", "per-layer maps (names, order)", list(maps), meta["depth_tags"])
    if "depth_maps" in ref:  # designed cases (e2e goldens carry the maps in the layers' depth crops)
        diffs = [_max_diff(maps[t], d) for t, d in zip(meta["depth_tags"], ref["depth_maps"])
                 if t not in hidden_tags and t in maps]
        row("depth", "uint8 depth maps max|diff|", _worst(diffs), limits.depth)
    medians = {name: part["depth_median"] for name, part in meta["psd_json"]["parts"].items()}
    for tag in hidden_tags:
        row("depth", f"{tag!r} hidden entirely: their median depth (NaN → 0)", medians.get(tag, 0.0), 0.0)
        parent = next(name for name, subs in COMPOSITES.items() if tag in subs)
        own = last["layers"][tag][..., 3] > DEPTH_ALPHA_FLOOR
        composite = last["depth_composites"][parent]
        row("depth", f"{tag!r}: ours the composite's depth where it lies",
            bool((maps[tag][own] == composite[own]).all()), True)

    hidden = set(hidden_tags)
    names = [layer["name"] for layer in meta["layers"] if layer["name"] not in hidden]
    ours_names = [layer.name for layer in doc.layers if layer.name not in hidden]
    row("layers", "names, bottom to top", ours_names, names)
    row("layers", "canvas size", list(doc.size), meta["psd_size"])
    boxes, pixels, depths, dmed = [], 0, 0, 0.0
    for i, theirs in enumerate(meta["layers"]):
        layer = doc.find(theirs["name"])
        if theirs["name"] in hidden or layer is None:
            continue
        if layer.offset != (theirs["left"], theirs["top"]) or layer.rgba.shape != ref[f"layer{i}_rgba"].shape:
            boxes.append(theirs["name"])
            continue
        pixels = max(pixels, _max_diff(layer.rgba, ref[f"layer{i}_rgba"]))
        depths = max(depths, _max_diff(np.round(layer.depth * 255).astype(np.uint8), ref[f"layer{i}_depth"]))
        dmed = max(dmed, abs(layer.depth_value - medians[theirs["name"]]))
    row("layers", "layers whose box differs", boxes, [])
    row("layers", "RGBA max|diff| (uint8)", pixels, limits.rgba)
    row("layers", "depth max|diff| (uint8)", depths, limits.depth)
    row("layers", "median depth max|diff|", dmed, limits.median)

    from seethrough.core.io.psd_export import export_psd

    with tempfile.TemporaryDirectory() as tmp:
        written = export_psd(doc, Path(tmp) / f"{case.name}.psd")
        files = sorted(p.name for p in written)
        ours_json = json.loads((Path(tmp) / f"{case.name}.psd.json").read_text(encoding="utf-8"))
    row("psd", "files", files, sorted(f"{case.name}{s}" for s in (".psd", "_depth.psd", ".psd.json")))
    theirs_json = meta["psd_json"]
    # beyond the authors' keys ours records only "members" (the SHA-256 of the set's PSDs, docs/file-safety.md)
    row("psd json", "top-level keys (beyond members)", sorted(set(ours_json) - {"members"}), sorted(theirs_json))
    row("psd json", "parts", sorted(ours_json["parts"]), sorted(theirs_json["parts"]))
    keys = [n for n, part in theirs_json["parts"].items() if n in ours_json["parts"]
            and not set(part) <= set(ours_json["parts"][n]) <= set(part) | {"part_id"}]
    row("psd json", "parts whose keys differ (beyond part_id)", keys, [])
    xyxy = [n for n, part in theirs_json["parts"].items() if n in ours_json["parts"]
            and ours_json["parts"][n]["xyxy"] != part["xyxy"]]
    row("psd json", "parts whose xyxy differs", xyxy, [])
    return rows
