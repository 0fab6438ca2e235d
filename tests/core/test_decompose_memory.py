"""The memory modes' estimates and the automatic choice, on numbers: the measured peaks are reproduced, the fastest
mode that fits fake free-memory figures is picked, and a run that cannot fit is refused before it starts."""

from __future__ import annotations

import pytest

from seethrough.core.decompose.memory import (
    MODES_BY_SPEED,
    RELEASE_BF16,
    check_fits,
    choose_memory_mode,
    largest_fitting_resolution,
    need_gb,
)
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.core.errors import BadInput

GB = 10**9


def test_no_gpu_means_no_offloading() -> None:
    assert choose_memory_mode(None, 1280).offload == "none"
    assert check_fits("none", None, 4096) is None


def test_the_estimate_reproduces_the_peaks_measured_on_a_gpu() -> None:
    # H200, released architectures in bf16 (bench/RESULTS.md, GiB): none 15.3 at 1024², 16.2 at 1280²; model 9.9
    gib = 2**30 / 1e9
    assert need_gb("none", 1024, margin=0) / gib == pytest.approx(15.3, abs=0.5)
    assert need_gb("none", 1280, margin=0) / gib == pytest.approx(16.2, abs=0.4)
    assert need_gb("model", 1024, margin=0) / gib == pytest.approx(9.9, abs=0.4)


@pytest.mark.parametrize("resolution", [512, 1024, 1280, 2048])
def test_modes_in_speed_order_need_less_and_less(resolution: int) -> None:
    needs = [need_gb(mode, resolution) for mode in MODES_BY_SPEED]
    assert needs == sorted(needs, reverse=True)
    assert len(set(needs)) == len(needs)


@pytest.mark.parametrize(("free_gb", "mode"), [(80, "none"), (24, "none"), (19, "none"), (16, "model"),
                                                (13.5, "model"), (12, "group"), (8, "sequential"),
                                                (5.5, "sequential")])
def test_auto_picks_the_fastest_mode_that_fits_at_1280(free_gb: float, mode: str) -> None:
    choice = choose_memory_mode(int(free_gb * GB), 1280)
    assert choice.offload == mode, choice.reason
    assert choice.free_gb == pytest.approx(free_gb)
    assert choice.need_gb <= free_gb
    faster = MODES_BY_SPEED[: MODES_BY_SPEED.index(mode)]
    assert all(need_gb(m, 1280) > free_gb for m in faster)


def test_higher_resolution_needs_more_and_pushes_a_24_gb_card_down_a_mode() -> None:
    assert need_gb("none", 2048) > need_gb("none", 1280) > need_gb("none", 512)
    assert choose_memory_mode(24 * GB, 1280).offload == "none"
    assert choose_memory_mode(20 * GB, 2048).offload == "model"
    assert choose_memory_mode(16 * GB, 512).offload == "none"


def test_quantised_weights_fit_where_bf16_does_not() -> None:
    free = 16 * GB
    assert choose_memory_mode(free, 1280).offload == "model"
    assert choose_memory_mode(free, 1280, "8bit").offload == "none"
    assert choose_memory_mode(free, 1280, "fp8").offload == "none"
    assert need_gb("none", 1280, "4bit") < need_gb("none", 1280, "8bit") < need_gb("none", 1280)


def test_a_decoder_batch_raises_the_estimate_once_it_outgrows_the_unet_pass() -> None:
    assert need_gb("none", 1024, decoder_batch=1) == need_gb("none", 1024)
    assert need_gb("none", 1024, decoder_batch=4) > need_gb("none", 1024) + 3
    assert choose_memory_mode(18 * GB, 1024, decoder_batch=4).offload != "none"


def test_a_mode_chosen_by_hand_that_cannot_fit_names_the_mode_that_would() -> None:
    assert check_fits("none", 24 * GB, 1280) is None
    message = check_fits("none", 11 * GB, 1280)
    assert message is not None and "'none' needs about 17.3 GB" in message and "'group' would fit" in message
    assert "'model'" not in message  # model offload needs ~12 GB: it would not fit either
    assert "'model' would fit" in (check_fits("none", 13 * GB, 1280) or "")


