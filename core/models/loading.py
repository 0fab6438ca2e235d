"""Production loaders of the See-through model classes from local folders (never from the network).

Each loader takes either the model's root folder (the Hugging Face repo layout, e.g. `…/seethroughv0.0.2_
layerdiff3d`) or the subfolder itself (`…/unet`), verifies the safetensors files first (a truncated download
gives a one-line BadInput instead of a stack trace), loads with `local_files_only=True`, and insists on an exact
key match: missing, unexpected or mis-shaped weights raise BadInput naming a few of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from seethrough.core.errors import BadInput, ModelNotFound
from seethrough.core.models.catalog import check_weight_folder
from seethrough.core.models.layer_unet import UNetFrameConditionModel
from seethrough.core.models.transparent_vae import TransparentVAE

#: [noisy latent, source-image latent] for the layer UNet; [full image, layer, noisy depth] latents for depth
LAYER_IN_CHANNELS, DEPTH_IN_CHANNELS = 8, 12


def _resolve(path: Path | str, subfolder: str, what: str) -> Path:
    root = Path(path).expanduser()
    if (root / subfolder / "config.json").is_file():
        return root / subfolder
    if (root / "config.json").is_file():
        return root
    if not root.exists():
        raise ModelNotFound(f"{what}: {root} does not exist. Point the models folder setting or "
                            "$SEETHROUGH_MODELS at the downloaded repo (see `seethrough-gui models list`).")
    raise ModelNotFound(f"{what}: {root} has neither {subfolder}/config.json nor config.json; expected the "
                        f"Hugging Face repo layout with a {subfolder}/ folder (see `seethrough-gui models list`).")


def _load(cls: Any, path: Path | str, subfolder: str, what: str, dtype: torch.dtype | None,
          expect_class: tuple[str, ...], expect_in_channels: int | None = None, **load_kwargs: Any) -> Any:
    folder = _resolve(path, subfolder, what)
    _, _, problems = check_weight_folder(folder)
    if problems:
        raise BadInput(f"{what} in {folder} cannot be loaded: " + "; ".join(problems))
    from seethrough.core.io import safe_json

    config = safe_json.read(folder / "config.json")
    class_name = config.get("_class_name") if isinstance(config, dict) else None
    if class_name and class_name not in expect_class:
        raise BadInput(f"{what}: {folder} holds a {class_name}, expected {' or '.join(expect_class)}")
    try:
        model, info = cls.from_pretrained(folder, local_files_only=True, torch_dtype=dtype,
                                          output_loading_info=True, **load_kwargs)
    except OSError as exc:
        raise ModelNotFound(f"{what}: cannot load {folder}: {exc}") from exc
    except (ValueError, RuntimeError, TypeError, KeyError) as exc:
        raise BadInput(f"{what}: {folder} does not match the expected architecture: {_first_line(exc)}") from exc
    if expect_in_channels is not None and model.config.get("in_channels") != expect_in_channels:
        raise BadInput(f"{what}: {folder} takes {model.config.get('in_channels')} input channels, not "
                       f"{expect_in_channels}: is this the right model folder?")
    bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if bad:
        detail = "; ".join(f"{len(v)} {k.replace('_', ' ')} (e.g. {_name(v[0])})" for k, v in bad.items())
        raise BadInput(f"{what}: weights in {folder} do not fit the architecture: {detail}")
    return model.eval()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _name(item: Any) -> str:
    return item[0] if isinstance(item, tuple) else str(item)


def load_layer_unet(path: Path | str, dtype: torch.dtype | None = None, **load_kwargs: Any) -> UNetFrameConditionModel:
    """The layer UNet (V2 or V3, see `.config.tag_version`) from a repo folder or its `unet/`. `load_kwargs` go to
    `from_pretrained` (e.g. `quantization_config` for 8-/4-bit weights)."""
    return _load(UNetFrameConditionModel, path, "unet", "layer UNet", dtype,
                 ("UNetFrameConditionModel", "UNet2DConditionModel"), LAYER_IN_CHANNELS, **load_kwargs)


def load_depth_unet(path: Path | str, dtype: torch.dtype | None = None,
                    in_channels: int | None = DEPTH_IN_CHANNELS, **load_kwargs: Any) -> UNetFrameConditionModel:
    """The Marigold-3D depth UNet from a repo folder or its `unet/` (`in_channels=None`: also a stage-1 one)."""
    return _load(UNetFrameConditionModel, path, "unet", "depth UNet", dtype,
                 ("UNetFrameConditionModel", "UNet2DConditionModel"), in_channels, **load_kwargs)


def load_trans_vae(path: Path | str, dtype: torch.dtype | None = None) -> TransparentVAE:
    """The transparent VAE from a layer-model repo folder or its `trans_vae/`."""
    return _load(TransparentVAE, path, "trans_vae", "transparent VAE", dtype, ("TransparentVAE",))
