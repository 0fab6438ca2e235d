"""`seethrough-gui animate FILE -o out.mp4`: the Preview's 2.5D motion exported as MP4, GIF, WebP or PNG frames."""

from __future__ import annotations

import argparse
from pathlib import Path

from seethrough.cli import EXIT_OK, print_json


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"must be in (0, 600], got {text}")
    return value


def _int_in(lo: int, hi: int):  # an argparse type
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def register(sub: argparse._SubParsersAction) -> None:
    anim = sub.add_parser("animate", help="export the 2.5D preview's motion as .mp4, .gif, .webp or a PNG folder")
    anim.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    anim.add_argument("-o", "--output", required=True, help="out.mp4, out.gif, out.webp, or frames_dir/")
    anim.add_argument("--seconds", type=_positive_float, default=4.0, help="duration (default 4)")
    anim.add_argument("--fps", type=_int_in(1, 120), default=30, help="frames per second (default 30)")
    anim.add_argument("--size", type=_int_in(16, 8192), help="longest side in pixels (default: the canvas)")
    anim.add_argument("--path", default="turntable",
                      help="turntable, nod, idle, or a JSON file of recorded [t, x, y] pointer samples")
    anim.add_argument("--background", default=None,
                      help="transparent, #rrggbb or r,g,b (default: transparent; MP4 goes over white)")
    anim.add_argument("--loop", type=_int_in(0, 65535), default=0, help="GIF/WebP repeats (0 = forever)")
    anim.add_argument("--force", action="store_true", help="replace an existing output file")
    anim.add_argument("--json", action="store_true")
    anim.set_defaults(func=_animate)


def read_path_samples(path: Path) -> tuple[tuple[float, float, float], ...]:
    """A recorded pointer path: a JSON list of [t, x, y] (or {"samples": [...]}, as the Preview saves it)."""
    from seethrough.core.errors import BadInput
    from seethrough.core.io import safe_json

    data = safe_json.read(path, "path file")  # bounded, finite numbers only, regular files only (never a FIFO)
    if isinstance(data, dict):
        data = data.get("samples")
    if not isinstance(data, list) or not data or len(data) > 100_000:
        raise BadInput(f"{path}: expected a list of [t, x, y] samples")
    samples = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(v, int | float) for v in item)):
            raise BadInput(f"{path}: every sample must be [t, x, y] numbers, got {str(item)[:40]}")
        samples.append((float(item[0]), float(item[1]), float(item[2])))
    return tuple(samples)


def _animate(args: argparse.Namespace) -> int:
    from seethrough.cli.layer_commands import load
    from seethrough.cli.terminal import Progress
    from seethrough.core.animate import PRESETS, AnimationSettings, check_memory, parse_colour, render_frames
    from seethrough.core.io.animation import check_target, format_for, write_animation

    samples: tuple[tuple[float, float, float], ...] = ()  # a recorded pointer path
    if args.path in PRESETS:
        path = args.path
    else:
        path, samples = "recorded", read_path_samples(Path(args.path))
    settings = AnimationSettings(seconds=args.seconds, fps=args.fps, size=args.size, path=path, samples=samples,
                                 background=parse_colour(args.background) if args.background else None)
    check_target(args.output, args.force)  # before any work: never render minutes for a refused output
    doc = load(args.file)
    check_memory(doc, settings, format_for(args.output))  # refused now, not after minutes of rendering
    with Progress(f"animate {Path(args.output).name}") as progress:  # on a terminal only
        out = write_animation(render_frames(doc, settings, progress), args.output, args.fps, args.loop, args.force)
    if args.json:
        print_json({"output": str(out), "frames": settings.frame_count, "fps": args.fps})
    else:
        print(out)
    return EXIT_OK
