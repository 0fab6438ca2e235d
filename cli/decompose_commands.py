"""`seethrough-gui decompose IMAGE|DIR -o OUT.psd|OUT_DIR …`: layer decomposition from the command line.

A folder is processed image by image; images whose PSD already exists are skipped, so an interrupted batch
resumes. Under `accelerate launch` every process takes its share of the images and its own GPU.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from seethrough.cli import print_json
from seethrough.cli.arg_types import int_in
from seethrough.cli.params import add_params, values_from_args

if TYPE_CHECKING:  # the command line imports the core's modules when a command runs
    from seethrough.core.decompose.options import DecomposeOptions

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decompose", help="decompose an illustration (or a folder of them) into a layered PSD")
    p.add_argument("input", help="an image, or a folder of images")
    p.add_argument("-o", "--output", required=True, help="OUT.psd for one image, or an output folder")
    add_model_options(p, DECOMPOSE_ONLY)
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run_decompose)

    r = sub.add_parser("redecompose", help="decompose one region again at the model's full resolution")
    r.add_argument("file", help="a decomposed document (PSD with companions, .stproj) that holds its input image")
    r.add_argument("--box", required=True, type=_box, help="x0,y0,x1,y1 on the canvas")
    r.add_argument("--tags-to-redo", dest="redo", help="comma-separated tags (default: the tags in the region)")
    r.add_argument("--feather", type=int_in(0, 4096),
                   help="width of the blended seam in pixels, 0–4096 (default: 1/16 of the region)")
    r.add_argument("-o", "--output", required=True, help="out.psd, out.stproj or out_dir/")
    r.add_argument("--force", action="store_true", help="replace an output that already exists")
    add_model_options(r)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=run_redecompose)


#: options only a whole decomposition takes (a region keeps the document's frame and splits)
DECOMPOSE_ONLY = ("lr_split", "output_frame", "clip_head_halo", "fp32_latents")
#: options with a flag of their own (quantize takes "none")
OWN_FLAGS = ("quantize",)


def add_model_options(p: argparse.ArgumentParser, include: tuple[str, ...] = ()) -> None:
    """The model and sampling options of `decompose` and `redecompose`, made from `DecomposeOptions`'s declared
    fields (flags, limits, defaults and help in one place); `include`: the decompose-only options to add too."""
    from seethrough.core.decompose.options import DecomposeOptions

    add_params(p, DecomposeOptions, skip=(*OWN_FLAGS, *(n for n in DECOMPOSE_ONLY if n not in include)))
    p.add_argument("--quantize", choices=("none", "8bit", "4bit", "fp8"), default=None,
                   help="8-bit/4-bit weights with bitsandbytes (CUDA only; pip install 'seethrough-studio[lowvram]'), "
                        "or fp8 with torchao (GPUs of compute capability 8.9+: Ada, Hopper; pip install torchao)")


def options_from_args(args: argparse.Namespace) -> DecomposeOptions:
    """The options given on the command line; what is left out keeps its declared default. Limits are checked by
    `DecomposeOptions` itself: the same sentence as the GUI's."""
    from seethrough.core.decompose.options import DecomposeOptions

    values = values_from_args(DecomposeOptions, args, skip=OWN_FLAGS)
    if args.quantize not in (None, "none"):
        values["quantize"] = args.quantize
    return DecomposeOptions(**values)


#: |a --box coordinate|: far beyond any canvas (the pixel cap allows at most 65 536 on a side), far below overflow
BOX_LIMIT = 1 << 20


