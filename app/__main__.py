"""`python -m seethrough.app`: the same entry point as the `seethrough-gui` command (and the repository's main.py)."""

from __future__ import annotations

import sys


def open_gui(file: str | None) -> int:
    """Open the app's window (on `file`); Qt is imported only now, so headless subcommands never load it."""
    from seethrough.app.application import run_app

    return run_app(file)


def main(argv: list[str] | None = None) -> int:
    """With a subcommand, work headless; otherwise open the app."""
    from seethrough.cli import run

    return run(sys.argv[1:] if argv is None else argv, open_gui)


if __name__ == "__main__":
    sys.exit(main())
