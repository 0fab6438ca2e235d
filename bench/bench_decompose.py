"""GPU benchmark of our whole decomposition with the released (full-size) architectures and random weights (timing
does not depend on the weight values): per stage (body pass, head pass, VAE decode, transparent decoder, depth), the
total, the peak memory and the layer UNet's TFLOP/s, per size, memory mode and speed settings, in bf16.

    python -m bench.bench_decompose [--sizes 1024 1280] [--modes none model group] [--steps 30]
        [--settings default eager] [--folders DIR] [--json OUT.json] [--warmup-steps 2]

`--settings default` uses the speed settings chosen for the GPU found (core/decompose/speed.py), `eager` turns every
one off (the path they are proven against); `--set name=value` adds a run with one setting changed from the eager
path (an ablation, e.g. `--set compile=regional`). With a compiling setting, a short warm-up run (`--warmup-steps`)
at each size comes first and its time is reported as the warm-up cost. `--mode-steps group=10` runs a mode with
fewer steps (its s/step is what compares). One engine is loaded per mode and settings and runs every size.

Needs a CUDA GPU (prints why not otherwise); `--device cpu --tiny --sizes 64 --steps 1` is the smoke check on the
tiny models. `--folders DIR` keeps the model folders there (built once, reused; bench_training.py and
bench_authors.py read the same folders). Each run prints as soon as it ends; `--json` writes every row.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stage_timer import StageTimer, character, gib, peak_gb, reset_peak, sync

REPO = Path(__file__).resolve().parents[1]


EAGER_SETTINGS = dict(compile="off", channels_last="off", cuda_graphs="off", decoder_batch=1, decoder_tile=0,
                      skip_empty="off")


def authors_model_index(layers: Path, depth: Path) -> None:
    """The diffusers `model_index.json` files the authors' pipeline classes load the same folders with (our loader
    reads the subfolders only, and the depth folder's `default_denoising_steps`), and the depth scheduler folder."""
    from seethrough.core.pipelines.schedulers import depth_scheduler
    from tests.support.release_index import LAYER_INDEX, depth_index, write_index

    write_index(layers, LAYER_INDEX)
    depth_scheduler().save_pretrained(depth / "scheduler")
    write_index(depth, depth_index(4))


def _opaque_enough(trans_vae: Any) -> None:
    """Random weights would leave the transparent decoder's alpha at 0 or 1 by chance; a mid-range alpha makes every
    frame non-empty on both sides, so both run the head pass and decode every frame (the timed work is the real)."""
    import torch

    with torch.no_grad():
        conv = trans_vae.decoder.model.conv_out
        conv.weight.mul_(0.01)
        conv.bias.copy_(torch.tensor([0.8, 0.5, 0.5, 0.5], dtype=conv.bias.dtype))


def build_full_size_folders(root: Path, device: str = "cpu") -> tuple[Path, Path]:
    """Released-layout folders with full-size random weights (the tokenizers are the tiny character-level one:
    prompt length is what matters for timing, and it is fixed at 77), readable by our loader and the authors'. The
    weights are drawn on `device` (a GPU draws the ~4.5 billion parameters in seconds). Folders already complete
    under `root` are reused."""
    import torch
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from seethrough.core.models.arch import DEPTH_UNET, LAYER_UNET_V3
    from seethrough.core.models.layer_unet import UNetFrameConditionModel
    from seethrough.core.models.transparent_vae import TransparentVAE
    from seethrough.training.tiny_tokenizer import write_tiny_clip_tokenizer

    layers, depth = root / "layers", root / "depth"
    if (root / "complete").exists():
        return layers, depth
    torch.set_default_dtype(torch.bfloat16)
    torch.set_default_device(device)
    try:
        tok = write_tiny_clip_tokenizer(layers / "tokenizer")
        write_tiny_clip_tokenizer(layers / "tokenizer_2")
        write_tiny_clip_tokenizer(depth / "tokenizer")
        common = dict(vocab_size=len(tok), bos_token_id=0, eos_token_id=1, pad_token_id=1, max_position_embeddings=77)
        CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                     num_attention_heads=12, **common)).save_pretrained(layers / "text_encoder")
        CLIPTextModelWithProjection(CLIPTextConfig(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                                                   num_attention_heads=20, projection_dim=1280, **common)
                                    ).save_pretrained(layers / "text_encoder_2")
        CLIPTextModel(CLIPTextConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                                     num_attention_heads=16, **common)).save_pretrained(depth / "text_encoder")
        sdxl_vae = dict(block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, latent_channels=4,
                        sample_size=1024)
        AutoencoderKL(**sdxl_vae, scaling_factor=0.13025).save_pretrained(layers / "vae")
        AutoencoderKL(**sdxl_vae, scaling_factor=0.18215).save_pretrained(depth / "vae")
        UNetFrameConditionModel(**LAYER_UNET_V3).save_pretrained(layers / "unet")
        UNetFrameConditionModel(**DEPTH_UNET).save_pretrained(depth / "unet")
        trans_vae = TransparentVAE()
        _opaque_enough(trans_vae)
        trans_vae.save_pretrained(layers / "trans_vae")
    finally:
        torch.set_default_dtype(torch.float32)
        torch.set_default_device("cpu")
    authors_model_index(layers, depth)
    (root / "complete").write_text("full-size random weights\n")
    return layers, depth


def build_tiny_folders(root: Path) -> tuple[Path, Path]:
    """The tiny parity release (tests/support/parity_release.py: loadable by our loader and by the authors' classes,
    whose group embeddings fix the text widths) for the CPU smoke check."""
    from tests.support.parity_release import depth_folder, layer_folder

    layers, depth = root / "layers", root / "depth"
    if (root / "complete").exists():
        return layers, depth
    layer_folder(layers, v3=True)
    depth_folder(depth)
    (root / "complete").write_text("tiny random weights\n")
    return layers, depth


