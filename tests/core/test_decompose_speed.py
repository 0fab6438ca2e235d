"""The speed settings' defaults per GPU (fake device properties), how the user's choices and the memory mode
override them, their validation, and the fp8 guard's messages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from seethrough.core.decompose.options import SPEED_SETTINGS, DecomposeOptions
from seethrough.core.decompose.speed import EAGER, default_speed_settings, fp8_problem, resolve_speed
from seethrough.core.errors import BadInput


@dataclass(frozen=True)
class FakeGPU:
    """The fields of torch.cuda.get_device_properties that the defaults read."""

    name: str
    major: int
    minor: int
    total_memory: int


T4 = FakeGPU("Tesla T4", 7, 5, 16 * 10**9)
RTX3090 = FakeGPU("NVIDIA GeForce RTX 3090", 8, 6, 24 * 10**9)
RTX4090 = FakeGPU("NVIDIA GeForce RTX 4090", 8, 9, 24 * 10**9)
H100 = FakeGPU("NVIDIA H100 80GB HBM3", 9, 0, 80 * 10**9)
P100 = FakeGPU("Tesla P100", 6, 0, 16 * 10**9)


def test_the_cpu_gets_nothing_gpu_specific() -> None:
    cpu = default_speed_settings(None)
    assert (cpu.compile, cpu.channels_last, cpu.cuda_graphs, cpu.decoder_batch, cpu.decoder_tile) == \
        ("off", False, False, 1, 0)
    assert cpu.skip_empty  # exact, and saves work everywhere


@pytest.mark.parametrize(("gpu", "compiled", "channels_last"), [(P100, False, False), (T4, False, True),
                                                                (RTX3090, True, True), (H100, True, True)])
def test_gpu_defaults_follow_the_compute_capability(gpu: FakeGPU, compiled: bool, channels_last: bool) -> None:
    speed = default_speed_settings(gpu)
    assert (speed.compile == "regional") is compiled
    assert speed.cuda_graphs is compiled
    assert speed.channels_last is channels_last
    assert speed.decoder_batch == 1 and speed.decoder_tile == 0 and speed.skip_empty


def test_auto_takes_the_defaults_and_a_choice_wins() -> None:
    assert resolve_speed(DecomposeOptions(), H100, "none") == default_speed_settings(H100)
    chosen = DecomposeOptions(compile="off", channels_last="off", cuda_graphs="off", decoder_batch=4,
                              decoder_tile=512, skip_empty="off")
    speed = resolve_speed(chosen, H100, "none")
    assert speed == EAGER.__class__(compile="off", channels_last=False, cuda_graphs=False, decoder_batch=4,
                                    decoder_tile=512, skip_empty=False)
    forced = resolve_speed(DecomposeOptions(compile="regional", channels_last="on"), None, "none")
    assert forced.compile == "regional" and forced.channels_last  # the CPU can compile too, when asked


def test_cuda_graphs_only_on_a_gpu_that_keeps_its_weights() -> None:
    on = DecomposeOptions(cuda_graphs="on")
    assert resolve_speed(on, H100, "none").cuda_graphs
    assert not resolve_speed(on, None, "none").cuda_graphs  # the CPU: the eager loop
    for mode in ("model", "group", "sequential"):
        assert not resolve_speed(on, H100, mode).cuda_graphs


def test_compilation_only_where_whole_models_stay_on_the_device() -> None:
    asked = DecomposeOptions(compile="regional")
    assert resolve_speed(asked, H100, "none").compile == "regional"
    assert resolve_speed(asked, H100, "model").compile == "regional"
    assert resolve_speed(asked, H100, "group").compile == "off"
    assert resolve_speed(asked, H100, "sequential").compile == "off"


def test_fp8_needs_ada_or_hopper_and_torchao() -> None:
    cpu = fp8_problem(None, torchao_found=True)
    assert cpu is not None and "CUDA GPU" in cpu
    ampere = fp8_problem(RTX3090, torchao_found=True)
    assert ampere is not None and "8.6" in ampere and "RTX 3090" in ampere and "8bit" in ampere
    missing = fp8_problem(RTX4090, torchao_found=False)
    assert missing is not None and "pip install torchao" in missing
    assert fp8_problem(RTX4090, torchao_found=True) is None
    assert fp8_problem(H100, torchao_found=True) is None


def test_fp8_on_the_cpu_is_refused_before_loading(tmp_path) -> None:
    from seethrough.core.decompose.engine import load_engine

    options = DecomposeOptions(device="cpu", quantize="fp8", layer_model=tmp_path / "nowhere", depth=False)
    with pytest.raises(BadInput, match="compute capability 8.9"):
        load_engine(options)


@pytest.mark.parametrize(("field", "bad"), [("compile", "max"), ("channels_last", True), ("cuda_graphs", "yes"),
                                            ("decoder_batch", -1), ("decoder_batch", 33), ("decoder_tile", 100),
                                            ("decoder_tile", 320 + 1), ("skip_empty", "sometimes"),
                                            ("quantize", "int2")])
def test_bad_speed_values_are_refused_in_one_line(field: str, bad: object) -> None:
    with pytest.raises(BadInput) as info:
        DecomposeOptions(**{field: bad})
    assert "\n" not in str(info.value)


def test_every_speed_setting_has_limits_and_help() -> None:
    options = DecomposeOptions()
    for name, (limits, help_text) in SPEED_SETTINGS.items():
        assert hasattr(options, name)
        assert len(help_text) > 40
        assert getattr(options, name) in limits or limits[0] <= getattr(options, name) <= limits[1]
    assert DecomposeOptions(decoder_tile=256).decoder_tile == 256
