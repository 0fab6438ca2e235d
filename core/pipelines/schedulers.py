"""The samplers of the released models, built locally (no hub download).

The authors load the layer model's scheduler config from an unrelated SDXL repository at run time
(`docs/authors-pipeline.md` §2.4): an SDXL noise schedule (scaled-linear betas 0.00085→0.012 over 1000 steps,
ε-prediction, "leading" spacing with offset 1) driven by DPM++ 2M SDE with `final_sigmas_type="zero"` and no
Karras sigmas. We build exactly that here (the hub config is an assumption: it is not part of the released
weights; docs/parity.md). A `scheduler/` folder next to the layer weights overrides it (`layer_scheduler_from`).
The depth model uses DDIM, as Marigold does.
"""

from __future__ import annotations

from pathlib import Path

from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

SDXL_NOISE_SCHEDULE = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "timestep_spacing": "leading",
    "steps_offset": 1,
}


def layer_scheduler() -> DPMSolverMultistepScheduler:
    """DPM++ 2M SDE, final sigma zero: the layer model's sampler."""
    return DPMSolverMultistepScheduler(
        **SDXL_NOISE_SCHEDULE,
        algorithm_type="sde-dpmsolver++",
        solver_order=2,
        use_karras_sigmas=False,
        final_sigmas_type="zero",
        lower_order_final=True,
    )


def layer_scheduler_from(folder: Path) -> DPMSolverMultistepScheduler:
    """The layer sampler from a `scheduler/` config folder, with the algorithm the authors force on whatever config
    they load (`algorithm_type="sde-dpmsolver++"`, `final_sigmas_type="zero"`)."""
    from seethrough.core.errors import BadInput

    try:
        return DPMSolverMultistepScheduler.from_pretrained(
            folder, local_files_only=True, algorithm_type="sde-dpmsolver++", final_sigmas_type="zero"
        )
    except (OSError, ValueError) as exc:
        raise BadInput(f"{folder}: not a readable scheduler config ({str(exc).splitlines()[0]})") from exc


def depth_scheduler() -> DDIMScheduler:
    """DDIM with Marigold's training schedule (v-prediction, trailing spacing), used when a depth model folder
    has no `scheduler/` config of its own."""
    return DDIMScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type="v_prediction",
        timestep_spacing="trailing",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
