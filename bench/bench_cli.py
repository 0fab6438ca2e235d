"""Time of a cold `seethrough-gui info sample --json` process (interpreter start, imports, building the sample).

Prints the best and median of a few runs, in seconds. Run from the repository root:
`python -m bench.bench_cli [--runs 5]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def one_run() -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "info", "sample", "--json"],
                            capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    json.loads(result.stdout)  # the run must have produced the real answer
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = [one_run() for _ in range(args.runs)]
    print(f"cli info sample --json (cold process): best {min(times):.3f} s, median {statistics.median(times):.3f} s "
          f"over {args.runs} runs")


if __name__ == "__main__":
    main()
