"""`python -m seethrough.app`: the same entry point as the `seethrough-gui` command (and the repository's main.py)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """With a subcommand, work headless; otherwise open the app."""
    from seethrough.app.cli import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
