"""What a decomposition job needs to know, as one immutable request (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput
from seethrough.core.operations.params import param, validate

TAG_SETS = ("v3", "v2")
#: "auto" picks one of the others from the free GPU memory at load time (core/decompose/memory.py)
OFFLOAD_MODES = ("auto", "none", "model", "sequential", "group")
DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTENTION = ("sdpa", "eager")  # PyTorch scaled-dot-product attention, or plain matmul-softmax (debugging, old GPUs)
#: lower-memory mode to suggest after an out-of-memory error in a given mode
NEXT_MEMORY_MODE = {"none": "model", "model": "group", "group": "sequential", "sequential": None,
                    "auto": "sequential"}
#: where the decomposed layers live: the input's own size and position, or the model's square canvas (the authors')
OUTPUT_FRAMES = ("input", "canvas")
#: depth steps when neither the options nor the depth folder's model_index.json (`default_denoising_steps`) say
DEFAULT_DEPTH_STEPS = 4
#: weight precisions besides the models' own: bitsandbytes int8 / NF4, or torchao float8 (compute capability ≥ 8.9)
QUANTIZE = (None, "8bit", "4bit", "fp8")
#: values of the on/off speed settings; "auto" = the default for the device found (core/decompose/speed.py)
SWITCH = ("auto", "on", "off")
COMPILE_MODES = ("auto", "off", "regional")
#: most frames handed to the decoders in one call (0 = auto)
MAX_DECODER_BATCH = 32
#: smallest transparent-decoder tile side, in pixels (0 = no tiles); tiles are multiples of 64
MIN_DECODER_TILE = 256

#: The speed settings: field → (allowed values or (lowest, highest), help). One place for their limits and help
#: (the CLI flags and the workspace read it); what each trades and its default per GPU: docs/speed.md.
SPEED_SETTINGS: dict[str, tuple[tuple, str]] = {
    "compile": (COMPILE_MODES, "torch.compile of the UNets' repeated transformer blocks (regional): faster steps "
                               "after a warm-up of about a minute per resolution, cached across runs in the user data "
                               "folder; auto: on CUDA GPUs of compute capability 8.0 or newer"),
    "channels_last": (SWITCH, "channels-last memory layout for the UNets and decoders (faster convolutions on "
                              "tensor cores); auto: on CUDA GPUs of compute capability 7.0 or newer"),
    "cuda_graphs": (SWITCH, "replay the layer sampler's UNet call as a CUDA graph (less launch overhead); CUDA "
                            "with memory mode none only, else ignored; auto: on from compute capability 8.0"),
    "decoder_batch": ((0, MAX_DECODER_BATCH), "frames decoded per call by the VAE and the transparent decoder; "
                                              "0 = auto (more on GPUs with more memory, 1 on the CPU)"),
    "decoder_tile": ((0, 8192), "decode alpha in overlapping tiles of this side (a multiple of 64, at least "
                                f"{MIN_DECODER_TILE}) to bound memory; approximate; 0 = whole frames"),
    "skip_empty": (SWITCH, "skip the depth model's VAE work for frames with nothing in them (their depth is never "
                           "used); exact; auto: on"),
}


#: the working sizes' and steps' limits (the one place they are declared: the CLI's flags, the Decompose workspace's
#: widgets and the stored settings' defaults all read them from the fields below)
RESOLUTION_RANGE = (64, 4096)
STEPS_RANGE = (1, 1000)
#: a seed the GUI's spin box can hold (a C int) is one the CLI takes too
SEED_RANGE = (0, 2**31 - 1)


def _speed(name: str, default: Any) -> Any:
    limits, help_text = SPEED_SETTINGS[name]
    if isinstance(limits[0], str):
        return param(default, help=help_text, choices=limits)
    return param(default, help=help_text, lo=limits[0], hi=limits[1])


@dataclass(frozen=True)
class DecomposeOptions:
    """Everything a decomposition needs to know: each field declared once with its limits and help (the CLI's
    flags, the workspace's widgets and the settings' defaults come from here)."""

    tagset: str = param("v3", help="tag set of the layer model", choices=TAG_SETS, flag="--tags")
    resolution: int = param(1280, help="working resolution of the layer model (pixels; the transparent decoder "
                            "halves it six times)", lo=RESOLUTION_RANGE[0], hi=RESOLUTION_RANGE[1], multiple_of=64)
    steps: int = param(30, help="diffusion steps per pass", lo=STEPS_RANGE[0], hi=STEPS_RANGE[1])
    seed: int = param(42, help="random seed of a run (the authors' is 42)", lo=SEED_RANGE[0], hi=SEED_RANGE[1])
    depth: bool = param(True, help="estimate pseudo-depth after the layers (--no-depth: depth follows layer order)")
    depth_resolution: int = param(768, help="working resolution of the depth model (the authors use 768)",
                                  lo=RESOLUTION_RANGE[0], hi=RESOLUTION_RANGE[1], multiple_of=8)
    depth_steps: int | None = param(None, help="depth denoising steps (default: the depth model's own, else "
                                    f"{DEFAULT_DEPTH_STEPS})", lo=STEPS_RANGE[0], hi=STEPS_RANGE[1])
    device: str = param("auto", help="auto (CUDA when there is one), cpu, cuda, cuda:1 …")
    dtype: str = param("auto", help="auto: bfloat16 on CUDA, float32 on the CPU", choices=DTYPES)
    offload: str = param("auto", help="GPU memory mode; auto picks the fastest that fits the free memory "
                         "(docs/models.md)", choices=OFFLOAD_MODES)
    quantize: str | None = param(None, help="8-bit/4-bit weights with bitsandbytes (CUDA only), or fp8 with torchao "
                                 "(compute capability 8.9+)", choices=QUANTIZE[1:])
    attention: str = param("sdpa", help="scaled-dot-product attention, or eager matmul-softmax (debugging)",
                           choices=ATTENTION)
    # speed settings (SPEED_SETTINGS: limits and help; docs/speed.md): none changes the result beyond the parity
    # tolerances of the eager path, except decoder_tile
    compile: str = _speed("compile", "auto")
    channels_last: str = _speed("channels_last", "auto")
    cuda_graphs: str = _speed("cuda_graphs", "auto")
    decoder_batch: int = _speed("decoder_batch", 0)
    decoder_tile: int = _speed("decoder_tile", 0)
    skip_empty: str = _speed("skip_empty", "auto")
    lr_split: bool = param(False, help="split handwear, ears and eye parts left/right (the authors' rule)")
    output_frame: str = param("input", help="layers at the input's size, or on the model's square canvas as the "
                              "authors' PSD (docs/parity.md)", choices=OUTPUT_FRAMES)
    clip_head_halo: bool = param(False, help="keep head-pass alpha within the input's alpha (not the authors')")
    fp32_latents: bool = param(False, help="keep the sampler's latents in fp32 with bf16/fp16 models (the authors "
                               "round them to the models' precision at every step)")
    layer_model: Path | None = param(None, help="layer model folder (default: the installed model)", flag="--model")
    depth_model: Path | None = param(None, help="depth model folder (default: the installed model)")
    models_dir: Path | None = param(None, help="a folder holding downloaded models (also $SEETHROUGH_MODELS)")
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)
        if self.decoder_tile and (self.decoder_tile < MIN_DECODER_TILE or self.decoder_tile % 64):
            raise BadInput(f"decoder_tile: {self.decoder_tile} is neither 0 (whole frames) nor a multiple of 64 of "
                           f"at least {MIN_DECODER_TILE}")

    def with_(self, **changes: Any) -> DecomposeOptions:
        return replace(self, **changes)
