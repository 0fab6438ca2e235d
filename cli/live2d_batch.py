"""`seethrough-gui live2d batch ROOT -o DATASET …`: every Live2D model under ROOT labelled, checked and exported
(`annotation.batch`, docs/batch.md). No Qt.

Exit 0 when the batch ran to the end, whatever happened to single models (they are in the report with their
reason); 2 for bad input (ROOT missing or holding no model, DATASET not a batch of ours, a bad option).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from seethrough.cli.arg_types import SIZE_RANGE, float_in, int_in, margin, render_size
from seethrough.core.errors import BadInput

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def memory_size(text: str) -> int:
    """`4G`, `1.5GiB`, `512M`, `0` (no cap) → bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a size (e.g. 4G, 1.5GiB, 512M, 0 for none)")
    value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if 0 < value < 256 << 20:
        raise argparse.ArgumentTypeError(f"{text} is too small for a worker (at least 256M, or 0 for no cap)")
    return value


def add_batch_command(live2d_subparsers: Any) -> argparse.ArgumentParser:
    from seethrough.annotation.batch.engines import ENGINES
    from seethrough.annotation.batch.options import FORMATS, REVIEW_POLICIES
    from seethrough.annotation.batch.quality import THRESHOLD_HELP, Thresholds

    p = live2d_subparsers.add_parser(
        "batch", help="label, check and export every Live2D model under a folder (parallel, resumable)")
    p.add_argument("root", type=Path, help="folder searched for .model3.json / .model.json files and .zip files")
    p.add_argument("-o", "--output", required=True, type=Path, help="the dataset folder (new, or a batch's to resume)")
    p.add_argument("--resume", action="store_true",
                   help="continue the batch in --output: finished models are skipped, changed ones redone")
    p.add_argument("--retry-failed", action="store_true", help="with --resume: try the failed models again")
    p.add_argument("--poses", default="default", help="'default' (each model's 9 head angles) or a JSON pose list")
    p.add_argument("--size", type=render_size, default=512,
                   help=f"long side of the rendered canvas ({SIZE_RANGE[0]}–{SIZE_RANGE[1]}, default 512)")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3")
    p.add_argument("--provider", help="2D seed provider: layout, seethrough, samhq or none (default: the best "
                   "installed one)")
    p.add_argument("--frame", choices=("content", "canvas"), default="content")
    p.add_argument("--margin", type=margin, default=0.05)
    p.add_argument("--background", default="255,255,255", help="R,G,B behind composite_rgb.png")
    p.add_argument("--split", choices=("auto", "model", "pose"), default="auto",
                   help="auto (default): per model from 10 models on, per pose below")
    p.add_argument("--format", choices=FORMATS, default="folders",
                   help="folders (default: the layout `live2d export` writes) or shards (WebDataset tar files, "
                   "one per model)")
    p.add_argument("--workers", type=int_in(1, 4096), default=os.cpu_count() or 1,
                   help="models processed at once (default: the CPU count)")
    p.add_argument("--time-limit", type=float_in(1, 86400), default=600.0,
                   help="seconds a model may take before its worker is killed (default 600)")
    p.add_argument("--memory-cap", type=memory_size, default=4 << 30,
                   help="address space of each worker, e.g. 4G (default) or 0 for none (Linux and BSD)")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local worker processes (default) or a Ray cluster (pip install \".[cluster]\")")
    p.add_argument("--address", help="with --engine ray: the cluster to join (e.g. auto, or ray://host:10001); "
                   "default: start a local one with --workers CPUs")
    gate = p.add_argument_group("quality gate")
    defaults = Thresholds()
    for option, name, text in THRESHOLD_HELP:
        kind = int_in(-1) if name == "max_warnings" else float_in(0.0, 1000.0)
        gate.add_argument(option, dest=name, type=kind, default=getattr(defaults, name),
                          help=f"{text} (default {getattr(defaults, name)})")
    gate.add_argument("--review", choices=REVIEW_POLICIES, default="hold",
                      help="hold (default): a model below a threshold goes to the review list instead of the "
                      "dataset; mark: it is exported and listed for review")
    p.add_argument("--json", action="store_true", help="no progress bar; one JSON object per line on stdout")
    p.set_defaults(func=run_batch)
    return p


def run_batch(args: argparse.Namespace) -> int:
    from seethrough.annotation.batch.driver import Batch

    if not args.root.exists():
        raise BadInput(f"{args.root} does not exist")
    options = _options(args)
    engine = _engine(args)
    listener = _JsonListener() if args.json else _BarListener()
    try:
        summary = Batch(args.root, args.output, options, engine, resume=args.resume,
                        retry_failed=args.retry_failed, listener=listener).run()
    finally:
        listener.close()
    if args.json:
        print(json.dumps({"event": "done", **summary.to_json()}, ensure_ascii=False), flush=True)
    else:
        print(f"{args.output}: {summary.exported} models exported ({summary.samples} samples), {summary.review} for "
              f"review, {summary.failed} failed, {summary.duplicates} duplicates skipped; {summary.processed} "
              f"processed in {summary.seconds:.0f} s, {summary.skipped} already done. Report: {summary.report}")
    return 0


def _options(args: argparse.Namespace) -> Any:
    from seethrough.annotation.batch.options import BatchOptions
    from seethrough.annotation.batch.quality import Thresholds
    from seethrough.annotation.poses import load_poses
    from seethrough.cli.live2d_commands import _background

    poses = None if args.poses == "default" else tuple(load_poses(Path(args.poses)))
    thresholds = Thresholds(args.min_coverage, args.max_uncertain_area, args.max_excluded_area, args.min_psnr,
                            args.max_warnings)
    return BatchOptions(poses=poses, size=args.size, tagset=args.tags, provider=args.provider, frame=args.frame,
                        margin=args.margin, background=_background(args.background), split=args.split,
                        thresholds=thresholds, review=args.review, format=args.format)


def _engine(args: argparse.Namespace) -> Any:
    from seethrough.annotation.batch.driver import BOOKKEEPING
    from seethrough.annotation.batch.engines import LocalEngine, RayEngine

    if args.engine == "ray":
        return RayEngine(args.address, args.workers, args.time_limit, args.memory_cap)
    if args.address:
        raise BadInput("--address is for --engine ray")
    return LocalEngine(args.workers, args.time_limit, args.memory_cap, log_dir=args.output / BOOKKEEPING / "logs")


class _BarListener:
    """A progress bar with the models done, the elapsed time and the ETA, on stderr (rich)."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._bar: Any = None

    def __call__(self, event: str, result: Any, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if event == "start":
            self._progress = Progress(TextColumn("models"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[last]}"),
                                      console=Console(stderr=True))
            self._bar = self._progress.add_task("models", total=total, last="")
            self._progress.start()
        elif self._progress is not None and result is not None:
            self._progress.update(self._bar, advance=1, last=result.status)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


class _JsonListener:
    """One JSON object per line: `start` (how many to do), then one per model as it finishes."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, event: str, result: Any, total: int) -> None:
        if event == "start":
            line: dict[str, Any] = {"event": "start", "to_do": total}
        else:
            self.done += 1
            line = {"event": "model", "done": self.done, "to_do": total, "key": result.key, "status": result.status,
                    "reason": result.reason, "seconds": result.seconds}
        print(json.dumps(line, ensure_ascii=False), flush=True)

    def close(self) -> None:
        pass
