"""GPU benchmark of the whole decomposition with the released (full-size) architectures and random weights
(timing does not depend on the weight values): time and peak memory of one 1024² and one 1280² run (both V3
passes, 30 steps, decoding, depth), per memory mode, in bf16; seconds per step, the share of time in the UNet,
the VAE and the transparent decoder, and the UNet's achieved TFLOP/s.

    python -m bench.bench_decompose [--sizes 1024 1280] [--modes none model group] [--steps 30] [--folders DIR]

Needs a CUDA GPU (prints why not otherwise; `--device cpu --sizes 64 --steps 1` only checks that it runs).
`--folders DIR` keeps the full-size folders there (built once, reused; bench_training.py --layers-model DIR/layers
--depth-model DIR/depth times training steps on them). Each run prints as soon as it ends. Results go to
bench/RESULTS.md by hand, with the device and date.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

#: V3 layer UNet cost per layer per step, counted on the released architecture (issue 4)
TFLOP_PER_LAYER_STEP = {1024: 10.5, 1280: 17.1}


def build_full_size_folders(root: Path, device: str = "cpu") -> tuple[Path, Path]:
    """Released-layout folders with full-size random weights (the tokenizers are the tiny character-level one:
    prompt length is what matters for timing, and it is fixed at 77). The weights are drawn on `device` (a GPU
    draws the ~4.5 billion parameters in seconds). Folders already complete under `root` are reused."""
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
        TransparentVAE().save_pretrained(layers / "trans_vae")
    finally:
        torch.set_default_dtype(torch.float32)
        torch.set_default_device("cpu")
    (root / "complete").write_text("full-size random weights\n")
    return layers, depth


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


class Timer:
    """Accumulates CUDA time per module kind through forward hooks."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    def attach(self, module, name: str) -> None:
        def pre(_m, _i):
            _sync()
            _m._bench_t0 = time.perf_counter()

        def post(_m, _i, _o):
            _sync()
            self.totals[name] += time.perf_counter() - _m._bench_t0

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)


def run(size: int, mode: str, steps: int, layers: Path, depth: Path, device: str = "cuda") -> dict:
    import numpy as np
    import torch

    from seethrough.core.decompose.engine import load_engine
    from seethrough.core.decompose.options import DecomposeOptions

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    options = DecomposeOptions(resolution=size, steps=steps, layer_model=layers, depth_model=depth, offload=mode,
                               device=device, dtype="bfloat16" if cuda else "float32",
                               depth_resolution=min(size, 768))
    engine = load_engine(options)
    timer = Timer()
    timer.attach(engine.layer_pipeline.unet, "layer UNet")
    timer.attach(engine.layer_pipeline.vae.decoder, "SDXL VAE decode")
    timer.attach(engine.layer_pipeline.trans_vae.decoder, "transparent decoder")
    timer.attach(engine.depth_pipeline.unet, "depth UNet")
    image = np.zeros((size, size, 4), np.uint8)
    image[..., :3] = 128
    image[size // 8 : -size // 8, size // 4 : -size // 4, 3] = 255
    t0 = time.perf_counter()
    engine.decompose(image, options)
    _sync()
    total = time.perf_counter() - t0
    unet_s = timer.totals["layer UNet"]
    frames = 24
    return {
        "size": size, "mode": mode, "total_s": total,
        "peak_gb": torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan"),
        "s_per_step": unet_s / (2 * steps), "shares": {k: v / total for k, v in timer.totals.items()},
        "unet_tflops": TFLOP_PER_LAYER_STEP.get(size, float("nan")) * frames * steps / max(unet_s, 1e-9),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 1280])
    parser.add_argument("--modes", nargs="+", default=["none", "model", "group"])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--folders", type=Path, help="build (or reuse) the full-size folders here")
    args = parser.parse_args()
    import torch

    if args.device.startswith("cuda"):
        if not torch.cuda.is_available():
            sys.exit("bench_decompose needs a CUDA GPU (torch sees none): nothing measured")
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        layers, depth = build_full_size_folders(args.folders or Path(tmp), args.device)
        print(f"full-size random folders ready in {time.perf_counter() - start:.0f} s", flush=True)
        for size in args.sizes:
            for mode in args.modes:
                try:
                    r = run(size, mode, args.steps, layers, depth, args.device)
                except Exception as exc:  # one failed mode must not hide the others' numbers
                    print(f"{size}² {mode:>10}: failed: {type(exc).__name__}: {exc}", flush=True)
                    continue
                shares = ", ".join(f"{k} {v:.0%}" for k, v in r["shares"].items())
                print(f"{size}² {mode:>10}: {r['total_s']:.1f} s total, peak {r['peak_gb']:.1f} GB, "
                      f"{r['s_per_step']:.2f} s/step (13+11 frames), UNet {r['unet_tflops']:.0f} TFLOP/s; {shares}",
                      flush=True)


if __name__ == "__main__":
    main()
