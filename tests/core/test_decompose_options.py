"""Decomposition options validate up front, with messages a user can act on."""

import pytest

from seethrough.core.decompose.options import NEXT_MEMORY_MODE, DecomposeOptions
from seethrough.core.errors import BadInput


def test_defaults_follow_the_released_pipeline():
    opts = DecomposeOptions()
    assert (opts.tagset, opts.resolution, opts.steps, opts.seed) == ("v3", 1280, 30, 42)
    # depth steps: the depth model's own `default_denoising_steps` (model_index.json), as the authors' -1 does
    assert (opts.depth_resolution, opts.depth_steps) == (768, None)
    assert opts.output_frame == "input" and not opts.clip_head_halo and not opts.lr_split
    assert not opts.fp32_latents  # the authors keep the latents in the models' precision


@pytest.mark.parametrize(
    "changes, word",
    [
        ({"tagset": "v9"}, "tagset: 'v9' is not one of v3, v2"),
        ({"offload": "disk"}, "offload: 'disk' is not one of auto"),
        ({"resolution": 1000}, "multiple of 64"),
        ({"steps": 0}, "steps"),
        ({"quantize": "2bit"}, "quantize"),
        ({"depth_steps": 0}, "steps"),
        ({"output_frame": "page"}, "output_frame: 'page' is not one of input, canvas"),
    ],
)
def test_bad_options_are_bad_input(changes, word):
    with pytest.raises(BadInput, match=word):
        DecomposeOptions(**changes)


def test_memory_modes_step_down_to_the_lowest():
    mode, seen = "none", []
    while mode:
        seen.append(mode)
        mode = NEXT_MEMORY_MODE[mode]
    assert seen == ["none", "model", "group", "sequential"]


def test_layer_scheduler_is_dpmpp_2m_sde_with_zero_final_sigma():
    pytest.importorskip("diffusers")
    from seethrough.core.pipelines.schedulers import layer_scheduler

    scheduler = layer_scheduler()
    scheduler.set_timesteps(30)
    assert scheduler.config.algorithm_type == "sde-dpmsolver++"
    assert scheduler.config.solver_order == 2
    assert len(scheduler.timesteps) == 30 and float(scheduler.sigmas[-1]) == 0.0
