"""Training job configuration: one YAML file per job, read into a typed, validated `TrainConfig`.

Defaults follow the paper (appendix C): AdamW, lr 4e-5, weight decay 0.01, 500 warm-up steps, bf16.
An unknown key is an error (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seethrough.core.errors import BadInput

JOBS = ("vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2")
PRECISIONS = ("no", "fp16", "bf16")


@dataclass
class TrainConfig:
    job: str
    data: str  # an exported dataset folder (docs/dataset-layout.md)
    output: str = "runs/train"
    tags: str = "v3"
    split: str = "train"  # which split of the dataset to train on ("all": every sample, e.g. for smoke runs)
    resolution: int = 1024
    batch_size: int = 1
    grad_accum: int = 1
    lr: float = 4e-5
    weight_decay: float = 0.01
    warmup_steps: int = 500
    max_steps: int = 20000
    mixed_precision: str = "bf16"
    seed: int = 0
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    validate_every: int = 1000
    log_every: int = 10
    num_workers: int = 0
    ema: bool = False
    ema_decay: float = 0.999
    use_8bit_adam: bool = False
    gradient_checkpointing: bool = False
    gan_weight: float = 0.01  # vae job: PatchGAN term weight
    init_from: str | None = None  # pretrained folder, or a stage-1 run to convert for stage 2
    model: dict[str, Any] = field(default_factory=dict)  # architecture overrides (tiny configs for tests)
    backgrounds: str | None = None  # folder of background images; flat colours when None
    augment: dict[str, Any] = field(default_factory=lambda: {"flip": 0.5, "crop": 0.3})

    def __post_init__(self) -> None:
        if self.job not in JOBS:
            raise BadInput(f"unknown job {self.job!r}; jobs: {', '.join(JOBS)}")
        if self.mixed_precision not in PRECISIONS:
            raise BadInput(f"mixed_precision must be one of {', '.join(PRECISIONS)}")
        for name in ("resolution", "batch_size", "grad_accum", "max_steps", "checkpoint_every", "log_every"):
            if int(getattr(self, name)) < 1:
                raise BadInput(f"{name} must be at least 1")
        if self.resolution % 8:
            raise BadInput("resolution must be a multiple of 8")

    @property
    def output_dir(self) -> Path:
        return Path(self.output)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """Read a YAML job config; `overrides` (e.g. output=…) win over the file. Unknown keys → BadInput."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BadInput(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise BadInput(f"{path.name} must be a mapping of keys to values")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BadInput(f"{path.name}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
    missing = [k for k in ("job", "data") if k not in raw]
    if missing:
        raise BadInput(f"{path.name}: missing required key(s) {', '.join(missing)}")
    if "data" not in overrides and not Path(str(raw["data"])).is_absolute():
        raw["data"] = str((path.parent / str(raw["data"])).resolve())  # relative to the config file
    try:
        return TrainConfig(**raw)
    except TypeError as exc:
        raise BadInput(f"{path.name}: {exc}") from None
