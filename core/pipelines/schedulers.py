"""The samplers of the released models, built locally (no hub download).

The authors load the layer model's scheduler config from an unrelated SDXL repository at run time
(`docs/authors-pipeline.md` §2.4): an SDXL noise schedule (scaled-linear betas 0.00085→0.012 over 1000 steps,
ε-prediction, "leading" spacing with offset 1) driven by DPM++ 2M SDE with `final_sigmas_type="zero"` and no
Karras sigmas. We build exactly that here. The depth model uses DDIM, as Marigold does.
"""

from __future__ import annotations

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
