"""The PSD's stored merged image ("maximise compatibility"): our composite, with its transparency.

Why: viewers that do not composite layers (thumbnails, quick-look, ImageMagick's `psd[0]`, psd-tools' default
`composite()`) show the merged image data stored after the layers. Photoshop writes it as the colour matted over
white plus an alpha channel, and flags that alpha by a negative layer count (PSD spec, layer info section).
Without the flag the fourth channel is ignored and a character on transparency shows on a black background.

We store exactly `core.compositing.composite(doc)`: psd-tools packs it in the header's channels and depth and
mattes it over white (`numpy_io.encode_image_data`), and the readers undo the matte, so the stored image equals
our composite (colour within rounding where alpha is small, which the matte cannot carry more finely).
"""

from __future__ import annotations

import numpy as np
from psd_tools import PSDImage
from psd_tools.api import numpy_io


def store_merged(psd: PSDImage, rgba: np.ndarray) -> None:
    """Make `rgba` (H, W, 4 uint8 straight alpha, the canvas size) the stored merged image, alpha included."""
    if rgba.shape != (psd.height, psd.width, 4) or rgba.dtype != np.uint8:
        raise ValueError(f"merged image must be ({psd.height}, {psd.width}, 4) uint8, got {rgba.shape} {rgba.dtype}")
    header = psd._record.header
    if header.channels < 4:
        raise ValueError("the PSD has no channel for the merged transparency")
    layer_info = psd._record._get_layer_info()
    if layer_info is not None and layer_info.layer_count:
        layer_info.layer_count = -abs(layer_info.layer_count)  # "the first alpha channel is the transparency"
    psd._merged_alpha = True  # psd-tools keeps the sign across its own record rebuilds
    color = rgba[..., :3].astype(np.float32) / 255.0
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    psd._record.image_data.set_data(numpy_io.encode_image_data(psd, color, alpha), header)
    psd._updated = False  # save() would otherwise re-render the preview with psd-tools' own compositor