def settings_of(name: str) -> dict[str, Any]:
    """`default` (the GPU's defaults), `eager` (all off), or `NAME=VALUE` (eager with one setting changed)."""
    if name == "default":
        return {}
    if name == "eager":
        return dict(EAGER_SETTINGS)
    key, _, value = name.partition("=")
    changed = dict(EAGER_SETTINGS)
    changed[key] = int(value) if key in ("decoder_batch", "decoder_tile") else value
    return changed


def run_settings(layers: Path, depth: Path, device: str, mode: str, settings: str, sizes: list[int], steps: int,
                 warmup_steps: int) -> list[dict[str, Any]]:
    """Load one engine in `mode` with `settings` and time a decomposition at every size."""
    import torch

    from seethrough.core.decompose.engine import load_engine
    from seethrough.core.decompose.options import DecomposeOptions

    cuda = device.startswith("cuda")
    base = DecomposeOptions(resolution=sizes[0], steps=steps, layer_model=layers, depth_model=depth, offload=mode,
                            device=device, dtype="bfloat16" if cuda else "float32",
                            depth_resolution=min(sizes[0], 768), **settings_of(settings))
    reset_peak()
    t0 = time.perf_counter()
    engine = load_engine(base)
    load_s = time.perf_counter() - t0
    timer = StageTimer()
    layer, depth_pipe = engine.layer_pipeline, engine.depth_pipeline
    timer.module(layer.vae.decoder, "VAE decode")
    timer.module(layer.trans_vae.decoder, "transparent decoder")
    layer_call = type(layer).__call__
    depth_call = type(depth_pipe).__call__
    pass_name = {13: "body pass", 11: "head pass", 19: "layer pass"}
    engine.layer_pipeline = _Timed(layer, timer.wrap(lambda *a, **k: layer_call(layer, *a, **k),
                                                      lambda _image, tags, *a, **k: pass_name.get(len(tags), "pass")))
    engine.depth_pipeline = _Timed(depth_pipe, timer.wrap(lambda *a, **k: depth_call(depth_pipe, *a, **k), "depth"))
    rows = []
    for size in sizes:
        options = base.with_(resolution=size, depth_resolution=min(size, 768))
        image = character(size)
        warmup_s = None
        if warmup_steps and engine.speed.compile != "off":
            t0 = time.perf_counter()
            engine.decompose(image, options.with_(steps=warmup_steps))
            sync()
            warmup_s = round(time.perf_counter() - t0, 2)
        timer.totals.clear()
        reset_peak()
        t0 = time.perf_counter()
        engine.decompose(image, options)
        sync()
        row = timer.report(time.perf_counter() - t0, size, steps)
        row.update(size=size, mode=mode, settings=settings, steps=steps, peak_gb=peak_gb(),
                   load_s=round(load_s, 1), warmup_s=warmup_s, speed=engine.speed.describe(), offload=engine.offload)
        rows.append(row)
        print(_line(row), flush=True)
    del engine
    if cuda:
        torch.cuda.empty_cache()
    return rows


class _Timed:
    """A pipeline whose calls go through `call`; every attribute is the pipeline's."""

    def __init__(self, pipeline: Any, call: Any) -> None:
        self._pipeline, self._call = pipeline, call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)


def _line(row: dict[str, Any]) -> str:
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in row["stages"].items())
    warm = f", warm-up {row['warmup_s']} s" if row.get("warmup_s") is not None else ""
    return (f"ours {row['size']}² {row['mode']:>10} {row['settings']:>16}: {row['total_s']:.1f} s, peak "
            f"{gib(row['peak_gb'])}, {row['s_per_step']:.3f} s/step, UNet {row['unet_tflops']:.0f} TFLOP/s; "
            f"{stages}{warm} [{row['speed']}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 1280])
    parser.add_argument("--modes", nargs="+", default=["none"])
    parser.add_argument("--settings", nargs="+", default=["default"])
    parser.add_argument("--set", dest="ablations", action="append", default=[],
                        help="NAME=VALUE: a run with one speed setting changed from the eager path")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--mode-steps", nargs="*", default=[], help="MODE=STEPS: fewer steps for slow modes")
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="the tiny test models (CPU smoke check)")
    parser.add_argument("--folders", type=Path, help="build (or reuse) the model folders here")
    parser.add_argument("--json", type=Path, help="write every row here")
    args = parser.parse_args()
    import torch

    if args.device.startswith("cuda"):
        if not torch.cuda.is_available():
            sys.exit("bench_decompose needs a CUDA GPU (torch sees none): nothing measured")
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    mode_steps = {k: int(v) for k, v in (item.split("=") for item in args.mode_steps)}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        root = args.folders or Path(tmp)
        layers, depth = build_tiny_folders(root) if args.tiny else build_full_size_folders(root, args.device)
        print(f"model folders ready in {time.perf_counter() - start:.0f} s", flush=True)
        plan = [(mode, s) for mode in args.modes for s in args.settings] + [("none", a) for a in args.ablations]
        for mode, settings in plan:
            try:
                rows += run_settings(layers, depth, args.device, mode, settings, args.sizes,
                                     mode_steps.get(mode, args.steps), args.warmup_steps)
            except Exception as exc:
                print(f"ours {mode} {settings}: failed: {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
                rows.append({"mode": mode, "settings": settings, "error": f"{type(exc).__name__}: {exc}"})
            if args.json:  # after every engine: a later timeout keeps what was measured
                args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
