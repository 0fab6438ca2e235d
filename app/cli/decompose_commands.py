"""`seethrough-gui decompose IMAGE|DIR -o OUT.psd|OUT_DIR …`: layer decomposition from the command line.

A folder is processed image by image; images whose PSD already exists are skipped, so an interrupted batch
resumes. Under `accelerate launch` every process takes its share of the images and its own GPU.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seethrough.app.cli import print_json

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decompose", help="decompose an illustration (or a folder of them) into a layered PSD")
    p.add_argument("input", help="an image, or a folder of images")
    p.add_argument("-o", "--output", required=True, help="OUT.psd for one image, or an output folder")
    p.add_argument("--model", type=Path, help="layer model folder (default: the installed model)")
    p.add_argument("--depth-model", type=Path, help="depth model folder (default: the installed model)")
    p.add_argument("--models-dir", type=Path, help="a folder holding downloaded models (also $SEETHROUGH_MODELS)")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3", help="tag set of the layer model")
    p.add_argument("--resolution", type=int, default=1280)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--depth-resolution", type=int, default=768)
    p.add_argument("--depth-steps", type=int, default=4)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--offload", choices=("auto", "none", "model", "sequential", "group"), default="auto",
                   help="GPU memory mode; auto picks the fastest that fits the free memory (docs/models.md)")
    p.add_argument("--quantize", choices=("none", "8bit", "4bit"), default="none",
                   help="8-bit/4-bit weights with bitsandbytes (CUDA only; pip install 'seethrough-studio[lowvram]')")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    p.add_argument("--dtype", choices=("auto", "bfloat16", "float16", "float32"), default="auto")
    p.add_argument("--no-depth", action="store_true", help="skip the depth model (depth follows layer order)")
    p.add_argument("--lr-split", action="store_true", help="split handwear, ears and eye parts left/right")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run_decompose)


def list_inputs(source: Path) -> list[Path]:
    from seethrough.core.errors import BadInput

    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise BadInput(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {source}")
        return files
    if not source.exists():
        raise BadInput(f"no such file: {source}")
    return [source]


def output_for(image: Path, output: Path, batch: bool) -> Path:
    if not batch and output.suffix.lower() == ".psd":
        return output
    return output / f"{image.stem}.psd"


def run_decompose(args: argparse.Namespace) -> int:
    from seethrough.core.decompose.engine import load_engine, resolve_device_dtype
    from seethrough.core.decompose.options import DecomposeOptions
    from seethrough.core.io.images import load_image
    from seethrough.core.io.psd_export import export_psd

    images = list_inputs(Path(args.input))
    batch = Path(args.input).is_dir()
    output = Path(args.output)
    options = DecomposeOptions(
        tagset=args.tags, resolution=args.resolution, steps=args.steps, seed=args.seed, depth=not args.no_depth,
        depth_resolution=args.depth_resolution, depth_steps=args.depth_steps, device=args.device, dtype=args.dtype,
        offload=args.offload, quantize=None if args.quantize == "none" else args.quantize, lr_split=args.lr_split,
        layer_model=args.model, depth_model=args.depth_model,
        models_dir=args.models_dir,
    )
    images, options = _shard_for_this_process(images, options)
    todo = [img for img in images if not output_for(img, output, batch).exists()]
    skipped = len(images) - len(todo)
    device, _ = resolve_device_dtype(options)
    if device == "cpu":
        print("seethrough-gui: running on the CPU: expect minutes per step at full resolution", file=sys.stderr)
    engine = load_engine(options) if todo else None
    written = []
    for image_path in todo:
        target = output_for(image_path, output, batch)
        target.parent.mkdir(parents=True, exist_ok=True)
        bar = _progress_bar(image_path.name)
        doc = engine.decompose(load_image(image_path), options, progress=bar)
        bar.close()
        export_psd(doc, target)
        written.append(str(target))
    if args.json:
        print_json({"written": written, "skipped": skipped, "device": device})
    return 0


def _shard_for_this_process(images: list[Path], options):  # noqa: ANN001, ANN202
    """Under `accelerate launch`, process k of n takes images k, k+n, … and the GPU of its local rank."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return images, options
    from accelerate import PartialState

    state = PartialState()
    device = options.device if options.device != "auto" else str(state.device)
    return images[state.process_index :: state.num_processes], options.with_(device=device)


class _progress_bar:  # noqa: N801 - used like a function
    def __init__(self, name: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=1000, desc=name, unit="‰", file=sys.stderr, leave=False)

    def __call__(self, fraction: float, message: str) -> None:
        self._bar.set_postfix_str(message)
        self._bar.update(int(fraction * 1000) - self._bar.n)

    def close(self) -> None:
        self._bar.close()
