"""The batch's report: `DATASET/review/report.json` (for programs, and the review list Annotate opens) and
`DATASET/review/report.md` (for people, with thumbnails in `review/thumbs/`).

The review list ranks the models that failed the quality gate, worst first (most failed checks, then the highest
`quality.review_score`); each entry names its editable copy and label file (paths relative to the report's folder)
and the label file's SHA-256 when the batch wrote it, so a reader can tell which models a person has changed since.
Failed models are listed with their reason, duplicates with the copy that was processed. Nothing in the report
depends on timing or on where the dataset lives, so two runs over the same models write the same report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seethrough.annotation.batch.manifest import EXPORTED, FAILED, REVIEW, Row
from seethrough.annotation.batch.options import BatchOptions
from seethrough.annotation.batch.quality import review_score
from seethrough.core.io.atomic import atomic_write_bytes

REPORT_SCHEMA = 1


@dataclass(frozen=True)
class ReviewInfo:
    """Where a model's review copy and label file are, relative to the report's folder."""

    model_file: str
    label_file: str
    label_sha: str


def review_entries(rows: Sequence[Row], copies: dict[str, ReviewInfo]) -> list[dict[str, Any]]:
    """The models for review, worst first (module docstring)."""
    listed = [r for r in rows if r.state == REVIEW or (r.state == EXPORTED and r.reason)]
    ranked = sorted(listed, key=lambda r: (-r.reason.count(";") - 1, -review_score(r.metrics), r.key))
    out = []
    for rank, row in enumerate(ranked, 1):
        info = copies.get(row.key)
        out.append({
            "rank": rank, "key": row.key, "name": row.name, "source": row.source, "exported": row.state == EXPORTED,
            "reasons": row.reason.split("; "), "score": review_score(row.metrics), "metrics": row.metrics,
            "model_file": info.model_file if info else None, "label_file": info.label_file if info else None,
            "label_sha": info.label_sha if info else None, "thumbnail": f"thumbs/{row.key}.png",
        })
    return out


def report_data(rows: Sequence[Row], duplicates: Sequence[tuple[str, str]], options: BatchOptions,
                copies: dict[str, ReviewInfo]) -> dict[str, Any]:
    review = review_entries(rows, copies)
    failed = sorted(({"key": r.key, "name": r.name, "source": r.source, "reason": r.reason}
                     for r in rows if r.state == FAILED), key=lambda e: (e["source"], e["key"]))
    exported = [r for r in rows if r.state == EXPORTED]
    return {
        "schema": REPORT_SCHEMA,
        "counts": {"models": len(rows), "exported": len(exported), "review": sum(r.state == REVIEW for r in rows),
                   "failed": len(failed), "duplicates": len(duplicates),
                   "samples": sum(len(r.entries) for r in exported)},
        "options": options.to_json(),
        "review": review,
        "failed": failed,
        "duplicates": [{"source": copy, "same_as": first} for copy, first in duplicates],
    }


def write_report(folder: Path, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / "report.json", json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    atomic_write_bytes(folder / "report.md", markdown(data).encode("utf-8"))


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(data: dict[str, Any]) -> str:
    counts = data["counts"]
    limits = data["options"]["thresholds"]
    lines = [
        "# Batch report", "",
        f"{counts['models']} models ({counts['duplicates']} duplicates skipped): {counts['exported']} exported "
        f"({counts['samples']} samples), {counts['review']} held for review, {counts['failed']} failed.", "",
        "Thresholds: " + ", ".join(f"{k} {v}" for k, v in limits.items()) + ".", "",
        "## For review, worst first", "",
    ]
    if data["review"]:
        lines += ["| # | model | source | why | coverage | uncertain area | excluded area | PSNR | render · tags |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in data["review"]:
            m = e["metrics"]
            psnr = "∞" if m.get("psnr") is None else f"{m['psnr']:.1f} dB"
            lines.append(f"| {e['rank']} | {_cell(e['name'])}{' (exported)' if e['exported'] else ''} | "
                         f"{_cell(e['source'])} | {_cell('; '.join(e['reasons']))} | {m['coverage']:.0%} | "
                         f"{m['uncertain_area']:.0%} | {m['excluded_area']:.0%} | {psnr} | "
                         f"![{_cell(e['name'])}]({e['thumbnail']}) |")
    else:
        lines.append("None.")
    lines += ["", "## Failed", ""]
    if data["failed"]:
        lines += ["| model | source | reason |", "|---|---|---|"]
        lines += [f"| {_cell(e['name'])} | {_cell(e['source'])} | {_cell(e['reason'])} |" for e in data["failed"]]
    else:
        lines.append("None.")
    lines += ["", "## Duplicates (skipped)", ""]
    if data["duplicates"]:
        lines += ["| copy | same content as |", "|---|---|"]
        lines += [f"| {_cell(e['source'])} | {_cell(e['same_as'])} |" for e in data["duplicates"]]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ReviewPick:
    """The next model of a review list to open, and where it stands in the list."""

    model_file: Path
    name: str
    reasons: tuple[str, ...]
    rank: int  # its place in the list (1 = worst)
    left: int  # models of the list not yet changed by a person, this one included
    total: int


def next_for_review(report: Path, skip: Sequence[Path] = ()) -> ReviewPick | None:
    """The worst-ranked model of a report's review list whose label file nobody has changed since the batch wrote
    it (its SHA-256 still the one listed), leaving out `skip` (e.g. the model open now); None when none is left.
    BadInput when `report` is not a batch report."""
    from seethrough.core.errors import BadInput
    from seethrough.core.io import safe_json

    data = safe_json.read(report, "review list")
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA or not isinstance(data.get("review"), list):
        raise BadInput(f"{report} is not a batch report (review/report.json of `live2d batch`)")
    folder = report.parent
    skipped = {Path(p).resolve() for p in skip}
    waiting = []
    for entry in data["review"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("model_file"), str):
            continue
        model_file = (folder / entry["model_file"]).resolve()
        if not model_file.is_relative_to(folder.resolve()) or not model_file.is_file():
            continue  # a list names only copies inside its own folder
        labels = (folder / str(entry.get("label_file", ""))).resolve()
        current = hashlib.sha256(labels.read_bytes()).hexdigest() if labels.is_file() else ""
        if current == entry.get("label_sha", ""):
            waiting.append((entry, model_file))
    candidates = [(e, f) for e, f in waiting if f not in skipped]
    if not candidates:
        return None
    entry, model_file = candidates[0]
    return ReviewPick(model_file, str(entry.get("name", model_file.stem)), tuple(map(str, entry.get("reasons", ()))),
                      int(entry.get("rank", 0)), len(waiting), len(data["review"]))
