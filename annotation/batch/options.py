"""What a batch makes, in one value shared by the driver and every worker, and the work key derived from it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from seethrough.annotation.batch.quality import Thresholds

Pose = tuple[str, dict[str, float]]
FORMATS = ("folders", "shards")
REVIEW_POLICIES = ("hold", "mark")


@dataclass(frozen=True)
class BatchOptions:
    #: the pose sweep; None = each model's default sweep (neutral + 8 head turns). Parameters a model does not
    #: have are ignored for that model
    poses: tuple[Pose, ...] | None = None
    size: int = 512
    tagset: str = "v3"
    provider: str | None = None  # 2D seed provider (None: the best installed one)
    frame: str = "content"
    margin: float = 0.05
    background: tuple[int, int, int] = (255, 255, 255)
    split: str = "model"  # "model" or "pose" (the driver resolves "auto" before the batch starts)
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: "hold": a model failing the gate goes to the review list instead of the dataset; "mark": exported and listed
    review: str = "hold"
    format: str = "folders"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["poses"] = None if self.poses is None else [[name, dict(values)] for name, values in self.poses]
        data["background"] = list(self.background)
        return data

    def work_key(self) -> str:
        """SHA-256 of everything that changes what a model's outputs are (a changed option redoes every model)."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
