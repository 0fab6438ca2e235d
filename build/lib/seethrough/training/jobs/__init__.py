"""Training jobs by name: each module defines a class implementing `training.runner.TrainJob`."""

from __future__ import annotations

import importlib

from seethrough.core.errors import BadInput
from seethrough.training.config import TrainConfig

#: job name → "module:Class"
JOB_CLASSES = {
    "vae": "seethrough.training.jobs.vae_job:TransparencyDecoderJob",
    "layers-stage1": "seethrough.training.jobs.layer_jobs:LayerStage1Job",
    "layers-stage2": "seethrough.training.jobs.layer_jobs:LayerStage2Job",
    "depth-stage1": "seethrough.training.jobs.depth_jobs:DepthStage1Job",
    "depth-stage2": "seethrough.training.jobs.depth_jobs:DepthStage2Job",
}


def make_job(cfg: TrainConfig):  # noqa: ANN201 - a TrainJob
    try:
        target = JOB_CLASSES[cfg.job]
    except KeyError:
        raise BadInput(f"unknown job {cfg.job!r}; jobs: {', '.join(JOB_CLASSES)}") from None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)(cfg)