def test_a_run_no_mode_can_fit_is_told_the_resolution_that_would() -> None:
    message = check_fits("sequential", 2 * GB, 2048)
    assert message is not None and "no memory mode fits" in message
    resolution = largest_fitting_resolution(2.0)
    assert resolution is not None and f"lower the resolution to {resolution}" in message
    assert need_gb("sequential", resolution, margin=0) <= 2.0 < need_gb("sequential", resolution + 64, margin=0)


def test_resolve_offload_refuses_before_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """With fake free-memory numbers for a CUDA device: a hand-chosen mode that cannot fit is refused with the mode
    that would; auto picks the fastest that fits; nothing at all fits → refused with a resolution."""
    import torch

    from seethrough.core.decompose.engine import resolve_offload

    free = {"bytes": 11 * GB}
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free["bytes"], 80 * GB))
    options = DecomposeOptions(resolution=1280, offload="none")
    with pytest.raises(BadInput, match="'group' would fit"):
        resolve_offload(options, "cuda", RELEASE_BF16)
    free["bytes"] = 12 * GB  # group needs ~10.6 GB + the 1 GB margin
    assert resolve_offload(options.with_(offload="auto"), "cuda", RELEASE_BF16) == "group"
    free["bytes"] = 1 * GB
    with pytest.raises(BadInput, match="lower the resolution"):
        resolve_offload(options.with_(offload="auto"), "cuda", RELEASE_BF16)


def test_footprint_is_read_from_the_weight_files(tmp_path) -> None:
    """The sizes the estimate uses come from the safetensors headers: they equal the loaded models' parameters."""
    from seethrough.core.decompose.footprint import footprint_of
    from seethrough.core.pipelines.components import load_depth_components, load_layer_components
    from tests.support.tiny_models import build_depth_model, build_layer_model

    layers, depth = build_layer_model(tmp_path / "layers"), build_depth_model(tmp_path / "depth")
    fp = footprint_of(layers, depth, dtype_bytes=2, frames=13)
    loaded = load_layer_components(layers)
    unet = loaded["unet"]
    assert fp.layer_unet == pytest.approx(sum(p.numel() for p in unet.parameters()) * 2 / 1e9)
    blocks = [*unet.down_blocks, *unet.up_blocks, unet.mid_block]
    assert fp.layer_unet_largest_block == pytest.approx(max(sum(p.numel() for p in b.parameters()) for b in blocks)
                                                        * 2 / 1e9)
    others = sum(sum(p.numel() for p in loaded[n].parameters()) for n in ("vae", "trans_vae", "text_encoder",
                                                                          "text_encoder_2"))
    assert fp.layer_other == pytest.approx(others * 2 / 1e9)
    depth_unet = load_depth_components(depth)["unet"]
    assert fp.depth_unet == pytest.approx(sum(p.numel() for p in depth_unet.parameters()) * 2 / 1e9)


def test_the_release_figures_match_the_released_architectures() -> None:
    import torch

    from seethrough.core.models.arch import LAYER_UNET_V3
    from seethrough.core.models.layer_unet import UNetFrameConditionModel

    with torch.device("meta"):
        unet = UNetFrameConditionModel(**LAYER_UNET_V3)
    assert RELEASE_BF16.layer_unet == pytest.approx(sum(p.numel() for p in unet.parameters()) * 2 / 1e9, abs=0.01)
    largest = max(sum(p.numel() for p in b.parameters()) for b in [*unet.down_blocks, *unet.up_blocks])
    assert RELEASE_BF16.layer_unet_largest_block == pytest.approx(largest * 2 / 1e9, abs=0.01)


def test_auto_is_the_default_and_every_mode_stays_selectable() -> None:
    assert DecomposeOptions().offload == "auto"
    for mode in ("none", "model", "group", "sequential"):
        assert DecomposeOptions(offload=mode).offload == mode


def test_auto_reads_the_free_memory_of_a_real_gpu(cuda_device: str) -> None:
    import torch

    from seethrough.core.decompose.engine import resolve_offload

    options = DecomposeOptions(resolution=1280)
    free, _total = torch.cuda.mem_get_info()
    assert resolve_offload(options, cuda_device) == choose_memory_mode(free, 1280).offload
    assert resolve_offload(options.with_(offload="sequential"), cuda_device) == "sequential"  # the user's choice wins
    assert resolve_offload(options, "cpu") == "none"
