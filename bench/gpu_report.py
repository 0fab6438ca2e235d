"""One table from the parts of bench/cuda_checks.sh: our decomposition and the authors' side by side per size and
memory mode (per stage, peak memory, UNet TFLOP/s), the training steps per job, the GPU tests' result. Prints it,
writes it into a Markdown file between markers (bench/RESULTS.md on a GPU) and writes the numbers as JSON
(bench/gpu_results.json) so later runs can be compared by a program:

    {"gpu", "date", "device", "torch", "memory_unit": "GiB",
     "results": {"<size>": {"<mode>[/<settings>]": {"ours_s", "authors_s", "peak_gb", "unet_tflops", ...}}},
     "training": [{"job", "s_per_step", "samples_per_s", "peak_gb", ...}], "tests": "...", "parts": [...]}

    python -m bench.gpu_report --parts DIR --json bench/gpu_results.json --markdown bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from pathlib import Path
from typing import Any

START, END = "<!-- gpu-results:start -->", "<!-- gpu-results:end -->"
STAGES = ("body pass", "head pass", "VAE decode", "transparent decoder", "depth")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def collect(parts: Path) -> dict[str, Any]:
    env = _load(parts / "environment.json") or {}
    ours = [row for f in sorted(parts.glob("ours*.json")) for row in (_load(f) or [])]
    authors = {row["size"]: row for row in (_load(parts / "authors.json") or []) if "size" in row}
    results: dict[str, dict[str, Any]] = {}
    for row in ours:
        if "size" not in row:
            continue
        key = row["mode"] if row["settings"] == "default" else f"{row['mode']}/{row['settings']}"
        entry = {"ours_s": row["total_s"], "peak_gb": row["peak_gb"], "unet_tflops": row["unet_tflops"],
                 "steps": row["steps"], "s_per_step": row["s_per_step"], "stages": row["stages"],
                 "warmup_s": row.get("warmup_s"), "speed": row.get("speed"), "authors_s": None}
        theirs = authors.get(row["size"])
        if theirs and row["mode"] == "none" and theirs.get("steps") == row["steps"] and "total_s" in theirs:
            entry.update(authors_s=theirs["total_s"], authors_peak_gb=theirs["peak_gb"],
                         authors_unet_tflops=theirs["unet_tflops"], authors_stages=theirs["stages"],
                         speedup=round(theirs["total_s"] / row["total_s"], 2))
        results.setdefault(str(row["size"]), {})[key] = entry
    for size, theirs in authors.items():  # the authors' numbers even when ours failed at that size
        if "total_s" in theirs and "none" not in results.get(str(size), {}):
            results.setdefault(str(size), {})["authors only"] = {
                "ours_s": None, "authors_s": theirs["total_s"], "authors_peak_gb": theirs["peak_gb"],
                "authors_unet_tflops": theirs["unet_tflops"], "authors_stages": theirs["stages"],
                "steps": theirs["steps"]}
    return {
        "gpu": env.get("gpu", "unknown"), "date": datetime.date.today().isoformat(),
        "device": env.get("device", "cuda"), "torch": env.get("torch"), "diffusers": env.get("diffusers"),
        "memory_unit": "GiB", "results": results, "training": _load(parts / "training.json") or [],
        "tests": _tests_line(parts / "logs" / "tests.log"), "parts": _summary(parts / "summary.txt"),
        "failures": [row for row in ours if "error" in row] + [r for r in authors.values() if "error" in r],
    }


def _tests_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "not run"
    found = [line.strip("= ") for line in lines if re.search(r"\d+ (passed|failed|skipped|error)", line)]
    return found[-1] if found else "no pytest summary (see the log)"


def _summary(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def _n(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(report: dict[str, Any]) -> str:
    weights = ("the tiny parity release, fp32 (a smoke check of the code paths: not a measurement)"
               if report["device"] == "cpu" else "random full-size weights, bf16")
    lines = [
        f"Measured on {report['gpu']} ({report['device']}), torch {report['torch']}, diffusers "
        f"{report['diffusers']}, on {report['date']} by `bench/cuda_checks.sh` ({weights}; seed 42; memory in GiB; "
        f"ours = `engine.decompose`, authors = their `apply_layerdiff` + `apply_marigold` + `further_extr` after a "
        f"loading warm-up):",
        "",
        "| size | mode / settings | steps | ours | authors | speed-up | peak ours / authors | UNet TFLOP/s ours / "
        "authors | ours per stage: " + " / ".join(STAGES) + " | warm-up |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, modes in sorted(report["results"].items(), key=lambda kv: int(kv[0])):
        for key, e in modes.items():
            stages = " / ".join(_n(e.get("stages", {}).get(s)) for s in STAGES)
            lines.append(
                f"| {size}² | {key} | {e.get('steps', '–')} | {_n(e.get('ours_s'))} s | {_n(e.get('authors_s'))} s | "
                f"{_n(e.get('speedup'), 2)}× | {_n(e.get('peak_gb'))} / {_n(e.get('authors_peak_gb'))} | "
                f"{_n(e.get('unet_tflops'), 0)} / {_n(e.get('authors_unet_tflops'), 0)} | {stages} | "
                f"{_n(e.get('warmup_s'))} s |")
    if report["training"]:
        lines += ["", "| training job | s/step | samples/s | peak GiB | batch | model |", "|---|---|---|---|---|---|"]
        for t in report["training"]:
            lines.append(f"| {t.get('job')} | {_n(t.get('s_per_step'), 3)} | {_n(t.get('samples_per_s'), 2)} | "
                         f"{_n(t.get('peak_gb'), 2)} | {t.get('batch', '–')} | {t.get('model', '–')} |")
    lines += ["", f"GPU tests: {report['tests']}."]
    for failure in report["failures"]:
        lines.append(f"Failed: {failure.get('mode', '')} {failure.get('settings', '')} {failure.get('size', '')}: "
                     f"{str(failure.get('error')).splitlines()[0]}")
    if report["parts"]:
        lines += ["", "Parts: " + "; ".join(report["parts"]) + "."]
    return "\n".join(lines)


def write_markdown(path: Path, text: str) -> None:
    """Replace the section between the markers (or append it under a heading)."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = f"{START}\n{text}\n{END}"
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n## Side by side with the authors' code on a GPU (issue 21)\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=Path, required=True, help="the folder bench/cuda_checks.sh wrote into")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, required=True)
    args = parser.parse_args()
    report = collect(args.parts)
    text = table(report)
    print(text)
    args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    write_markdown(args.markdown, text)


if __name__ == "__main__":
    main()
