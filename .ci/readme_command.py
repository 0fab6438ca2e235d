"""Print one of the README's two quick-start commands, exactly as a newcomer copies it: `install-and-run` (the first
bash block under "## Quick start") or `test` (the second). CI runs the test command as written (.ci/run)."""

import sys
from pathlib import Path

WHICH = {"install-and-run": 0, "test": 1}


def quick_start_commands(readme: str) -> list[str]:
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```bash\n")[1:]
    return [block.split("```", 1)[0].strip() for block in blocks]


if __name__ == "__main__":
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    print(quick_start_commands(text)[WHICH[sys.argv[1]]])
