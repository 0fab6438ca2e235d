"""The automatic memory mode, on numbers: the published VRAM figures pick the modes they describe."""

from __future__ import annotations

import pytest

from seethrough.core.decompose.memory import choose_memory_mode, need_gb
from seethrough.core.decompose.options import DecomposeOptions

GB = 10**9


def test_no_gpu_means_no_offloading() -> None:
    assert choose_memory_mode(None, 1280).offload == "none"


@pytest.mark.parametrize(("free_gb", "mode"), [(80, "none"), (24, "none"), (16, "none"), (12, "group"),
                                                (10, "group"), (8.5, "group"), (7, "sequential"), (2, "sequential")])
def test_modes_at_1280_follow_the_published_figures(free_gb: float, mode: str) -> None:
    choice = choose_memory_mode(int(free_gb * GB), 1280)
    assert choice.offload == mode, choice.reason
    assert choice.free_gb == pytest.approx(free_gb)


def test_the_estimate_matches_the_measured_peaks_it_was_fitted_to() -> None:
    # full GPU: ~13.7 GB reserved at 1280², ~22.6 GB at 2048² (docs/models.md), plus the 1 GB margin
    assert need_gb("none", 1280) == pytest.approx(13.7 + 1.0, abs=0.2)
    assert need_gb("none", 2048) == pytest.approx(22.6 + 1.0, abs=0.3)
    # group offload: ~7.3 GB at 1280²
    assert need_gb("group", 1280) == pytest.approx(7.3 + 1.0, abs=0.2)


def test_higher_resolution_needs_more_and_a_24_gb_card_offloads_at_2048() -> None:
    assert need_gb("none", 2048) > need_gb("none", 1280) > need_gb("none", 512)
    assert choose_memory_mode(24 * GB, 1280).offload == "none"
    assert choose_memory_mode(20 * GB, 2048).offload == "group"
    assert choose_memory_mode(20 * GB, 512).offload == "none"


def test_quantised_weights_fit_where_bf16_does_not() -> None:
    free = 12 * GB
    assert choose_memory_mode(free, 1280).offload == "group"
    assert choose_memory_mode(free, 1280, "8bit").offload == "none"
    assert need_gb("none", 1280, "4bit") < need_gb("none", 1280, "8bit") < need_gb("none", 1280)


def test_sequential_warns_when_even_it_may_not_fit() -> None:
    assert "lower the resolution" in choose_memory_mode(1 * GB, 2048).reason
    assert "lower the resolution" not in choose_memory_mode(7 * GB, 1280).reason


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
    assert resolve_offload(options.with_(offload="group"), cuda_device) == "group"  # the user's choice wins
    assert resolve_offload(options, "cpu") == "none"
