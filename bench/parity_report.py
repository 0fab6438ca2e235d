"""Print the parity table: the project's decomposition vs the goldens the authors' code produced on the tiny release
(tests/data/parity/), stage by stage, one row per quantity with its limit. CPU, a few minutes.

  python -m bench.parity_report [CASE ...]
  python -m bench.parity_report --device cuda --dtype bfloat16 --goldens DIR [CASE ...]

The second form is the CUDA check: DIR holds goldens the authors' code made on the same GPU in its own precision
(bf16, models on CUDA), with the harness described in docs/parity.md; the project's side runs there too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.support.parity_compare import GOLDENS, Where, build_release, compare
from tests.support.parity_release import CASES


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    text = str(value)
    return text if len(text) <= 48 else text[:45] + "..."


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help="case names (default: every case)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--goldens", type=Path, default=GOLDENS)
    args = parser.parse_args(argv)
    where = Where(args.device, args.dtype, args.goldens)
    cases = [c for c in CASES if not args.cases or c.name in args.cases]
    cases = [c for c in cases if (where.goldens / f"{c.name}.npz").exists()]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        release = build_release(Path(tmp), where)
        print(f"tiny release built in {time.perf_counter() - start:.1f} s")
        print(f"{'case':24s} {'stage':13s} {'quantity':52s} {'value':>50s} {'limit':>12s}  ok")
        for case in cases:
            start = time.perf_counter()
            try:
                rows = compare(case, release, where)
            except Exception as exc:  # one case that cannot run must not hide the others
                bad += 1
                print(f"{case.name:24s} could not be compared: {type(exc).__name__}: {exc}")
                continue
            for r in rows:
                bad += not r.ok
                print(f"{r.case:24s} {r.stage:13s} {r.what[:52]:52s} {_fmt(r.value):>50s} {_fmt(r.limit)[:12]:>12s}  "
                      f"{'yes' if r.ok else 'NO'}")
            print(f"{case.name:24s} ({time.perf_counter() - start:.1f} s)")
    print("all rows within limits" if not bad else f"{bad} rows out of limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
