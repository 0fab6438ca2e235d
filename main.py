"""Entry point of `seethrough-gui` when run from a checkout (`python main.py …`): the installed command calls the
same function, `seethrough.app.__main__.main`."""

from __future__ import annotations

import sys

from seethrough.app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
