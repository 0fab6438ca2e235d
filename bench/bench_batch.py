"""`live2d batch` throughput: models per minute on a corpus of the fixture models copied many times (each copy a
distinct model: its settings file differs, so the content keys differ; the other files are hard links), with 1 and 2
local workers and on a local Ray cluster; the driver's own time as a share of the workers' time; the peak resident
memory of a worker. Optionally (`--paper N`) the per-model time at the paper's settings (9 poses at 1024²) on N
models with one worker, the number the docs scale to 9,102 models. Prints numbers, asserts nothing.

    python -m bench.bench_batch [--copies 23] [--size 256] [--poses 3] [--ray] [--paper 9]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build(fixtures: Path, root: Path, copies: int) -> int:
    """`copies` distinct variants of every fixture model under `root`; returns how many models."""
    from seethrough.annotation.batch.discover import find_sources

    count = 0
    for source in find_sources(fixtures):
        settings = Path(source.path)
        folder = settings.parent
        for i in range(copies):
            target = root / f"{folder.name}-{i:03d}"
            for path in folder.rglob("*"):
                dest = target / path.relative_to(folder)
                if path.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                elif path != settings:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.link(path, dest)
            data = json.loads(settings.read_text(encoding="utf-8-sig"))
            data["BenchCopy"] = i
            (target / settings.name).write_text(json.dumps(data), encoding="utf-8")
            count += 1
    return count


def run(root: Path, out: Path, options, engine) -> dict:
    from seethrough.annotation.batch.driver import Batch
    from seethrough.annotation.batch.manifest import Manifest

    start, cpu = time.perf_counter(), time.process_time()
    summary = Batch(root, out, options, engine).run()
    wall, driver_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = [row.peak_rss for row in Manifest(out / ".batch" / "manifest.sqlite").rows() if row.peak_rss]
    return {"models": summary.processed, "wall": wall, "per_minute": 60 * summary.processed / wall,
            "work": summary.work_seconds, "cpu": summary.work_cpu_seconds, "driver": summary.driver_seconds,
            "driver_cpu": driver_cpu,
            "overhead": summary.driver_seconds / summary.work_seconds if summary.work_seconds else float("nan"),
            "rss_max": max(rss, default=0) / 2**20, "rss_median": statistics.median(rss) / 2**20 if rss else 0,
            "exported": summary.exported, "review": summary.review, "failed": summary.failed,
            "samples": summary.samples}


def show(name: str, r: dict) -> None:
    print(f"{name:<28} {r['models']:4d} models in {r['wall']:7.1f} s = {r['per_minute']:6.1f} models/min; "
          f"worker time {r['work']:7.1f} s ({r['work'] / r['models']:.2f} s/model, CPU {r['cpu'] / r['models']:.2f} "
          f"s/model); driver {r['driver']:5.2f} s = {r['overhead']:.1%} of the work (driver process CPU "
          f"{r['driver_cpu']:.1f} s = {r['driver_cpu'] / r['cpu']:.1%} of the workers' CPU); worker peak RSS max "
          f"{r['rss_max']:.0f} MiB (median "
          f"{r['rss_median']:.0f}); {r['exported']} exported / {r['review']} review / {r['failed']} failed, "
          f"{r['samples']} samples", flush=True)


def main() -> None:
    from seethrough.annotation.batch.engines import LocalEngine, RayEngine
    from seethrough.annotation.batch.options import BatchOptions
    from seethrough.core.paths import fixtures_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=23, help="copies of each of the 9 fixtures (23: 207 models)")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--poses", type=int, default=3, help="poses per model: the first N of the default sweep")
    parser.add_argument("--ray", action="store_true", help="also on a local Ray cluster (2 CPUs)")
    parser.add_argument("--paper", type=int, default=0, help="also N models at 9 poses × 1024², 1 worker")
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    fixtures = fixtures_dir()
    if not (fixtures / "Mark").is_dir():
        sys.exit(f"Live2D fixtures not found in {fixtures} (set SEETHROUGH_FIXTURES)")
    sweep = (("neutral", {}), ("up", {"ParamAngleY": 21.0, "PARAM_ANGLE_Y": 21.0}),
             ("left", {"ParamAngleX": -21.0, "PARAM_ANGLE_X": -21.0}),
             ("right", {"ParamAngleX": 21.0, "PARAM_ANGLE_X": 21.0}))[: args.poses]
    options = BatchOptions(poses=sweep, size=args.size)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        n = build(fixtures, tmp_path / "corpus", args.copies)
        print(f"corpus: {n} models ({args.copies} copies of each fixture), {len(sweep)} poses at {args.size} px; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
        results = {}
        for workers in (1, 2):
            results[workers] = run(tmp_path / "corpus", tmp_path / f"local{workers}", options,
                                   LocalEngine(workers, args.time_limit, 4 << 30))
            show(f"local, {workers} worker(s)", results[workers])
        print(f"speed-up 2 workers / 1: {results[2]['per_minute'] / results[1]['per_minute']:.2f}×", flush=True)
        if args.ray:
            on_ray = run(tmp_path / "corpus", tmp_path / "ray", options, RayEngine(None, 2, args.time_limit, 4 << 30))
            show("ray, local cluster, 2 CPUs", on_ray)
        if args.paper:
            paper_root = tmp_path / "paper"
            build(fixtures, paper_root, 1)
            kept = sorted(paper_root.iterdir())[: args.paper]
            for extra in sorted(paper_root.iterdir())[args.paper:]:
                import shutil

                shutil.rmtree(extra)
            paper = run(paper_root, tmp_path / "paper-out", BatchOptions(size=1024), LocalEngine(1, 3600, 8 << 30))
            show(f"paper settings ({len(kept)} models)", paper)
            per_model = paper["cpu"] / max(paper["models"], 1)
            print(f"paper settings: {per_model:.1f} CPU s per model → 9,102 models: "
                  + ", ".join(f"{cores} cores {9102 * per_model / cores / 3600:.1f} h" for cores in (2, 16, 64, 256)))


if __name__ == "__main__":
    main()
