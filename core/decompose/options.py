"""What a decomposition job needs to know, as one immutable request (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput

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


@dataclass(frozen=True)
class DecomposeOptions:
    tagset: str = "v3"
    resolution: int = 1280
    steps: int = 30
    seed: int = 42
    depth: bool = True
    depth_resolution: int = 768
    depth_steps: int | None = None  # None = the depth model's `default_denoising_steps` (model_index.json), else 4
    device: str = "auto"  # "auto" = cuda if available, else cpu
    dtype: str = "auto"  # "auto" = bfloat16 on CUDA, float32 on CPU
    offload: str = "auto"
    quantize: str | None = None  # see QUANTIZE
    attention: str = "sdpa"
    # speed settings (SPEED_SETTINGS: limits and help; docs/speed.md): none changes the result beyond the parity
    # tolerances of the eager path, except decoder_tile
    compile: str = "auto"
    channels_last: str = "auto"
    cuda_graphs: str = "auto"
    decoder_batch: int = 0
    decoder_tile: int = 0
    skip_empty: str = "auto"
    lr_split: bool = False
    output_frame: str = "input"  # see OUTPUT_FRAMES and docs/parity.md
    clip_head_halo: bool = False  # keep head-pass alpha within the input's alpha on the canvas (not the authors')
    #: keep the sampler's latents in fp32 when the models run in bf16/fp16 (the authors keep them in the models'
    #: precision, rounded at every step: the default, for their result; see docs/parity.md)
    fp32_latents: bool = False
    layer_model: Path | None = None  # folder with model_index.json/unet/trans_vae/vae/… (None = catalogue)
    depth_model: Path | None = None
    models_dir: Path | None = None  # the app's "models folder" setting, searched before $SEETHROUGH_MODELS
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tagset not in TAG_SETS:
            raise BadInput(f"tag set must be one of {', '.join(TAG_SETS)}, not {self.tagset!r}")
        if self.offload not in OFFLOAD_MODES:
            raise BadInput(f"memory mode must be one of {', '.join(OFFLOAD_MODES)}, not {self.offload!r}")
        if self.dtype not in DTYPES:
            raise BadInput(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.resolution < 64 or self.resolution % 64:  # the transparent decoder halves the size six times
            raise BadInput(f"resolution must be a multiple of 64 (≥ 64), not {self.resolution}")
        if self.depth_resolution < 64 or self.depth_resolution % 8:
            raise BadInput(f"depth resolution must be a multiple of 8 (≥ 64), not {self.depth_resolution}")
        if self.output_frame not in OUTPUT_FRAMES:
            raise BadInput(f"output frame must be one of {', '.join(OUTPUT_FRAMES)}, not {self.output_frame!r}")
        if self.steps < 1 or (self.depth_steps is not None and self.depth_steps < 1):
            raise BadInput("the number of steps must be at least 1")
        if self.attention not in ATTENTION:
            raise BadInput(f"attention must be one of {', '.join(ATTENTION)}, not {self.attention!r}")
        if self.quantize not in QUANTIZE:
            raise BadInput(f"quantize must be 8bit, 4bit, fp8 or none, not {self.quantize!r}")
        self._check_speed_settings()

    def _check_speed_settings(self) -> None:
        for name, (limits, _help) in SPEED_SETTINGS.items():
            value = getattr(self, name)
            if isinstance(limits[0], str):
                if value not in limits:
                    raise BadInput(f"{name.replace('_', ' ')} must be one of {', '.join(limits)}, not {value!r}")
            elif not isinstance(value, int) or not limits[0] <= value <= limits[1]:
                raise BadInput(f"{name.replace('_', ' ')} must be a whole number from {limits[0]} to {limits[1]}, "
                               f"not {value!r}")
        if self.decoder_tile and (self.decoder_tile < MIN_DECODER_TILE or self.decoder_tile % 64):
            raise BadInput(f"decoder tile must be 0 (whole frames) or a multiple of 64 of at least {MIN_DECODER_TILE}"
                           f", not {self.decoder_tile}")

    def with_(self, **changes: Any) -> DecomposeOptions:
        return replace(self, **changes)