def _box(text: str) -> tuple[int, int, int, int]:
    """x0,y0,x1,y1: four finite numbers (inf, nan and 1e400 are refused, not overflowed), rounded down."""
    parts = text.split(",")
    try:
        numbers = [float(v) for v in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise argparse.ArgumentTypeError(f"--box takes x0,y0,x1,y1, got {text[:80]!r}")
    if not all(math.isfinite(v) and abs(v) <= BOX_LIMIT for v in numbers):
        raise argparse.ArgumentTypeError(f"--box coordinates must be finite numbers within ±{BOX_LIMIT:,}, "
                                         f"got {text[:80]!r}")
    x0, y0, x1, y1 = (math.floor(v) for v in numbers)
    return (x0, y0, x1, y1)


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


def check_models(options: DecomposeOptions) -> None:
    """Fail fast (ModelNotFound, one line) when a catalogue model the run needs is not installed, before the
    seconds-long import of torch and diffusers. Folders chosen explicitly are checked when they are loaded."""
    from seethrough.core.models.catalog import find_model

    dirs = [options.models_dir] if options.models_dir else []
    if options.layer_model is None:
        find_model("layers-v3" if options.tagset == "v3" else "layers-v2", dirs)
    if options.depth and options.depth_model is None:
        find_model("depth", dirs)


def run_decompose(args: argparse.Namespace) -> int:
    from seethrough.core.io.images import load_image

    options = options_from_args(args)  # refused before anything is read
    images = list_inputs(Path(args.input))
    batch = Path(args.input).is_dir()
    output = Path(args.output)
    from seethrough.cli.outputs import clean_output_folders

    clean_output_folders(output)  # a killed run's temp files, before this one starts
    images, options = _shard_for_this_process(images, options)
    todo = [img for img in images if not output_for(img, output, batch).exists()]
    skipped = len(images) - len(todo)
    for image_path in todo:  # a bad input is reported at once, not after the models have loaded
        load_image(image_path)
    if todo:
        check_models(options)

    from seethrough.cli.terminal import quiet_libraries
    from seethrough.core.decompose.engine import load_engine, resolve_device_dtype
    from seethrough.core.io.psd_export import export_psd

    quiet_libraries()  # torch, diffusers and transformers are imported now: their own switches too
    device, _ = resolve_device_dtype(options)
    where = " (on the CPU: minutes per step at full resolution)" if device == "cpu" else ""  # shown with the progress
    written: list[str] = []
    engine = load_engine(options) if todo else None
    for image_path in todo:
        assert engine is not None
        target = output_for(image_path, output, batch)
        target.parent.mkdir(parents=True, exist_ok=True)
        bar = _progress_bar(image_path.name + where)
        doc = engine.decompose(load_image(image_path), options, progress=bar)
        bar.close()
        export_psd(doc, target)
        written.append(str(target))
    if args.json:
        print_json({"written": written, "skipped": skipped, "device": device})
    return 0


def run_redecompose(args: argparse.Namespace) -> int:
    from seethrough.cli.layer_commands import DOCUMENT_OUTPUTS, load, save
    from seethrough.cli.outputs import check_outputs
    from seethrough.core.decompose.engine import load_engine
    from seethrough.core.decompose.region import clip_box, redecompose_region, tags_in_region

    check_outputs(args.output, args.force, suffixes=DOCUMENT_OUTPUTS)  # before the model is loaded
    doc = load(args.file)
    box = clip_box(args.box, doc.size)
    redo = [t.strip() for t in (args.redo or "").split(",") if t.strip()] or None
    tags = redo or tags_in_region(doc, box)
    options = options_from_args(args)
    from seethrough.cli.terminal import quiet_libraries

    quiet_libraries()
    engine = load_engine(options)
    bar = _progress_bar(f"region {','.join(map(str, box))}")
    command = redecompose_region(doc, box, engine, options, tags=redo, feather=args.feather, progress=bar)
    bar.close()
    doc.history.push(command)
    written = save(doc, args.output, force=args.force)
    if args.json:
        print_json({"output": str(args.output), "box": list(box), "tags": tags, "written": [str(p) for p in written]})
    else:
        print(args.output)
    return 0


def _shard_for_this_process(images: list[Path], options):  # noqa: ANN001
    """Under `accelerate launch`, process k of n takes images k, k+n, … and the GPU of its local rank."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return images, options
    from accelerate import PartialState

    state = PartialState()
    device = options.device if options.device != "auto" else str(state.device)
    return images[state.process_index :: state.num_processes], options.with_(device=device)


def _progress_bar(name: str):
    """The decomposition's progress on a terminal (percent and the step), nothing when stderr is not one."""
    from seethrough.cli.terminal import Progress

    return Progress(name)
