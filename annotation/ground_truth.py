"""Hand-verified ground-truth labels of a Live2D model and the measurement of labels against them (pure: no Live2D).

A ground-truth file (`tests/data/labels/<Model>.json`) holds ArtMesh ids and tags only, never model data:

    {"schema": "seethrough-ground-truth/1", "model": "Mark", "taxonomy": "v3", "notes": "how it was verified",
     "labels": {"Body": "topwear", "ArmL": ["handwear", "topwear"], "HitArea": null}}

A tag may be a list of acceptable tags for a genuinely ambiguous mesh (a sleeve is handwear or topwear); `null`
marks a mesh that is not part of the character (a hit area, a background, a texture-less helper) and is not
evaluated.

`evaluate` scores predicted labels over the meshes whose ground truth is a tag: mesh accuracy (each mesh counts
once; an unlabelled mesh is wrong) and visible-area accuracy (each mesh weighted by its visible pixels in a render
of the default pose), with the wrong meshes ordered by visible area and the confusions (truth → predicted)
summed by area, so the errors that cost the most pixels come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput
from seethrough.core.io import safe_json

SCHEMA = "seethrough-ground-truth/1"
#: shown for a mesh that has no label
UNLABELLED = "(unlabelled)"


@dataclass(frozen=True)
class GroundTruth:
    model: str
    taxonomy: str
    #: mesh id → acceptable tags (one or more), or None for a mesh that is not evaluated
    labels: dict[str, tuple[str, ...] | None]
    notes: str = ""

    @property
    def evaluated(self) -> list[str]:
        return [mid for mid, tags in self.labels.items() if tags]


@dataclass(frozen=True)
class MeshError:
    id: str
    predicted: str | None
    truth: tuple[str, ...]
    visible_area: int


@dataclass(frozen=True)
class Evaluation:
    meshes: int  # meshes whose ground truth is a tag
    correct: int
    visible_area: int  # total visible pixels of those meshes
    visible_correct: int
    errors: list[MeshError] = field(default_factory=list)  # largest visible area first
    #: (truth, predicted) → [meshes, visible pixels], largest area first
    confusions: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def mesh_accuracy(self) -> float:
        return self.correct / self.meshes if self.meshes else 0.0

    @property
    def area_accuracy(self) -> float:
        return self.visible_correct / self.visible_area if self.visible_area else 0.0

    def to_json(self, worst: int = 10) -> dict[str, Any]:
        return {
            "meshes": self.meshes,
            "meshes_correct": self.correct,
            "mesh_accuracy": round(self.mesh_accuracy, 4),
            "visible_area": self.visible_area,
            "visible_area_correct": self.visible_correct,
            "visible_area_accuracy": round(self.area_accuracy, 4),
            "worst": [{"id": e.id, "predicted": e.predicted, "truth": list(e.truth), "visible_area": e.visible_area}
                      for e in self.errors[:worst]],
            "confusions": [{"truth": t, "predicted": p, "meshes": n, "visible_area": a}
                           for t, p, n, a in self.confusions],
        }


def read_ground_truth(path: str | Path, known_tags: Iterable[str] | None = None) -> GroundTruth:
    """Read and check a ground-truth file; any problem is one `BadInput` line naming the file."""
    path = Path(path)
    data = safe_json.read(path, "ground-truth file")  # bounded size and nesting, finite numbers, regular files only
    if not isinstance(data, dict) or not isinstance(data.get("labels"), dict):
        raise BadInput(f"ground-truth file {path} has no \"labels\" object (mesh id → tag)")
    if data.get("schema", SCHEMA) != SCHEMA:
        raise BadInput(f"ground-truth file {path} has schema {data.get('schema')!r}, expected {SCHEMA!r}")
    tags = set(known_tags) if known_tags is not None else None
    labels: dict[str, tuple[str, ...] | None] = {}
    for mid, value in data["labels"].items():
        if value is None:
            labels[mid] = None
            continue
        options = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else ()
        if not options or not all(isinstance(t, str) and t for t in options):
            raise BadInput(f"ground-truth file {path}: {mid!r} must map to a tag, a list of tags or null")
        unknown = [t for t in options if tags is not None and t not in tags]
        if unknown:
            raise BadInput(f"ground-truth file {path}: {mid!r} has unknown tag {unknown[0]!r}")
        labels[mid] = options
    return GroundTruth(str(data.get("model", "")), str(data.get("taxonomy", "v3")), labels, str(data.get("notes", "")))


def evaluate(
    predicted: Mapping[str, str | None],
    truth: GroundTruth,
    visible_area: Mapping[str, int],
    mesh_ids: Iterable[str] | None = None,
) -> Evaluation:
    """Score `predicted` (mesh id → tag or None) against `truth`. `visible_area`: visible pixels per mesh (a
    mesh missing from it has none). `mesh_ids`: the model's meshes; a ground truth naming others is refused."""
    if mesh_ids is not None:
        known = set(mesh_ids)
        foreign = sorted(set(truth.labels) - known)
        if foreign:
            raise BadInput(f"the ground truth names {len(foreign)} ArtMesh(es) this model does not have "
                           f"(e.g. {foreign[0]}): a ground truth for another model?")
    correct = area = area_correct = 0
    errors: list[MeshError] = []
    confusion: dict[tuple[str, str], list[int]] = {}
    ids = truth.evaluated
    for mid in ids:
        options = truth.labels[mid] or ()
        tag = predicted.get(mid) or None
        pixels = int(visible_area.get(mid, 0))
        area += pixels
        if tag is not None and tag in options:
            correct += 1
            area_correct += pixels
            continue
        errors.append(MeshError(mid, tag, options, pixels))
        cell = confusion.setdefault(("|".join(options), tag or UNLABELLED), [0, 0])
        cell[0] += 1
        cell[1] += pixels
    errors.sort(key=lambda e: (-e.visible_area, e.id))
    confusions = sorted(((t, p, n, a) for (t, p), (n, a) in confusion.items()), key=lambda c: (-c[3], -c[2], c[0]))
    return Evaluation(len(ids), correct, area, area_correct, errors, confusions)


def format_evaluation(name: str, result: Evaluation, size: int, worst: int = 10) -> list[str]:
    """The human-readable report: the two accuracies, the worst meshes and the costliest confusions."""
    lines = [f"{name}: mesh accuracy {result.correct}/{result.meshes} = {result.mesh_accuracy:.1%}; "
             f"visible-area accuracy {result.area_accuracy:.1%} of {result.visible_area} px "
             f"(default pose, {size} px render)"]
    if result.errors:
        lines.append("worst meshes (largest visible area wrong):")
        for e in result.errors[:worst]:
            lines.append(f"  {e.id:<28} {e.visible_area:>8d} px  predicted {e.predicted or UNLABELLED!s:<12} "
                         f"truth {' or '.join(e.truth)}")
        lines.append("costliest confusions (truth → predicted):")
        for t, p, n, a in result.confusions[:worst]:
            lines.append(f"  {t} → {p}: {n} mesh(es), {a} px")
    return lines
