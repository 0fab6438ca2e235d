"""Headless command line of `seethrough-gui` (no Qt is imported unless the GUI is opened).

`seethrough-gui [FILE]` opens the GUI; `seethrough-gui SUBCOMMAND …` works headless. Each module listed in
`SUBCOMMAND_MODULES` exposes `register(subparsers)`, adding parsers whose `func(args) -> int` does the work.
Exit codes: 0 ok, 2 bad input (one-line reason on stderr), 1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from typing import Any

SUBCOMMAND_MODULES = (
    "seethrough.app.cli.layer_commands",
    "seethrough.app.cli.decompose_commands",
    "seethrough.app.cli.train_commands",
    "seethrough.app.cli.models_commands",
    "seethrough.app.cli.live2d_commands",
)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seethrough-gui",
        description="See-through Studio: layer decomposition of anime characters. "
        "Without a subcommand, opens the app (optionally on FILE).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the app (the default)")
    gui.add_argument("file", nargs="?", help="an image, PSD, project or Live2D model to open")
    gui.set_defaults(func=_run_gui)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that subcommand is not part of this checkout (yet); the others still work
        module.register(sub)
    return parser


def _run_gui(args: argparse.Namespace) -> int:
    from seethrough.app.application import run_app

    return run_app(getattr(args, "file", None))


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def run(argv: list[str]) -> int:
    from seethrough.core.errors import BadInput, Cancelled, ModelNotFound, SeeThroughError

    parser = build_parser()
    known: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            known = set(action.choices)
    if not argv or (argv[0] not in known and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (BadInput, ModelNotFound) as exc:
        print(f"seethrough-gui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Cancelled as exc:
        print(f"seethrough-gui: cancelled: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except SeeThroughError as exc:
        print(f"seethrough-gui: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("seethrough-gui: interrupted", file=sys.stderr)
        return 130
    except Exception:  # an internal error: show the trace, exit 1
        traceback.print_exc()
        return EXIT_INTERNAL
