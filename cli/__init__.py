"""Headless command line of `seethrough-gui`: this package never imports Qt or the app (an import contract in
pyproject.toml says so).

`seethrough-gui [FILE]` opens the GUI (the app hands its launcher to `run`); `seethrough-gui SUBCOMMAND …` works
headless. Each module listed in
`SUBCOMMAND_MODULES` exposes `register(subparsers)`, adding parsers whose `func(args) -> int` does the work.
Exit codes: 0 ok, 2 bad input or an environment problem such as a full disk (one-line reason on stderr),
1 an internal error (one "please report" line on stderr; the traceback goes to a log file, not the terminal),
130 interrupted. `run` is the only place that maps exceptions to exit codes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

SUBCOMMAND_MODULES = (
    "seethrough.cli.layer_commands",
    "seethrough.cli.decompose_commands",
    "seethrough.cli.train_commands",
    "seethrough.cli.models_commands",
    "seethrough.cli.live2d_commands",
    "seethrough.cli.quality_commands",
    "seethrough.cli.animate_commands",
    "seethrough.cli.apply_command",
)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line on stderr (`seethrough-gui stratify: error: argument --k: …`) and
    exit 2, like every other bad input; `--help` still prints the full usage. Subparsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


#: opens the app on a file (or on nothing) and returns the exit code; given to `run` by the app's entry point
GuiLauncher = Callable[[str | None], int]


def build_parser(open_gui: GuiLauncher | None = None) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="seethrough-gui",
        description="See-through Studio: layer decomposition of anime characters. "
        "Without a subcommand, opens the app (optionally on FILE).",
    )
    parser.add_argument("--version", action="version", version=f"seethrough-gui {version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the app (the default)")
    gui.add_argument("file", nargs="?", help="an image, PSD, project or Live2D model to open")
    gui.set_defaults(func=lambda args: _run_gui(open_gui, args))
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that subcommand is not part of this checkout (yet); the others still work
        module.register(sub)
    return parser


def version() -> str:
    """The installed package's version (`seethrough-studio`), or "unknown" in a checkout that is not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("seethrough-studio")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _run_gui(open_gui: GuiLauncher | None, args: argparse.Namespace) -> int:
    from seethrough.core.errors import BadInput

    if open_gui is None:
        raise BadInput("this entry point has no GUI: run `seethrough-gui` to open the app")
    return open_gui(getattr(args, "file", None))


def print_json(obj: Any) -> None:
    """Standard JSON on stdout: numbers that JSON cannot hold (NaN, ±Infinity, which Python would print as the
    non-standard `NaN`/`Infinity`) become null, so any JSON reader can parse what we print."""
    print(json.dumps(_finite(obj), indent=2, ensure_ascii=False, default=_json_default, allow_nan=False))


def _finite(obj: Any) -> Any:
    import math

    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return _finite(obj.item())
    if isinstance(obj, np.ndarray):
        return _finite(obj.tolist())
    return str(obj)


def _internal_error(exc: BaseException) -> int:
    """Our bug: one line on the terminal, the traceback in `<user data>/logs/cli-errors.log`."""
    from seethrough.core.paths import user_data_dir

    trace = "".join(traceback.format_exception(exc))
    log = user_data_dir() / "logs" / "cli-errors.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- seethrough-gui {' '.join(sys.argv[1:])}\n{trace}\n")
        where = f"the details are in {log}"
    except OSError:
        where = "the details follow"
        print(trace, file=sys.stderr)
    _say(f"internal error ({type(exc).__name__}: {exc}); please report it — {where}")
    return EXIT_INTERNAL


def _quiet_broken_pipe() -> int:
    """`seethrough-gui info … | head`: the reader went away; leave quietly like other Unix tools."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_OK


def run(argv: list[str], open_gui: GuiLauncher | None = None) -> int:
    """Parse `argv` and run its subcommand (the GUI without one, through `open_gui`); the exit code."""
    parser = build_parser(open_gui)
    known: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            known = set(action.choices)
    if not argv or (argv[0] not in known and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if args.command in (None, "gui"):
        return _run_command(args)  # the app has its own logging, progress and error dialogs
    from seethrough.cli.terminal import command_output, print_held_warnings

    with command_output() as held:  # libraries silent, our progress on a terminal only
        code = _run_command(args)
    if code == EXIT_OK:
        print_held_warnings(held)  # a failure prints its reason alone
    return code


def _say(text: str) -> None:
    """One line on stderr, after erasing any progress line on the terminal."""
    from seethrough.cli.terminal import clear_progress

    clear_progress()
    print(f"seethrough-gui: {text}", file=sys.stderr)


def _run_command(args: argparse.Namespace) -> int:
    """`args.func(args)` with every exception mapped to an exit code and at most one line on stderr."""
    from seethrough.core.errors import BadInput, Cancelled, ModelNotFound, SeeThroughError, describe_os_error

    try:
        return int(args.func(args) or 0)
    except (BadInput, ModelNotFound) as exc:
        _say(" ".join(str(exc).splitlines()))
        return EXIT_BAD_INPUT
    except Cancelled as exc:
        _say(f"cancelled: {exc}")
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except MemoryError:
        _say("cannot complete: out of memory (try a smaller input)")
        return EXIT_BAD_INPUT
    except OSError as exc:  # the environment (disk full, read-only, a folder in the way): not our bug
        _say(f"cannot complete: {describe_os_error(exc)}")
        return EXIT_BAD_INPUT
    except SeeThroughError as exc:
        _say(str(exc))
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as exc:
        message = _foreign_bad_input(exc)
        if message is not None:
            _say(message)
            return EXIT_BAD_INPUT
        return _internal_error(exc)  # an internal error


def _foreign_bad_input(exc: Exception) -> str | None:
    """A library's exception that means bad input (a safety net; readers convert these themselves)."""
    name = type(exc).__name__
    if name == "ValidationError" and type(exc).__module__.startswith("pydantic"):
        from pydantic import ValidationError

        from seethrough.core.io.schemas import describe

        if isinstance(exc, ValidationError):
            return describe(exc)
    if name == "DecompressionBombError":
        return f"image too large: {exc}"
    return None
