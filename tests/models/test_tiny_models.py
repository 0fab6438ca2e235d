"""Tiny random-weight versions of the See-through models: shapes, cross-frame mixing, save → load, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from diffusers import UNet2DConditionModel

from seethrough.core.errors import BadInput, ModelNotFound
from seethrough.core.models.catalog import check_model_dir, find_model
from seethrough.core.models.layer_unet import UNetFrameConditionModel
from seethrough.core.models.loading import load_depth_unet, load_layer_unet, load_trans_vae
from seethrough.core.models.transparent_vae import TransparentVAE
from tests.models import tiny


@pytest.fixture(scope="module")
def layer_unet() -> UNetFrameConditionModel:
    torch.manual_seed(0)
    model = UNetFrameConditionModel(**tiny.layer_unet_config()).eval()
    tiny.randomize(model)
    return model


@pytest.fixture(scope="module")
def depth_unet() -> UNetFrameConditionModel:
    torch.manual_seed(0)
    model = UNetFrameConditionModel(**tiny.depth_unet_config()).eval()
    tiny.randomize(model)
    return model


@pytest.fixture(scope="module")
def trans_vae() -> TransparentVAE:
    torch.manual_seed(0)
    return TransparentVAE(**tiny.trans_vae_config()).eval()


@torch.no_grad()
def test_layer_unet_shapes_for_both_groups_and_batches(layer_unet: UNetFrameConditionModel) -> None:
    for group, frames in ((0, 3), (1, 2)):
        for batch in (1, 2):
            out = layer_unet(**tiny.layer_inputs(batch, frames), group_index=group).sample
            assert out.shape == (batch, frames, 4, 16, 16)
            assert torch.isfinite(out).all()


@torch.no_grad()
def test_batch_items_are_independent(layer_unet: UNetFrameConditionModel) -> None:
    a, b = tiny.layer_inputs(1, 3, seed=1), tiny.layer_inputs(1, 3, seed=2)
    both = dict(a, sample=torch.cat([a["sample"], b["sample"]]))
    out = layer_unet(**both, group_index=0).sample
    single = layer_unet(**a, group_index=0).sample
    torch.testing.assert_close(out[:1], single, rtol=1e-4, atol=1e-5)


@torch.no_grad()
def test_group_embedding_needs_matching_frames(layer_unet: UNetFrameConditionModel) -> None:
    with pytest.raises(ValueError, match="expects 2 frames"):
        layer_unet(**tiny.layer_inputs(1, 3), group_index=1)
    with pytest.raises(ValueError, match="group_index"):
        layer_unet(**tiny.layer_inputs(1, 3))


@torch.no_grad()
def test_depth_unet_shapes(depth_unet: UNetFrameConditionModel) -> None:
    x = torch.randn(1, 4, 12, 16, 16)
    out = depth_unet(x, torch.tensor(999), torch.randn(4, 2, tiny.TOKENS)).sample
    assert out.shape == (1, 4, 4, 16, 16)


@torch.no_grad()
def test_cross_frame_attention_mixes_frames_unless_zero_initialised() -> None:
    torch.manual_seed(0)
    model = UNetFrameConditionModel(**tiny.layer_unet_config(group_embedding=False)).eval()
    tiny.randomize(model)
    inputs = tiny.layer_inputs(1, 3)
    changed = dict(inputs, sample=inputs["sample"].clone())
    changed["sample"][0, 2] += 1.0  # only frame 2 changes

    out, out_changed = model(**inputs).sample, model(**changed).sample
    assert (out[0, 0] - out_changed[0, 0]).abs().max() > 1e-3  # frame 0 sees frame 2 through cross-frame attention

    model.init_weights()
    out, out_changed = model(**inputs).sample, model(**changed).sample
    torch.testing.assert_close(out[0, :2], out_changed[0, :2])  # frames are independent again
    assert (out[0, 2] - out_changed[0, 2]).abs().max() > 1e-3


@torch.no_grad()
def test_zero_initialised_3d_unet_reproduces_the_2d_unet(layer_unet: UNetFrameConditionModel) -> None:
    """The 2D → 3D conversion of training: after init_weights() the frames see the plain SDXL UNet."""
    config = tiny.layer_unet_config(group_embedding=False)
    model = UNetFrameConditionModel(**config).eval()
    tiny.randomize(model)
    model.init_weights()
    names = {"CrossFrameAttnDownBlock": "CrossAttnDownBlock2D", "CrossFrameAttnUpBlock": "CrossAttnUpBlock2D",
             "UNetMidBlockCrossFrameAttn": "UNetMidBlock2DCrossAttn"}
    config_2d = {k: v for k, v in config.items() if k not in ("group_embedding", "group_embedding_num", "tag_version")}
    config_2d["down_block_types"] = [names.get(t, t) for t in config["down_block_types"]]
    config_2d["up_block_types"] = [names.get(t, t) for t in config["up_block_types"]]
    config_2d["mid_block_type"] = names[config["mid_block_type"]]
    unet_2d = UNet2DConditionModel(**config_2d).eval()
    result = unet_2d.load_state_dict(model.state_dict(), strict=False)
    assert not result.missing_keys
    assert all(".temporal_transformer_blocks." in k for k in result.unexpected_keys)

    inputs = tiny.layer_inputs(1, 3)
    out_3d = model(**inputs).sample[0]
    out_2d = unet_2d(inputs["sample"][0], inputs["timestep"], inputs["encoder_hidden_states"],
                     added_cond_kwargs=inputs["added_cond_kwargs"]).sample
    torch.testing.assert_close(out_3d, out_2d, rtol=1e-5, atol=1e-6)


@torch.no_grad()
def test_transparent_vae_decodes_rgba(trans_vae: TransparentVAE) -> None:
    vae = tiny.sdxl_vae()
    latents = torch.randn(2, 4, 8, 8)
    rgba = trans_vae.decode_rgba(latents, vae)
    assert rgba.shape == (2, 4, 64, 64)
    assert rgba.min() >= 0 and rgba.max() <= 1
    mask = torch.zeros(64, 64)
    mask[:, :32] = 1
    masked = trans_vae.decode_rgba(latents, vae, input_alpha=mask)
    torch.testing.assert_close(masked[:, :3], rgba[:, :3])  # colour is straight, untouched by the mask
    assert masked[:, 3, :, 32:].abs().max() == 0
    torch.testing.assert_close(masked[:, 3, :, :32], rgba[:, 3, :, :32])
    cond = trans_vae.encode_condition(torch.rand(1, 3, 64, 64), vae, generator=torch.Generator().manual_seed(0))
    assert cond.shape == (1, 4, 8, 8)


# ------------------------------------------------------------------------------------------------ save / load
def _install_layer_model(root: Path, unet: UNetFrameConditionModel, trans_vae: TransparentVAE) -> Path:
    """A complete layer-model folder in the Hugging Face repo layout (tokenizers/text encoders as stubs)."""
    folder = root / "seethroughv0.0.2_layerdiff3d"
    unet.save_pretrained(folder / "unet")
    trans_vae.save_pretrained(folder / "trans_vae")
    vae = tiny.sdxl_vae()
    for name in ("vae", "text_encoder", "text_encoder_2"):
        vae.save_pretrained(folder / name)  # any valid config + safetensors passes the layout check
    for name in ("tokenizer", "tokenizer_2"):
        (folder / name).mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "KDiffusionStableDiffusionXLPipeline"}))
    return folder


@torch.no_grad()
def test_save_and_reload_through_production_loaders(tmp_path: Path, layer_unet: UNetFrameConditionModel,
                                                    depth_unet: UNetFrameConditionModel,
                                                    trans_vae: TransparentVAE) -> None:
    folder = _install_layer_model(tmp_path, layer_unet, trans_vae)
    loaded = load_layer_unet(folder)
    assert loaded.config.tag_version == "v3" and loaded.config.group_embedding
    inputs = tiny.layer_inputs(1, 3)
    torch.testing.assert_close(loaded(**inputs, group_index=0).sample, layer_unet(**inputs, group_index=0).sample,
                               rtol=0, atol=0)

    loaded_vae = load_trans_vae(folder)
    vae = tiny.sdxl_vae()
    latents = torch.randn(1, 4, 8, 8)
    torch.testing.assert_close(loaded_vae.decode_rgba(latents, vae), trans_vae.decode_rgba(latents, vae),
                               rtol=0, atol=0)

    depth_unet.save_pretrained(tmp_path / "marigold" / "unet")
    loaded_depth = load_depth_unet(tmp_path / "marigold" / "unet")  # the subfolder itself works too
    x, ehs = torch.randn(1, 4, 12, 16, 16), torch.randn(4, 2, tiny.TOKENS)
    torch.testing.assert_close(loaded_depth(x, 10, ehs).sample, depth_unet(x, 10, ehs).sample, rtol=0, atol=0)

    report = check_model_dir(folder)
    assert report.ok, report.problems
    assert report.model_id == "layers-v3" and report.tag_version == "v3"
    assert report.tensors > 0 and report.total_bytes > 0
    location = find_model("layers", search_dirs=[tmp_path], use_hf_cache=False)
    assert location.path == folder and location.spec.id == "layers-v3" and location.source == "setting"


def test_missing_model_names_repo_layout_and_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "env-models"))
    monkeypatch.setenv("SEETHROUGH_HOME", str(tmp_path / "home"))
    with pytest.raises(ModelNotFound) as err:
        find_model("depth", search_dirs=[tmp_path], use_hf_cache=False)
    message = str(err.value)
    assert "24yearsold/seethroughv0.0.1_marigold" in message
    assert "unet/, vae/, text_encoder/, tokenizer/" in message
    assert "hf download 24yearsold/seethroughv0.0.1_marigold --local-dir" in message
    assert str(tmp_path / "env-models") in message

    with pytest.raises(ModelNotFound, match="does not exist"):
        load_layer_unet(tmp_path / "nowhere")


def test_wrong_layout_is_reported(tmp_path: Path, layer_unet: UNetFrameConditionModel) -> None:
    folder = tmp_path / "seethroughv0.0.2_layerdiff3d"
    layer_unet.save_pretrained(folder / "unet")  # only the unet: the rest of the repo is missing
    report = check_model_dir(folder)
    assert not report.ok
    assert any("trans_vae/config.json" in p for p in report.problems)
    with pytest.raises(ModelNotFound, match="lacks .*trans_vae/config.json"):
        find_model("layers-v3", search_dirs=[tmp_path], use_hf_cache=False)
    with pytest.raises(ModelNotFound, match="neither trans_vae/config.json nor config.json"):
        load_trans_vae(folder)


def test_truncated_safetensors_is_a_clear_error(tmp_path: Path, trans_vae: TransparentVAE,
                                                layer_unet: UNetFrameConditionModel) -> None:
    folder = _install_layer_model(tmp_path, layer_unet, trans_vae)
    weights = folder / "trans_vae" / "diffusion_pytorch_model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="truncated"):
        load_trans_vae(folder)
    report = check_model_dir(folder)
    assert not report.ok and any("truncated" in p and "trans_vae" in p for p in report.problems)

    weights.write_bytes(b"\xff" * 64)  # not a safetensors file at all
    with pytest.raises(BadInput, match="safetensors"):
        load_trans_vae(folder)


def test_weights_of_another_architecture_are_rejected(tmp_path: Path) -> None:
    v2 = UNetFrameConditionModel(**tiny.layer_unet_config(group_embedding=False))
    v2.save_pretrained(tmp_path / "unet")
    config_file = tmp_path / "unet" / "config.json"
    config = json.loads(config_file.read_text())
    config["group_embedding"] = True  # claims group embeddings the weights do not have
    config_file.write_text(json.dumps(config))
    with pytest.raises(BadInput, match="group_embeds"):
        load_layer_unet(tmp_path)


def test_found_in_the_hugging_face_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         depth_unet: UNetFrameConditionModel) -> None:
    """A model fetched with `hf download` (no --local-dir) is found offline in the hub cache."""
    import huggingface_hub.constants

    cache = tmp_path / "hub"
    repo = cache / "models--24yearsold--seethroughv0.0.1_marigold"
    snapshot = repo / "snapshots" / "0123abcd"
    depth_unet.save_pretrained(snapshot / "unet")
    vae = tiny.sdxl_vae()
    vae.save_pretrained(snapshot / "vae")
    vae.save_pretrained(snapshot / "text_encoder")
    (snapshot / "tokenizer").mkdir()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("SEETHROUGH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SEETHROUGH_MODELS", raising=False)

    location = find_model("depth")
    assert location.source == "hf cache" and location.path == snapshot
    assert check_model_dir(location.path).model_id == "depth"
    assert load_depth_unet(location.path).config.in_channels == 12


@torch.no_grad()
def test_cross_frame_attention_chunking_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    from seethrough.core.models import cross_frame

    torch.manual_seed(0)
    block = cross_frame.CrossFrameTransformerBlock(16, 2, 8).eval()
    x = torch.randn(3 * 2, 25, 16)  # B=2 samples × F=3 frames, 5×5 pixels
    whole = block(x, num_frames=3)
    monkeypatch.setattr(cross_frame, "MAX_ATTENTION_BATCH", 7)
    torch.testing.assert_close(block(x, num_frames=3), whole, rtol=1e-6, atol=1e-6)


def test_sharded_weights_are_checked(tmp_path: Path, layer_unet: UNetFrameConditionModel) -> None:
    folder = tmp_path / "unet"
    layer_unet.save_pretrained(folder, max_shard_size="200KB")
    shards = sorted(folder.glob("*.safetensors"))
    assert len(shards) > 1
    with torch.no_grad():
        inputs = tiny.layer_inputs(1, 3)
        torch.testing.assert_close(load_layer_unet(folder)(**inputs, group_index=0).sample,
                                   layer_unet(**inputs, group_index=0).sample, rtol=0, atol=0)
    shards[-1].unlink()
    with pytest.raises(BadInput, match="is missing"):
        load_layer_unet(folder)


def test_depth_and_layer_folders_are_not_confused(tmp_path: Path, layer_unet: UNetFrameConditionModel) -> None:
    layer_unet.save_pretrained(tmp_path / "unet")
    with pytest.raises(BadInput, match="takes 8 input channels, not 12"):
        load_depth_unet(tmp_path)
