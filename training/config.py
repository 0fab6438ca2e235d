"""Training job configuration: one YAML file per job, read into a typed, validated `TrainConfig` (pydantic).

Defaults follow the paper (appendix C): AdamW, lr 4e-5, weight decay 0.01, 500 warm-up steps, bf16.
An unknown key is an error at every level (a typo must not silently fall back to a default), values are checked
for type and range (numbers finite, no string where a number goes), and every error is one line naming the file
and the key's path (`job.yaml: augment.flip: …`). The YAML itself is read by `core.io.strict_yaml` (no aliases).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from seethrough.core.errors import BadInput
from seethrough.core.io.strict_yaml import load_yaml

JOBS = ("vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2")
#: the jobs that write validation images while they train (the others have only their loss curve)
JOBS_WITH_VALIDATION_IMAGES = ("vae",)
PRECISIONS = ("no", "fp16", "bf16")


def _path_text(value: object) -> object:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


PathText = Annotated[str, BeforeValidator(_path_text), Field(min_length=1, max_length=4096)]
Int = Annotated[int, Field(strict=True)]
Count = Annotated[int, Field(strict=True, ge=1, le=10**9)]
Float = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Probability = Annotated[float, Field(strict=True, ge=0.0, le=1.0, allow_inf_nan=False)]
Bool = Annotated[bool, Field(strict=True)]
Text = Annotated[str, Field(strict=True, max_length=256)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSection(_Section):
    """Architecture choice: `preset` tiny (CPU smoke runs and tests) or released (the paper's sizes)."""

    preset: Literal["tiny", "released"] | None = None


class AugmentSection(_Section):
    flip: Probability = 0.5  # horizontal flip probability
    crop: Probability = 0.3  # random-crop probability


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    job: Literal["vae", "layers-stage1", "layers-stage2", "depth-stage1", "depth-stage2"]
    data: PathText  # an exported dataset folder (docs/dataset-layout.md)
    output: PathText = "runs/train"
    tags: Literal["v2", "v3"] = "v3"
    split: Text = "train"  # which split of the dataset to train on ("all": every sample, e.g. for smoke runs)
    resolution: Annotated[int, Field(strict=True, ge=8, le=8192, multiple_of=8)] = 1024
    batch_size: Count = 1
    grad_accum: Count = 1
    lr: Annotated[float, Field(strict=True, gt=0.0, le=1.0, allow_inf_nan=False)] = 4e-5
    weight_decay: Annotated[float, Field(strict=True, ge=0.0, le=1.0, allow_inf_nan=False)] = 0.01
    warmup_steps: Annotated[int, Field(strict=True, ge=0, le=10**9)] = 500
    max_steps: Count = 20000
    mixed_precision: Literal["no", "fp16", "bf16"] = "bf16"
    seed: Annotated[int, Field(strict=True, ge=0, le=2**32 - 1)] = 0
    checkpoint_every: Count = 1000
    keep_checkpoints: Count = 3
    validate_every: Count = 1000
    log_every: Count = 10
    num_workers: Annotated[int, Field(strict=True, ge=0, le=256)] = 0
    ema: Bool = False
    ema_decay: Annotated[float, Field(strict=True, ge=0.0, lt=1.0, allow_inf_nan=False)] = 0.999
    use_8bit_adam: Bool = False
    gradient_checkpointing: Bool = False
    gan_weight: Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)] = 0.01  # vae: PatchGAN weight
    init_from: PathText | None = None  # pretrained folder, or a stage-1 run to convert for stage 2
    model: ModelSection = Field(default_factory=ModelSection)  # architecture choice (tiny configs for tests)
    backgrounds: PathText | None = None  # folder of background images; flat colours when None
    augment: AugmentSection = Field(default_factory=AugmentSection)

    @property
    def output_dir(self) -> Path:
        return Path(self.output)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def describe_validation_error(where: str, exc: ValidationError) -> str:
    """The first problem of a pydantic error as one line, `where: key.path: reason` (+ how many more)."""
    errors = exc.errors()
    first = errors[0]
    path = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        reason = "unknown key"
    elif first["type"] == "missing":
        reason = "missing required key"
    else:
        reason = first["msg"]
        if "input" in first and first["type"] not in ("model_type", "dict_type"):
            shown = repr(first["input"])
            reason = f"{reason} (got {shown[:60]}{'…' if len(shown) > 60 else ''})"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {path}: {reason}{more}"


def packaged_configs() -> dict[str, Path]:
    """The job configs shipped with the package (`resources/configs/*.yaml`, read through importlib.resources, so
    an installed copy has them too), by name: the file name without `.yaml`, as the Train workspace lists them."""
    from seethrough.core.paths import resource

    return {path.stem: path for path in sorted(resource("configs").glob("*.yaml"))}


def resolve_config(spec: str | os.PathLike[str]) -> Path:
    """A config file from what a user typed: an existing file, or the name of a packaged config (`vae_tiny`,
    also `vae_tiny.yaml`, and `resources/configs/vae_tiny.yaml` outside a checkout, as the README writes it).
    Anything else → BadInput naming the packaged configs."""
    path = Path(spec)
    if path.is_file():
        return path
    configs = packaged_configs()
    name = path.name[: -len(".yaml")] if path.name.endswith(".yaml") else path.name
    if name in configs and path.parent.parts in ((), ("resources", "configs")):
        return configs[name]
    if path.exists():
        raise BadInput(f"{path} is not a config file")
    raise BadInput(f"config file not found: {path} (give a YAML file, or one of the packaged configs: "
                   f"{', '.join(configs)})")


def load_config(path: str | os.PathLike[str], **overrides: Any) -> TrainConfig:
    """Read a YAML job config; `overrides` (e.g. output=…) win over the file. Any problem → one-line BadInput."""
    path = Path(path)
    raw = load_yaml(path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadInput(f"{path}: must be a mapping of keys to values, not a {type(raw).__name__}")
    raw = dict(raw)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(raw.get("data"), str) and "data" not in overrides and not Path(raw["data"]).is_absolute():
        raw["data"] = str((path.parent / raw["data"]).resolve())  # relative to the config file
    try:
        return TrainConfig(**{str(k): v for k, v in raw.items()})
    except ValidationError as exc:
        raise BadInput(describe_validation_error(str(path), exc)) from None
