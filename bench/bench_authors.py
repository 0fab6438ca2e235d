"""The authors' inference (github.com/shitagaki-lab/see-through, `inference/scripts/inference_psd.py`'s loop body:
`seed_everything` → `apply_layerdiff` → `apply_marigold` → `further_extr`) timed per stage on the same model
folders, seed and sizes as bench_decompose.py, for the side-by-side table of bench/cuda_checks.sh.

    OFFICIAL_REPO=CHECKOUT python -m bench.bench_authors --folders DIR [--sizes 1024 1280] [--steps 30]
        [--device cuda] [--json OUT.json]

Their code is never copied here: it is imported from `$OFFICIAL_REPO/common` at run time (a checkout of their
repository, which this script does not fetch). Their functions run unmodified; around them this script only
- redirects the scheduler config they download from the Hub (`frankjoshua/juggernautXL_version6Rundiffusion`) to a
  local folder holding the same SDXL noise schedule (core/pipelines/schedulers.py; docs/parity.md);
- on a GPU, lets their `apply_*` load and place the models themselves (`.to('cuda', bfloat16)`); on the CPU (smoke
  check only) loads them with their own `from_pretrained` lines and skips those `.to('cuda')` lines;
- times their pipelines' calls and the decoders' modules (CUDA-synchronised), after one warm-up run that loads the
  models (one step), so loading is not counted, as it is not on our side.
Their total includes the PNG files their pipeline writes between stages (that is how it runs), and `further_extr`
without the PSD. `$AUTHORS_EXTRA` (a folder of extra packages: einops, pycocotools) is added to the path; where
torchvision is missing, `$TV_STUBS` names a minimal stand-in (the parity harness has one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stage_timer import StageTimer, character, gib, peak_gb, reset_peak, sync

REPO = Path(__file__).resolve().parents[1]


HUB_SCHEDULER = "frankjoshua/juggernautXL_version6Rundiffusion"
SEED = 42


def import_their_code() -> None:
    """Put `$OFFICIAL_REPO/common` (their `utils`, `modules`) on the path, as their `pip install -e ./common` does."""
    official = os.environ.get("OFFICIAL_REPO")
    if not official or not (Path(official) / "common" / "utils" / "inference_utils.py").is_file():
        sys.exit(f"OFFICIAL_REPO={official!r} is not a checkout of the authors' repository (common/utils missing)")
    import diffusers
    import diffusers.loaders.single_file_model  # noqa: F401
    import transformers  # noqa: F401

    extra = os.environ.get("AUTHORS_EXTRA")
    if extra:
        sys.path.append(extra)
    try:
        import torchvision  # noqa: F401
    except ImportError:
        stubs = os.environ.get("TV_STUBS")
        if not stubs:
            sys.exit("torchvision is missing: install it, or set TV_STUBS to a stand-in folder (parity harness)")
        sys.path.insert(0, stubs)
    sys.path.insert(0, str(Path(official) / "common"))


def redirect_scheduler(root: Path) -> None:
    """Their pipeline loads its scheduler config from the Hub; serve the same schedule from a local folder."""
    from diffusers import DPMSolverMultistepScheduler

    from seethrough.core.pipelines.schedulers import SDXL_NOISE_SCHEDULE

    folder = root / "scheduler"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scheduler_config.json").write_text(json.dumps(
        {"_class_name": "DPMSolverMultistepScheduler", **SDXL_NOISE_SCHEDULE}))
    original = DPMSolverMultistepScheduler.from_pretrained.__func__  # type: ignore[attr-defined]

    def from_pretrained(cls: Any, name: Any, *args: Any, **kwargs: Any) -> Any:
        return original(cls, str(root) if name == HUB_SCHEDULER else name, *args, **kwargs)

    DPMSolverMultistepScheduler.from_pretrained = classmethod(from_pretrained)  # type: ignore[method-assign]


def preload_on_cpu(iu: Any, layers: Path, depth: Path) -> None:
    """Their loading lines (inference_utils.apply_layerdiff / apply_marigold) without the `.to('cuda', bf16)`."""
    from modules.layerdiffuse.diffusers_kdiffusion_sdxl import KDiffusionStableDiffusionXLPipeline
    from modules.layerdiffuse.layerdiff3d import UNetFrameConditionModel
    from modules.layerdiffuse.vae import TransparentVAE
    from modules.marigold import MarigoldDepthPipeline

    trans_vae = TransparentVAE.from_pretrained(str(layers), subfolder="trans_vae")
    unet = UNetFrameConditionModel.from_pretrained(str(layers), subfolder="unet")
    iu.layerdiff_pipeline = KDiffusionStableDiffusionXLPipeline.from_pretrained(
        str(layers), trans_vae=trans_vae, unet=unet, scheduler=None)
    dunet = UNetFrameConditionModel.from_pretrained(str(depth), subfolder="unet")
    iu.marigold_pipeline = MarigoldDepthPipeline.from_pretrained(str(depth), unet=dunet)


def run_once(iu: Any, image_path: Path, layers: Path, depth: Path, out: Path, size: int, steps: int,
             depth_size: int) -> None:
    """inference_psd.py's loop body for one image."""
    from utils.torch_utils import seed_everything

    seed_everything(SEED)
    iu.apply_layerdiff(str(image_path), str(layers), save_dir=str(out), seed=SEED, resolution=size,
                       num_inference_steps=steps, disable_progressbar=True)
    iu.apply_marigold(str(image_path), str(depth), save_dir=str(out), seed=SEED, resolution=depth_size,
                      num_inference_steps=-1, disable_progressbar=True)
    iu.further_extr(str(out / image_path.stem), rotate=False, save_to_psd=False, tblr_split=False)


