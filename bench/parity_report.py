"""Print the parity table: the project's decomposition vs the goldens the authors' code produced on the tiny release
(tests/data/parity/), stage by stage, one row per quantity with its limit. CPU, a few minutes.

  python bench/parity_report.py [CASE ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.parity_compare import build_release, compare  # noqa: E402
from tests.support.parity_release import CASES  # noqa: E402


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    text = str(value)
    return text if len(text) <= 48 else text[:45] + "..."


def main(names: list[str]) -> int:
    cases = [c for c in CASES if not names or c.name in names]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        release = build_release(Path(tmp))
        print(f"tiny release built in {time.perf_counter() - start:.1f} s")
        print(f"{'case':24s} {'stage':13s} {'quantity':52s} {'value':>50s} {'limit':>12s}  ok")
        for case in cases:
            start = time.perf_counter()
            for r in compare(case, release):
                bad += not r.ok
                print(f"{r.case:24s} {r.stage:13s} {r.what[:52]:52s} {_fmt(r.value):>50s} {_fmt(r.limit)[:12]:>12s}  "
                      f"{'yes' if r.ok else 'NO'}")
            print(f"{case.name:24s} ({time.perf_counter() - start:.1f} s)")
    print("all rows within limits" if not bad else f"{bad} rows out of limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
