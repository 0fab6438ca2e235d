"""GPU benchmark of the whole decomposition with the released (full-size) architectures and random weights
(timing does not depend on the weight values): time and peak memory of one 1024² and one 1280² run (both V3
passes, 30 steps, decoding, depth), per memory mode, in bf16; seconds per step, the share of time in the UNet,
the VAE and the transparent decoder, and the UNet's achieved TFLOP/s.

    python bench/bench_decompose.py [--sizes 1024 1280] [--modes none model group] [--steps 30]

Needs a CUDA GPU (prints why not otherwise). Results go to bench/RESULTS.md by hand, with the device and date.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: V3 layer UNet cost per layer per step, counted on the released architecture (issue 4)
TFLOP_PER_LAYER_STEP = {1024: 10.5, 1280: 17.1}


def build_full_size_folders(root: Path) -> tuple[Path, Path]:
    """Released-layout folders with full-size random weights (the tokenizers are the tiny character-level one:
    prompt length is what matters for timing, and it is fixed at 77)."""
    import torch
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from seethrough.core.models.arch import DEPTH_UNET, LAYER_UNET_V3
    from seethrough.core.models.layer_unet import UNetFrameConditionModel
    from seethrough.core.models.transparent_vae import TransparentVAE
    from seethrough.training.tiny_tokenizer import write_tiny_clip_tokenizer

    torch.set_default_dtype(torch.bfloat16)
    layers, depth = root / "layers", root / "depth"
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
    torch.set_default_dtype(torch.float32)
    return layers, depth


class Timer:
    """Accumulates CUDA time per module kind through forward hooks."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    def attach(self, module, name: str) -> None:  # noqa: ANN001
        import torch

        def pre(_m, _i):
            torch.cuda.synchronize()
            _m._bench_t0 = time.perf_counter()

        def post(_m, _i, _o):
            torch.cuda.synchronize()
            self.totals[name] += time.perf_counter() - _m._bench_t0

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)


def run(size: int, mode: str, steps: int, layers: Path, depth: Path) -> dict:
    import numpy as np
    import torch

    from seethrough.core.decompose.engine import load_engine
    from seethrough.core.decompose.options import DecomposeOptions

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    options = DecomposeOptions(resolution=size, steps=steps, layer_model=layers, depth_model=depth, offload=mode,
                               device="cuda", dtype="bfloat16")
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
    torch.cuda.synchronize()
    total = time.perf_counter() - t0
    unet_s = timer.totals["layer UNet"]
    frames = 24
    return {
        "size": size, "mode": mode, "total_s": total, "peak_gb": torch.cuda.max_memory_allocated() / 2**30,
        "s_per_step": unet_s / (2 * steps), "shares": {k: v / total for k, v in timer.totals.items()},
        "unet_tflops": TFLOP_PER_LAYER_STEP.get(size, float("nan")) * frames * steps / max(unet_s, 1e-9),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 1280])
    parser.add_argument("--modes", nargs="+", default=["none", "model", "group"])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        sys.exit("bench_decompose needs a CUDA GPU (torch sees none): nothing measured")
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        layers, depth = build_full_size_folders(Path(tmp))
        for size in args.sizes:
            for mode in args.modes:
                r = run(size, mode, args.steps, layers, depth)
                shares = ", ".join(f"{k} {v:.0%}" for k, v in r["shares"].items())
                print(f"{size}² {mode:>10}: {r['total_s']:.1f} s total, peak {r['peak_gb']:.1f} GB, "
                      f"{r['s_per_step']:.2f} s/step (13+11 frames), UNet {r['unet_tflops']:.0f} TFLOP/s; {shares}")


if __name__ == "__main__":
    main()
