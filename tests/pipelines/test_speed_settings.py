"""Each speed setting on the tiny models changes nothing it must not change: the same seed gives the eager path's
layers (names, order, boxes; RGBA and depth within the parity tolerances, 1/255), and the work it saves is really
saved (fewer decoder calls, one batched UNet call per step, graphs only on CUDA)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from seethrough.core.decompose.engine import DecomposeEngine, load_engine
from seethrough.core.decompose.options import DecomposeOptions
from seethrough.core.decompose.speed import EAGER
from seethrough.core.document import Document
from tests.support.tiny_models import build_depth_model, build_layer_model

#: the parity tolerances of the eager path (docs/parity.md): layer RGBA and depth within 1/255
RGBA_LIMIT = 1
DEPTH_LIMIT = 1 / 255 + 1e-6
#: every speed setting off: what the others are compared with
OFF = dict(compile="off", channels_last="off", cuda_graphs="off", decoder_batch=1, decoder_tile=0, skip_empty="off")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return build_layer_model(root / "layers-v3", "v3"), build_depth_model(root / "depth")


def _image(width: int = 80, height: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = np.zeros((height, width, 4), np.uint8)
    img[..., :3] = rng.integers(0, 255, (height, width, 3))
    img[8:60, 20:60, 3] = 255
    return img


def _options(models, **changes) -> DecomposeOptions:
    layers, depth = models
    base = dict(resolution=64, steps=2, depth_resolution=64, depth_steps=2, layer_model=layers, depth_model=depth,
                seed=7, device="cpu", **OFF)
    base.update(changes)
    return DecomposeOptions(**base)


def _run(options: DecomposeOptions) -> tuple[Document, DecomposeEngine]:
    engine = load_engine(options)
    return engine.decompose(_image(), options), engine


@pytest.fixture(scope="module")
def loaded(models):
    """One engine with every setting off, its eager result, and the frame count of every UNet call of that run."""
    options = _options(models, depth=False)
    engine = load_engine(options)
    frames: list[int] = []
    hook = engine.layer_pipeline.unet.register_forward_pre_hook(lambda _m, args: frames.append(args[0].shape[1]))
    doc = engine.decompose(_image(), options)
    hook.remove()
    return engine, options, doc, frames


@pytest.fixture(scope="module")
def eager(loaded):
    return loaded[2]


def _with_speed(engine: DecomposeEngine, options: DecomposeOptions, **changes) -> Document:
    """A run of the loaded engine with some runtime speed settings changed, restored afterwards."""
    saved = engine.speed
    engine.speed = replace(EAGER, **changes)
    try:
        return engine.decompose(_image(), options)
    finally:
        engine.speed = saved


def assert_same_layers(a: Document, b: Document, rgba: int = RGBA_LIMIT, depth: float = DEPTH_LIMIT) -> None:
    assert [layer.name for layer in a.layers] == [layer.name for layer in b.layers]
    for la, lb in zip(a.layers, b.layers):
        assert la.bbox == lb.bbox, la.name
        assert np.abs(la.rgba.astype(int) - lb.rgba.astype(int)).max() <= rgba, la.name
        if la.depth is not None or lb.depth is not None:
            assert np.abs(la.depth - lb.depth).max() <= depth, la.name


def test_the_eager_settings_are_what_a_directly_built_engine_uses(loaded):
    assert loaded[0].speed == EAGER
    assert DecomposeEngine().speed == EAGER


def test_channels_last_gives_the_eager_layers(models, eager):
    doc, engine = _run(_options(models, depth=False, channels_last="on"))
    assert engine.layer_pipeline.unet.conv_in.weight.is_contiguous(memory_format=torch.channels_last)
    assert engine.layer_pipeline.trans_vae.decoder.model.conv_in.weight.is_contiguous(
        memory_format=torch.channels_last)
    assert_same_layers(eager, doc)


def test_a_decoder_batch_gives_the_eager_layers_in_fewer_calls(loaded):
    engine, options, eager, _ = loaded
    batches: list[int] = []
    decoder = engine.layer_pipeline.trans_vae.decoder
    hook = decoder.register_forward_pre_hook(lambda _m, args: batches.append(args[0].shape[0]))
    try:
        assert_same_layers(eager, _with_speed(engine, options, decoder_batch=5))
    finally:
        hook.remove()
    # body pass 13 frames → 5 + 5 + 3, head pass 11 → 5 + 5 + 1
    assert batches == [5, 5, 3, 5, 5, 1]


def test_a_pass_runs_its_frames_in_one_batched_unet_call_per_step(loaded):
    assert loaded[3] == [13, 13, 11, 11]  # 2 steps of the body pass (13 tags), 2 of the head pass (11 tags)


def test_sdpa_attention_everywhere_and_eager_everywhere(models):
    from diffusers.models.attention_processor import Attention, AttnProcessor, AttnProcessor2_0

    for choice, processor in (("sdpa", AttnProcessor2_0), ("eager", AttnProcessor)):
        engine = load_engine(_options(models, attention=choice))
        seen = {}
        for pipeline in (engine.layer_pipeline, engine.depth_pipeline):
            for name, model in pipeline.components.items():
                if isinstance(model, torch.nn.Module):
                    kinds = {type(m.processor) for m in model.modules() if isinstance(m, Attention)}
                    if kinds:
                        seen[name] = kinds
        # the layer UNet (spatial and cross-frame blocks), the VAEs' mid-block, the transparent decoder
        assert {"unet", "vae", "trans_vae"} <= set(seen)
        assert all(kinds == {processor} for kinds in seen.values()), seen


def test_cuda_graphs_off_a_gpu_are_never_used(loaded):
    """Asked for on the CPU, the resolved settings drop them; forced into the CPU pipeline, it runs the eager loop
    (same layers, exactly)."""
    from seethrough.core.decompose.speed import resolve_speed

    engine, options, eager, _ = loaded
    assert not resolve_speed(options.with_(cuda_graphs="on"), None, "none").cuda_graphs
    assert_same_layers(eager, _with_speed(engine, options, cuda_graphs=True), rgba=0)


def test_a_graphed_unet_off_cuda_is_the_plain_call(loaded):
    from seethrough.core.decompose.engine import layer_passes
    from seethrough.core.pipelines.acceleration import GraphedUNet

    engine = loaded[0]
    unet = engine.layer_pipeline.unet
    body = layer_passes("v3")[0]
    embeds, pooled = engine.layer_pipeline.tags.get(list(body.tags))
    frames = len(body.tags)
    fixed = {"encoder_hidden_states": embeds, "group_index": body.group_index,
             "added_cond_kwargs": {"text_embeds": pooled, "time_ids": torch.tensor([[64., 64, 0, 0, 64, 64]] * frames)}}
    graphed = GraphedUNet(unet, fixed)
    sample, t = torch.randn(1, frames, 8, 8, 8), torch.tensor(500)
    with torch.no_grad():
        for _ in range(3):
            torch.testing.assert_close(graphed(sample, t), unet(sample, t, **fixed, return_dict=False)[0])
    assert graphed.graph is None and graphed.calls == 3


def test_skip_empty_frames_gives_the_same_document_with_less_depth_work(models):
    """Designed layers with empty ones (a tag the model left blank, a speck the drop rule removes): the document is
    the same, and the depth VAE decodes only the frames whose depth a part reads (encodes of identical empty frames
    are shared)."""
    from seethrough.core.taxonomy import taxonomy

    size = 64
    canvas = np.zeros((size, size, 4), np.uint8)
    canvas[8:56, 16:48] = (200, 150, 120, 255)
    layers = {tag: np.zeros((size, size, 4), np.uint8) for tag in taxonomy().v3}
    layers["face"][10:30, 20:44] = (230, 200, 180, 255)
    layers["topwear"][30:56, 16:48] = (40, 60, 200, 255)
    layers["front hair"][8:20, 18:46] = (90, 50, 30, 255)
    layers["irides"][18:22, 24:28] = (20, 120, 60, 255)
    layers["mouth"][2:4, 2:4] = (255, 0, 0, 255)  # 4 pixels: dropped by the authors' rule
    counts = {}
    docs = {}
    for skip in (False, True):
        options = _options(models, skip_empty="on" if skip else "off")
        engine = load_engine(options)
        calls: list[str] = []
        vae = engine.depth_pipeline.vae
        vae.decoder.register_forward_pre_hook(lambda *_, seen=calls: seen.append("decode"))
        vae.encoder.register_forward_pre_hook(lambda *_, seen=calls: seen.append("encode"))
        docs[skip] = engine.finish(canvas, canvas, layers, options)
        counts[skip] = {kind: calls.count(kind) for kind in ("decode", "encode")}
    assert_same_layers(docs[False], docs[True], rgba=0, depth=0)
    assert counts[False] == {"decode": 20, "encode": 21}  # 19 classes + the page; + the unrounded page condition
    # read: hair (front hair), face, eyes (irides), topwear; encoded: those 4, the mouth's speck, one shared empty
    # frame, the page twice (rounded as a frame, unrounded as the condition)
    assert counts[True] == {"decode": 4, "encode": 8}


def test_tiles_blend_to_the_whole_frame_for_a_pointwise_decoder():
    """The tiling machinery on a decoder whose every output pixel depends on its own input pixel only: the tiles,
    overlaps and blend weights reproduce the whole frame exactly, for sizes that do and do not fill whole tiles."""
    from seethrough.core.models.transparent_vae import tile_starts, tiled

    def pointwise(pixel, latent):
        up = latent.repeat_interleave(8, -2).repeat_interleave(8, -1)
        return torch.cat([pixel.mean(1, keepdim=True), pixel], 1) * up[:, :1].sigmoid()

    for height, width in ((512, 512), (640, 384)):
        pixel, latent = torch.rand(2, 3, height, width), torch.randn(2, 4, height // 8, width // 8)
        torch.testing.assert_close(tiled(pointwise, pixel, latent, 256), pointwise(pixel, latent))
    assert tile_starts(640, 256, 64) == [0, 192, 384]
    assert tile_starts(256, 256, 64) == [0]


def test_tiled_transparent_decoding_is_exact_only_for_whole_tiles():
    """Tiles that cover the frame are exact; smaller ones are approximate (the decoder's three deepest levels attend
    over the whole frame): on the tiny random decoder they move alpha by up to ~125/255 (printed), which is why tiles
    are opt-in (docs/speed.md)."""
    from tests.support.tiny_models import tiny_trans_vae, tiny_vae

    torch.manual_seed(0)
    trans_vae, vae = tiny_trans_vae().eval(), tiny_vae().eval()
    latents = torch.randn(1, 4, 48, 48)  # 384²
    whole = trans_vae.decode_rgba(latents, vae)
    torch.testing.assert_close(trans_vae.decode_rgba(latents, vae, tile=384), whole)
    tiled = trans_vae.decode_rgba(latents, vae, tile=256)
    diff = (tiled - whole).abs().max().item()
    print(f"tiny transparent decoder, 384² in 256² tiles: max |Δ| = {diff * 255:.2f}/255")
    assert tiled.shape == whole.shape and 0 <= tiled.min() and tiled.max() <= 1 and diff > 0


@pytest.mark.parametrize("mode", ["none"])
def test_compiled_unet_blocks_give_the_eager_layers(models, eager, mode):
    """Regional torch.compile (Inductor, on the CPU with the C compiler) of the tiny UNet's repeated blocks."""
    doc, engine = _run(_options(models, depth=False, compile="regional", offload=mode))
    blocks = [m for m in engine.layer_pipeline.unet.modules() if type(m).__name__ == "BasicTransformerBlock"]
    assert blocks and all(getattr(m, "_compiled_call_impl", None) is not None for m in blocks)
    assert_same_layers(eager, doc)


def test_cuda_graphs_give_the_eager_layers_on_a_gpu(models, cuda_device):
    options = _options(models, depth=False, device=cuda_device, dtype="float32", offload="none")
    plain = load_engine(options).decompose(_image(), options)
    graphed = options.with_(cuda_graphs="on")
    engine = load_engine(graphed)
    assert engine.speed.cuda_graphs
    assert_same_layers(plain, engine.decompose(_image(), graphed))
