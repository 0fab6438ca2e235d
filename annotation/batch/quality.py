"""The quality gate of the batch: what is measured on each labelled model, the thresholds, and how the models
sent to review are ranked.

Measured at the model's default pose, on the dataset's frame:
- `coverage`: labelled / labellable meshes (excluded ones not counted), `AutoLabelReport.coverage`;
- `uncertain_area`: the share of the character's visible area (excluded meshes left out) whose label is missing or
  was set by a rule with confidence below `LOW_CONFIDENCE` (a person's label counts as certain);
- `excluded_area`: the share of the model's whole visible area taken by meshes left out as effects or
  non-character parts (`AutoLabelReport.excluded`), and how many they are;
- `psnr`: the render of the labelled layers against the model's own render (everything it shows), in dB over the
  over-black / over-white comparison of `core.metrics` (None: identical) — what the dataset's composite loses;
- `warnings`: the loader's warnings (optional files skipped, blend modes approximated).

A model fails the gate when any measure is past its threshold; the reasons name each one. Thresholds are declared
once here with their defaults; the CLI exposes each as an option.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: a label set by a rule below this confidence counts as uncertain (name matches are 0.6–0.9, votes 0.4–0.5)
LOW_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Thresholds:
    min_coverage: float = 0.9
    max_uncertain_area: float = 0.5
    max_excluded_area: float = 0.5
    min_psnr: float = 12.0
    max_warnings: int = -1  # -1: any number

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: (option name, field, help) of each threshold, for the CLI
THRESHOLD_HELP: tuple[tuple[str, str, str], ...] = (
    ("--min-coverage", "min_coverage", "least share of the labellable meshes that must be labelled"),
    ("--max-uncertain-area", "max_uncertain_area",
     f"largest share of the character's visible area left unlabelled or labelled with confidence < "
     f"{LOW_CONFIDENCE}"),
    ("--max-excluded-area", "max_excluded_area",
     "largest share of the model's visible area that may be left out as effects or non-character parts"),
    ("--min-psnr", "min_psnr", "least PSNR (dB) of the labelled layers' render against the model's own render"),
    ("--max-warnings", "max_warnings", "most loader warnings (-1: any number)"),
)


def gate(metrics: Mapping[str, Any], limits: Thresholds) -> list[str]:
    """Why the model fails the gate (one short reason per measure past its threshold); empty when it passes."""
    reasons = []
    if metrics["coverage"] < limits.min_coverage:
        reasons.append(f"coverage {metrics['coverage']:.0%} < {limits.min_coverage:.0%}")
    if metrics["uncertain_area"] > limits.max_uncertain_area:
        reasons.append(f"uncertain area {metrics['uncertain_area']:.0%} > {limits.max_uncertain_area:.0%}")
    if metrics["excluded_area"] > limits.max_excluded_area:
        reasons.append(f"excluded area {metrics['excluded_area']:.0%} > {limits.max_excluded_area:.0%}")
    psnr = metrics["psnr"]
    if psnr is not None and psnr < limits.min_psnr:
        reasons.append(f"recomposite PSNR {psnr:.1f} dB < {limits.min_psnr:g} dB")
    if limits.max_warnings >= 0 and len(metrics["warnings"]) > limits.max_warnings:
        reasons.append(f"{len(metrics['warnings'])} loader warnings > {limits.max_warnings}")
    return reasons


def review_score(metrics: Mapping[str, Any]) -> float:
    """How much a model needs a person (higher first): what is unlabelled, uncertain or left out, plus the part
    of the render the layers miss (PSNR below 40 dB, scaled to 0..1)."""
    psnr = metrics.get("psnr")
    missing = 0.0 if psnr is None else max(0.0, min(1.0, (40.0 - psnr) / 40.0))
    return round((1.0 - metrics["coverage"]) + metrics["uncertain_area"] + metrics["excluded_area"] + missing, 6)


def finite_or_none(value: float) -> float | None:
    """PSNR for JSON: None for identical images (inf)."""
    return None if math.isinf(value) else round(value, 3)
