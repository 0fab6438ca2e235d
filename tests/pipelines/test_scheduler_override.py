"""The layer sampler: built locally by default; a `scheduler/` folder next to the weights replaces the noise
schedule while the algorithm stays the authors' DPM++ 2M SDE with a zero final sigma."""

from __future__ import annotations

import pytest
from diffusers import DPMSolverMultistepScheduler

from seethrough.core.errors import BadInput
from seethrough.core.pipelines.components import load_layer_components
from seethrough.core.pipelines.schedulers import layer_scheduler
from tests.support.tiny_models import build_layer_model


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_layer_model(tmp_path_factory.mktemp("layer") / "v3", "v3")


def test_without_a_scheduler_folder_the_reconstructed_config_is_used(folder):
    assert "scheduler" not in load_layer_components(folder)
    config = layer_scheduler().config
    assert config.algorithm_type == "sde-dpmsolver++" and config.final_sigmas_type == "zero"
    assert config.timestep_spacing == "leading" and config.steps_offset == 1


def test_a_scheduler_folder_overrides_the_schedule_but_not_the_algorithm(folder):
    custom = DPMSolverMultistepScheduler(beta_start=0.001, beta_end=0.02, timestep_spacing="trailing",
                                         algorithm_type="dpmsolver++", final_sigmas_type="sigma_min")
    custom.save_pretrained(folder / "scheduler")
    try:
        scheduler = load_layer_components(folder)["scheduler"]
        assert scheduler.config.beta_end == 0.02 and scheduler.config.timestep_spacing == "trailing"
        assert scheduler.config.algorithm_type == "sde-dpmsolver++" and scheduler.config.final_sigmas_type == "zero"
        (folder / "scheduler" / "scheduler_config.json").write_text("{not json", encoding="utf-8")
        with pytest.raises(BadInput, match="scheduler config"):
            load_layer_components(folder)
    finally:
        for f in (folder / "scheduler").iterdir():
            f.unlink()
        (folder / "scheduler").rmdir()
