"""Which speed settings a decomposition uses: the user's choice, or for "auto" the default for the GPU found.

A pure function of numbers (no torch): `default_speed_settings(device_props)` reads only the fields of
`torch.cuda.get_device_properties` listed in `DeviceProps` (None = the CPU), so tests give it fake devices.
What each setting trades and what has been measured: docs/speed.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from seethrough.core.decompose.options import DecomposeOptions

#: compute capability from which the defaults turn on torch.compile and CUDA graphs (Ampere: Triton's fast paths,
#: bf16 tensor cores) and channels-last (Volta: tensor-core convolutions)
COMPILE_FROM = (8, 0)
CHANNELS_LAST_FROM = (7, 0)
#: compute capability of float8 tensor cores (Ada, Hopper and newer)
FP8_FROM = (8, 9)
#: frames per decoder call by default: each frame of a batch needs about as much memory as the whole UNet pass
#: (docs/speed.md), so a larger batch raises the peak; its speed gain is measured by bench/cuda_checks.sh
DEFAULT_DECODER_BATCH = 1


class DeviceProps(Protocol):
    """The fields of `torch.cuda.get_device_properties(device)` read here."""

    name: str
    major: int
    minor: int
    total_memory: int


@dataclass(frozen=True)
class SpeedSettings:
    compile: str  # "off" | "regional"
    channels_last: bool
    cuda_graphs: bool
    decoder_batch: int
    decoder_tile: int  # 0 = whole frames
    skip_empty: bool

    def describe(self) -> str:
        return (f"compile {self.compile}, channels-last {'on' if self.channels_last else 'off'}, CUDA graphs "
                f"{'on' if self.cuda_graphs else 'off'}, decoder batch {self.decoder_batch}, decoder tiles "
                f"{self.decoder_tile or 'off'}, skip empty frames {'on' if self.skip_empty else 'off'}")


#: every speed-up off: the eager path the others are proven against
EAGER = SpeedSettings(compile="off", channels_last=False, cuda_graphs=False, decoder_batch=1, decoder_tile=0,
                      skip_empty=False)


def capability(props: DeviceProps | None) -> tuple[int, int]:
    return (0, 0) if props is None else (int(props.major), int(props.minor))


def default_speed_settings(device_props: DeviceProps | None) -> SpeedSettings:
    """The defaults for a device: `None` is the CPU (nothing GPU-specific), else a CUDA GPU described by its compute
    capability."""
    if device_props is None:
        return SpeedSettings(compile="off", channels_last=False, cuda_graphs=False, decoder_batch=1, decoder_tile=0,
                             skip_empty=True)
    cc = capability(device_props)
    return SpeedSettings(
        compile="regional" if cc >= COMPILE_FROM else "off",
        channels_last=cc >= CHANNELS_LAST_FROM,
        cuda_graphs=cc >= COMPILE_FROM,
        decoder_batch=DEFAULT_DECODER_BATCH,
        decoder_tile=0,
        skip_empty=True,
    )


def resolve_speed(options: DecomposeOptions, device_props: DeviceProps | None, offload: str) -> SpeedSettings:
    """The settings a run uses: each "auto" (or 0) from `default_speed_settings`, the user's value otherwise; CUDA
    graphs only on a GPU in memory mode "none" (offloading moves weights between calls, which a graph cannot);
    compilation only in the modes that keep whole models on the device ("none", "model")."""
    default = default_speed_settings(device_props)

    def switch(value: str, fallback: bool) -> bool:
        return fallback if value == "auto" else value == "on"

    graphs = switch(options.cuda_graphs, default.cuda_graphs) and device_props is not None and offload == "none"
    return SpeedSettings(
        compile=(default.compile if options.compile == "auto" else options.compile) if offload in ("none", "model")
        else "off",
        channels_last=switch(options.channels_last, default.channels_last),
        cuda_graphs=graphs,
        decoder_batch=options.decoder_batch or default.decoder_batch,
        decoder_tile=options.decoder_tile,
        skip_empty=switch(options.skip_empty, default.skip_empty),
    )


def fp8_problem(device_props: DeviceProps | None, torchao_found: bool) -> str | None:
    """Why float8 weights cannot be used here (one line), or None when they can."""
    if device_props is None:
        return "fp8 weights need a CUDA GPU of compute capability 8.9 or newer (Ada, Hopper); this run is on the CPU"
    if capability(device_props) < FP8_FROM:
        major, minor = capability(device_props)
        return (f"fp8 weights need a GPU of compute capability 8.9 or newer (Ada, Hopper); {device_props.name} has "
                f"{major}.{minor}: use 8bit or 4bit instead")
    if not torchao_found:
        return "fp8 weights need torchao: pip install torchao"
    return None