def instrument(iu: Any, timer: StageTimer) -> None:
    """Time their pipelines' calls (per pass) and decoders, at the class level (their globals are set later)."""
    from modules.layerdiffuse.diffusers_kdiffusion_sdxl import KDiffusionStableDiffusionXLPipeline
    from modules.marigold import MarigoldDepthPipeline

    names = {0: "body pass", 1: "head pass", None: "layer pass"}
    layer_call = KDiffusionStableDiffusionXLPipeline.__call__
    KDiffusionStableDiffusionXLPipeline.__call__ = timer.wrap(  # type: ignore[method-assign]
        layer_call, lambda *a, **k: names.get(k.get("group_index"), "layer pass"))
    MarigoldDepthPipeline.__call__ = timer.wrap(MarigoldDepthPipeline.__call__, "depth")  # type: ignore[method-assign]


def hook_decoders(iu: Any, timer: StageTimer) -> None:
    pipe = iu.layerdiff_pipeline
    timer.module(pipe.vae.decoder, "VAE decode")
    timer.module(pipe.trans_vae.decoder.model, "transparent decoder")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folders", type=Path, required=True, help="the folders bench_decompose.py built")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 1280])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from PIL import Image

    import_their_code()
    import torch
    from utils import inference_utils as iu

    cuda = args.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        sys.exit("bench_authors needs a CUDA GPU for --device cuda (their code places every model on 'cuda')")
    if not cuda:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    layers, depth = args.folders / "layers", args.folders / "depth"
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        redirect_scheduler(work / "sched")
        timer = StageTimer()
        instrument(iu, timer)
        if not cuda:
            preload_on_cpu(iu, layers, depth)
        warm = work / "warm.png"
        Image.fromarray(character(args.sizes[0])).save(warm)
        t0 = time.perf_counter()
        run_once(iu, warm, layers, depth, work / "out", args.sizes[0], 1, min(args.sizes[0], 768))
        print(f"authors: models loaded and warmed up in {time.perf_counter() - t0:.0f} s", flush=True)
        hook_decoders(iu, timer)
        for size in args.sizes:
            image = work / f"character{size}.png"
            Image.fromarray(character(size)).save(image)
            timer.totals.clear()
            reset_peak()
            t0 = time.perf_counter()
            try:
                run_once(iu, image, layers, depth, work / "out", size, args.steps, min(size, 768))
            except Exception as exc:
                print(f"authors {size}²: failed: {type(exc).__name__}: {exc}", flush=True)
                rows.append({"size": size, "error": f"{type(exc).__name__}: {exc}"})
                continue
            sync()
            row = timer.report(time.perf_counter() - t0, size, args.steps)
            row.update(size=size, steps=args.steps, peak_gb=peak_gb())
            rows.append(row)
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in row["stages"].items())
            print(f"authors {size}²: {row['total_s']:.1f} s, peak {gib(row['peak_gb'])}, {row['s_per_step']:.3f} "
                  f"s/step, UNet {row['unet_tflops']:.0f} TFLOP/s; {stages}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
