"""`seethrough-gui train CONFIG …` and `seethrough-gui eval …`: training and evaluation, headless.

`train` prints one JSON event per line (training.events) and writes them to `<output>/metrics.jsonl`;
the Train workspace runs exactly this command as a child process (through `accelerate launch` for several
processes: then only the main process prints and records events; docs/training.md). CONFIG is a YAML file or
the name of a packaged config (`train --list-configs`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seethrough.cli import print_json
from seethrough.cli.arg_types import positive, resolution, steps


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model from a YAML job config (a file, or a packaged config's name)")
    p.add_argument("config", nargs="?", help="a YAML job config, or the name of a packaged one, e.g. "
                   "layers_stage1_tiny (see --list-configs)")
    p.add_argument("--list-configs", action="store_true", help="list the packaged configs and exit")
    p.add_argument("--json", action="store_true", help="with --list-configs: a JSON list")
    p.add_argument("--output", type=Path, help="run folder (default: the config's `output`)")
    p.add_argument("--resume", type=Path, help="a run folder or checkpoint to resume from")
    p.add_argument("--data", type=Path, help="dataset folder (overrides the config's `data`)")
    p.add_argument("--max-steps", type=at_least_one, help="override the config's max_steps (≥ 1)")
    p.set_defaults(func=run_train)

    e = sub.add_parser("eval", help="evaluate a layer model on a dataset's test split")
    e.add_argument("--model", type=Path, required=True, help="layer model folder")
    e.add_argument("--depth-model", type=Path, help="depth model folder (depth metrics when given)")
    e.add_argument("--data", type=Path, required=True, help="dataset folder")
    e.add_argument("-o", "--output", type=Path, required=True, help="report.json (a .md is written beside it)")
    e.add_argument("--split", default="test")
    e.add_argument("--resolution", type=resolution, default=1024, help="64–8192 (default 1024)")
    e.add_argument("--steps", type=steps, default=30, help="1–1000 (default 30)")
    e.add_argument("--limit", type=positive, help="evaluate at most this many samples")
    e.set_defaults(func=run_eval)


def at_least_one(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run_train(args: argparse.Namespace) -> int:
    from seethrough.core.errors import BadInput
    from seethrough.training.config import resolve_config

    if args.list_configs:
        return list_configs(args.json)
    if args.config is None:
        raise BadInput("train needs a config: a YAML file or a packaged config's name (see train --list-configs)")
    return train_from(resolve_config(args.config), args)


def list_configs(as_json: bool) -> int:
    """The packaged configs: name, job and file (a name is what `train NAME` accepts)."""
    from seethrough.core.io.strict_yaml import load_yaml
    from seethrough.training.config import packaged_configs

    rows = []
    for name, path in packaged_configs().items():
        raw = load_yaml(path)
        job = raw.get("job", "?") if isinstance(raw, dict) else "?"
        rows.append({"name": name, "job": str(job), "path": str(path)})
    if as_json:
        print_json(rows)
    else:
        width = max((len(r["name"]) for r in rows), default=0)
        for row in rows:
            print(f"{row['name']:<{width}}  {row['job']}")
    return 0


def train_from(config: Path, args: argparse.Namespace) -> int:
    """Train with `config` (+ the command line's overrides). Under a multi-process launcher every process runs
    this; the main one alone records events."""
    from seethrough.core.errors import Cancelled
    from seethrough.training.config import load_config
    from seethrough.training.distributed import end_processes, exit_with_launcher, launched_rank
    from seethrough.training.events import EventWriter
    from seethrough.training.jobs import make_job
    from seethrough.training.runner import train

    exit_with_launcher()
    overrides = {"output": str(args.output) if args.output else None, "data": str(args.data) if args.data else None}
    if args.max_steps is not None:
        overrides["max_steps"] = args.max_steps
    cfg = load_config(config, **overrides)
    writer = EventWriter(cfg.output_dir) if launched_rank() == 0 else None
    try:
        job = make_job(cfg)
        train(cfg, job, resume=args.resume, emit=writer)
    except Cancelled:
        return 0  # stopped on request: a checkpoint was written and a "stopped" event printed
    except Exception as exc:
        if writer is not None:
            writer("error", message=str(exc))
        raise
    finally:
        if writer is not None:
            writer.close()
        end_processes()
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from seethrough.training.evaluate import evaluate

    report = evaluate(
        args.model, args.data, args.output, depth_model=args.depth_model, split=args.split,
        resolution=args.resolution, steps=args.steps, limit=args.limit,
    )
    print_json(report["summary"])
    return 0
