"""`UNetFrameConditionModel`: the See-through layer UNet (SDXL scale) and depth UNet (SD2/Marigold scale).

One class expresses both released UNets from their `config.json`: it is diffusers' `UNet2DConditionModel`
with the custom block types `CrossFrameAttnDownBlock` / `UNetMidBlockCrossFrameAttn` / `CrossFrameAttnUpBlock`
(see `cross_frame.py`) and, for the V3 layer model, two per-group `GroupEmbedding`s that tell each frame which
pass (body or head) and which slot it is in. Config fields and module names match the authors' class, so
`from_pretrained` on their folders loads with no missing or unexpected keys.

Input layout: `sample (B, F, C, h, w)` — F frames (one per body-part layer, or per depth frame) of B samples.
Frames are flattened to `(B·F, …)`, the 2D UNet runs with the frame count handed to the cross-frame blocks, and
the output is reshaped back to `(B, F, out_channels, h, w)`.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.configuration_utils import register_to_config
from diffusers.models.activations import get_activation
from diffusers.models.embeddings import TimestepEmbedding
from diffusers.models.unets.unet_2d_blocks import get_down_block as diffusers_down_block
from diffusers.models.unets.unet_2d_blocks import get_mid_block as diffusers_mid_block
from diffusers.models.unets.unet_2d_blocks import get_up_block as diffusers_up_block
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel, UNet2DConditionOutput
from torch import nn

from seethrough.core.models.cross_frame import CROSS_FRAME_BLOCKS, NUM_FRAMES_KEY

#: SDXL's time_ids hold 6 numbers, each embedded with `addition_time_embed_dim` sinusoids
N_TIME_IDS = 6


class GroupEmbedding(nn.Module):
    """A learned vector per frame slot of a pass, mixed into that frame's text conditioning.

    `forward(x) = linear(x + params)` with `params (n, d)` broadcast over the frame axis. For token embeddings
    `(…, n, L, d)` pass `per_token=True` (params are repeated over the L tokens); for pooled embeddings
    `(…, n, d)` pass `per_token=False`. `per_token=None` follows the authors' rule: per token iff `x.ndim == 3`.
    The UNet adds the result to x (a zero `linear` makes the embedding a no-op).
    """

    def __init__(self, n: int, dim: int) -> None:
        super().__init__()
        self.params = nn.Parameter(torch.randn(n, dim))
        self.linear = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, per_token: bool | None = None) -> torch.Tensor:
        if per_token is None:
            per_token = x.ndim == 3
        params = self.params[:, None] if per_token else self.params
        return self.linear(x + params.to(x.dtype))


def _block(factory: Any, block_type: str | None, **kwargs: Any) -> nn.Module:
    """A cross-frame block for the custom type names, else diffusers' own block of that name."""
    cls = CROSS_FRAME_BLOCKS.get(block_type or "")
    block = cls(**kwargs) if cls is not None else factory(block_type, **kwargs)
    if block is None:
        raise ValueError(f"unknown UNet block type {block_type!r}")
    return block


class UNetFrameConditionModel(UNet2DConditionModel):
    """SDXL/SD2-style UNet over `(B, F, C, h, w)` with cross-frame attention and optional group embeddings.

    Extra config fields (besides every `UNet2DConditionModel` field):
    - `group_embedding` (bool): add `group_embeds` (d = 1280, on the pooled text embeds) and `group_embeds2`
      (d = 2048, on the token embeds), one `GroupEmbedding` per pass;
    - `group_embedding_num` ((13, 11) for V3): frames per pass, i.e. F must equal `group_embedding_num[g]`;
    - `tag_version` ("v2" paper 19 classes, "v3" 23 tags): informational, read by the pipelines.
    """

    _no_split_modules = ["BasicTransformerBlock", "CrossFrameTransformerBlock", "ResnetBlock2D",
                         "CrossFrameAttnUpBlock", "CrossAttnUpBlock2D", "UpBlock2D"]
    _repeated_blocks = ["BasicTransformerBlock", "CrossFrameTransformerBlock"]

    @register_to_config
    def __init__(
        self,
        sample_size: int | tuple[int, int] | None = None,
        in_channels: int = 4,
        out_channels: int = 4,
        center_input_sample: bool = False,
        flip_sin_to_cos: bool = True,
        freq_shift: int = 0,
        down_block_types: tuple[str, ...] = ("DownBlock2D", "CrossFrameAttnDownBlock", "CrossFrameAttnDownBlock"),
        mid_block_type: str | None = "UNetMidBlockCrossFrameAttn",
        up_block_types: tuple[str, ...] = ("CrossFrameAttnUpBlock", "CrossFrameAttnUpBlock", "UpBlock2D"),
        only_cross_attention: bool | tuple[bool, ...] = False,
        block_out_channels: tuple[int, ...] = (320, 640, 1280),
        layers_per_block: int | tuple[int, ...] = 2,
        downsample_padding: int = 1,
        mid_block_scale_factor: float = 1,
        dropout: float = 0.0,
        act_fn: str = "silu",
        norm_num_groups: int | None = 32,
        norm_eps: float = 1e-5,
        cross_attention_dim: int | tuple[int, ...] = 2048,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        reverse_transformer_layers_per_block: tuple[tuple[int, ...], ...] | None = None,
        encoder_hid_dim: int | None = None,
        encoder_hid_dim_type: str | None = None,
        attention_head_dim: int | tuple[int, ...] = 8,
        num_attention_heads: int | tuple[int, ...] | None = None,
        dual_cross_attention: bool = False,
        use_linear_projection: bool = False,
        class_embed_type: str | None = None,
        addition_embed_type: str | None = None,
        addition_time_embed_dim: int | None = None,
        num_class_embeds: int | None = None,
        upcast_attention: bool = False,
        resnet_time_scale_shift: str = "default",
        resnet_skip_time_act: bool = False,
        resnet_out_scale_factor: float = 1.0,
        time_embedding_type: str = "positional",
        time_embedding_dim: int | None = None,
        time_embedding_act_fn: str | None = None,
        timestep_post_act: str | None = None,
        time_cond_proj_dim: int | None = None,
        conv_in_kernel: int = 3,
        conv_out_kernel: int = 3,
        projection_class_embeddings_input_dim: int | None = None,
        attention_type: str = "default",
        class_embeddings_concat: bool = False,
        mid_block_only_cross_attention: bool | None = None,
        cross_attention_norm: str | None = None,
        addition_embed_type_num_heads: int = 64,
        group_embedding: bool = False,
        group_embedding_num: tuple[int, ...] = (13, 11),
        tag_version: str = "v2",
    ) -> None:
        # UNet2DConditionModel.__init__ would re-register its config and only knows diffusers' block names, so the
        # same construction is done here with the cross-frame block factory; its helper methods are reused.
        super(UNet2DConditionModel, self).__init__()
        if group_embedding:
            pooled_dim, token_dim = _group_embed_dims(cross_attention_dim, projection_class_embeddings_input_dim,
                                                      addition_time_embed_dim)
            self.group_embeds: nn.ModuleList | None = nn.ModuleList(
                GroupEmbedding(n, pooled_dim) for n in group_embedding_num)
            self.group_embeds2: nn.ModuleList | None = nn.ModuleList(
                GroupEmbedding(n, token_dim) for n in group_embedding_num)
        else:
            self.group_embeds = None
            self.group_embeds2 = None
        self.sample_size = sample_size
        if num_attention_heads is not None:
            raise ValueError("set the head counts through `attention_head_dim` (diffusers' naming), not "
                             "`num_attention_heads`")
        num_attention_heads = attention_head_dim  # diffusers' historical naming: these are head counts
        n_blocks = len(down_block_types)
        self._check_config(
            down_block_types=down_block_types, up_block_types=up_block_types,
            only_cross_attention=only_cross_attention, block_out_channels=block_out_channels,
            layers_per_block=layers_per_block, cross_attention_dim=cross_attention_dim,
            transformer_layers_per_block=transformer_layers_per_block,
            reverse_transformer_layers_per_block=reverse_transformer_layers_per_block,
            attention_head_dim=attention_head_dim, num_attention_heads=num_attention_heads,
        )
        self.conv_in = nn.Conv2d(in_channels, block_out_channels[0], kernel_size=conv_in_kernel,
                                 padding=(conv_in_kernel - 1) // 2)
        time_embed_dim, timestep_input_dim = self._set_time_proj(
            time_embedding_type, block_out_channels=block_out_channels, flip_sin_to_cos=flip_sin_to_cos,
            freq_shift=freq_shift, time_embedding_dim=time_embedding_dim,
        )
        self.time_embedding = TimestepEmbedding(timestep_input_dim, time_embed_dim, act_fn=act_fn,
                                                post_act_fn=timestep_post_act, cond_proj_dim=time_cond_proj_dim)
        self._set_encoder_hid_proj(encoder_hid_dim_type, cross_attention_dim=cross_attention_dim,
                                   encoder_hid_dim=encoder_hid_dim)
        self._set_class_embedding(
            class_embed_type, act_fn=act_fn, num_class_embeds=num_class_embeds,
            projection_class_embeddings_input_dim=projection_class_embeddings_input_dim,
            time_embed_dim=time_embed_dim, timestep_input_dim=timestep_input_dim,
        )
        self._set_add_embedding(
            addition_embed_type, addition_embed_type_num_heads=addition_embed_type_num_heads,
            addition_time_embed_dim=addition_time_embed_dim, cross_attention_dim=cross_attention_dim,
            encoder_hid_dim=encoder_hid_dim, flip_sin_to_cos=flip_sin_to_cos, freq_shift=freq_shift,
            projection_class_embeddings_input_dim=projection_class_embeddings_input_dim,
            time_embed_dim=time_embed_dim,
        )
        self.time_embed_act = None if time_embedding_act_fn is None else get_activation(time_embedding_act_fn)

        if isinstance(only_cross_attention, bool):
            if mid_block_only_cross_attention is None:
                mid_block_only_cross_attention = only_cross_attention
            only_cross_attention = (only_cross_attention,) * n_blocks
        mid_block_only_cross_attention = bool(mid_block_only_cross_attention)
        heads = _expand(num_attention_heads, n_blocks)
        cross_dims = _expand(cross_attention_dim, n_blocks)
        layers = _expand(layers_per_block, n_blocks)
        t_layers = _expand(transformer_layers_per_block, n_blocks)
        temb = time_embed_dim * 2 if class_embeddings_concat else time_embed_dim
        common = dict(
            temb_channels=temb, resnet_eps=norm_eps, resnet_act_fn=act_fn, resnet_groups=norm_num_groups,
            dual_cross_attention=dual_cross_attention, use_linear_projection=use_linear_projection,
            upcast_attention=upcast_attention, resnet_time_scale_shift=resnet_time_scale_shift,
            attention_type=attention_type, resnet_skip_time_act=resnet_skip_time_act,
            cross_attention_norm=cross_attention_norm, dropout=dropout,
        )

        self.down_blocks = nn.ModuleList()
        out_ch = block_out_channels[0]
        for i, block_type in enumerate(down_block_types):
            in_ch, out_ch = out_ch, block_out_channels[i]
            self.down_blocks.append(_block(
                diffusers_down_block, block_type, num_layers=layers[i],
                transformer_layers_per_block=t_layers[i], in_channels=in_ch, out_channels=out_ch,
                add_downsample=i < len(block_out_channels) - 1, cross_attention_dim=cross_dims[i],
                num_attention_heads=heads[i], downsample_padding=downsample_padding,
                only_cross_attention=only_cross_attention[i], resnet_out_scale_factor=resnet_out_scale_factor,
                attention_head_dim=heads[i] if heads[i] is not None else out_ch, **common,
            ))

        self.mid_block = _block(
            diffusers_mid_block, mid_block_type, in_channels=block_out_channels[-1],
            output_scale_factor=mid_block_scale_factor, transformer_layers_per_block=t_layers[-1],
            num_attention_heads=heads[-1], cross_attention_dim=cross_dims[-1],
            mid_block_only_cross_attention=mid_block_only_cross_attention, attention_head_dim=heads[-1], **common,
        )

        self.num_upsamplers = 0
        rev_channels = list(reversed(block_out_channels))
        rev_t_layers = (list(reversed(t_layers)) if reverse_transformer_layers_per_block is None
                        else list(reverse_transformer_layers_per_block))
        rev_only_cross = list(reversed(only_cross_attention))
        rev_heads, rev_cross, rev_layers = heads[::-1], cross_dims[::-1], layers[::-1]
        self.up_blocks = nn.ModuleList()
        out_ch = rev_channels[0]
        for i, block_type in enumerate(up_block_types):
            is_final = i == len(block_out_channels) - 1
            prev_ch, out_ch = out_ch, rev_channels[i]
            in_ch = rev_channels[min(i + 1, len(block_out_channels) - 1)]
            if not is_final:
                self.num_upsamplers += 1
            self.up_blocks.append(_block(
                diffusers_up_block, block_type, num_layers=rev_layers[i] + 1,
                transformer_layers_per_block=rev_t_layers[i], in_channels=in_ch, out_channels=out_ch,
                prev_output_channel=prev_ch, add_upsample=not is_final, resolution_idx=i,
                cross_attention_dim=rev_cross[i], num_attention_heads=rev_heads[i],
                only_cross_attention=rev_only_cross[i], resnet_out_scale_factor=resnet_out_scale_factor,
                attention_head_dim=rev_heads[i] if rev_heads[i] is not None else out_ch, **common,
            ))

        if norm_num_groups is not None:
            self.conv_norm_out: nn.GroupNorm | None = nn.GroupNorm(
                num_channels=block_out_channels[0], num_groups=norm_num_groups, eps=norm_eps)
            self.conv_act: nn.Module | None = get_activation(act_fn)
        else:
            self.conv_norm_out = None
            self.conv_act = None
        self.conv_out = nn.Conv2d(block_out_channels[0], out_channels, kernel_size=conv_out_kernel,
                                  padding=(conv_out_kernel - 1) // 2)
        self._set_pos_net_if_use_gligen(attention_type=attention_type, cross_attention_dim=cross_dims)

    # ------------------------------------------------------------------------------------------------ weights
    def _has_cross_frame_blocks(self) -> bool:
        blocks = [*self.config.down_block_types, *self.config.up_block_types, self.config.mid_block_type or ""]
        return any(b in CROSS_FRAME_BLOCKS for b in blocks)

    def get_tag_version(self) -> str | None:
        return self.config.get("tag_version")

    def init_weights(self) -> None:
        """Zero the last layer of every cross-frame FF and every group embedding's `linear`.

        After this the 3D UNet computes exactly what the 2D UNet it was converted from computes, whatever the
        frames: the training code calls it right after copying 2D weights in.
        """
        with torch.no_grad():
            for name, module in self.named_modules():
                if ".temporal_transformer_blocks." in name and name.endswith(".ff.net.2"):
                    for p in module.parameters():
                        p.zero_()
            for embeds in (self.group_embeds, self.group_embeds2):
                for e in embeds or ():
                    for p in e.get_submodule("linear").parameters():  # weight and bias
                        p.zero_()

    # ------------------------------------------------------------------------------------------------ forward
    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        added_cond_kwargs: dict[str, torch.Tensor] | None = None,
        group_index: int | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
        return_dict: bool = True,
        **unet_kwargs: Any,
    ) -> UNet2DConditionOutput | tuple[torch.Tensor]:
        """Predict the model output for every frame.

        Args:
            sample: `(B, F, in_channels, h, w)`. Layer UNet: `[noisy latent (4), source-image latent (4)]`;
                depth UNet: `[full-image latent (4), layer latent (4), noisy depth latent (4)]`.
            timestep: a scalar, `(B,)` (repeated over frames) or `(B, F)` / `(B·F,)` per-frame timesteps.
            encoder_hidden_states: per-frame token embeddings `(F, L, D)` (shared by the B samples),
                `(B·F, L, D)` or `(B, F, L, D)`; D = `cross_attention_dim`.
            added_cond_kwargs: SDXL micro-conditioning for `addition_embed_type="text_time"`:
                `text_embeds` pooled `(F | B·F | B×F, 1280)`, `time_ids` `(1 | F | B·F | B×F, 6)`.
            group_index: which `group_embeds[g]` pass this is (V3: 0 body, 13 frames; 1 head, 11 frames);
                required iff `config.group_embedding`.
            cross_attention_kwargs: forwarded to the attention processors.
            return_dict: return `UNet2DConditionOutput(sample=…)` instead of a 1-tuple.
            **unet_kwargs: any other `UNet2DConditionModel.forward` argument (class_labels, timestep_cond,
                attention masks, ControlNet/adapter residuals in the flattened `(B·F, …)` layout).

        Returns:
            `(B, F, out_channels, h, w)`.
        """
        if sample.ndim != 5:
            raise ValueError(f"sample must be (batch, frames, channels, h, w), got shape {tuple(sample.shape)}")
        batch, frames = sample.shape[:2]
        flat = sample.reshape(batch * frames, *sample.shape[2:])
        timestep = _per_frame_timestep(timestep, batch, frames, sample.device)
        ehs = _frames_view(encoder_hidden_states, batch, frames, "encoder_hidden_states")
        cond = dict(added_cond_kwargs or {})
        if "text_embeds" in cond:
            cond["text_embeds"] = _frames_view(cond["text_embeds"], batch, frames, "text_embeds")
        if "time_ids" in cond:
            cond["time_ids"] = _frames_view(cond["time_ids"], batch, frames, "time_ids")

        if self.config.group_embedding:
            pooled_embeds, token_embeds = self.group_embeds, self.group_embeds2
            if pooled_embeds is None or token_embeds is None:
                raise ValueError("the config says group_embedding but the UNet was built without group embeddings")
            if group_index is None:
                raise ValueError("this UNet has group embeddings: pass group_index (0 body pass, 1 head pass)")
            expected = self.config.group_embedding_num[group_index]
            if frames != expected:
                raise ValueError(f"group {group_index} expects {expected} frames (one per tag), got {frames}")
            ehs = ehs + token_embeds[group_index](ehs, per_token=True)
            if "text_embeds" in cond:
                te = cond["text_embeds"]
                cond["text_embeds"] = te + pooled_embeds[group_index](te, per_token=False)

        ehs = ehs.reshape(batch * frames, *ehs.shape[2:])
        for key in ("text_embeds", "time_ids"):
            if key in cond:
                cond[key] = cond[key].reshape(batch * frames, *cond[key].shape[2:])
        attention_kwargs = dict(cross_attention_kwargs or {})
        if self._has_cross_frame_blocks():  # plain 2-D attention (a stage-1 model) must not see the key
            attention_kwargs[NUM_FRAMES_KEY] = frames
        out = super().forward(
            flat, timestep, ehs, added_cond_kwargs=cond or None, cross_attention_kwargs=attention_kwargs,
            return_dict=False, **unet_kwargs,
        )[0]
        out = out.reshape(batch, frames, *out.shape[1:])
        if not return_dict:
            return (out,)
        return UNet2DConditionOutput(sample=out)


def _group_embed_dims(cross_attention_dim: Any, projection_dim: int | None,
                      time_embed_dim: int | None) -> tuple[int, int]:
    """(pooled text width, token width) the group embeddings act on: (1280, 2048) for the released SDXL model."""
    token_dim = cross_attention_dim if isinstance(cross_attention_dim, int) else cross_attention_dim[0]
    if projection_dim is None or time_embed_dim is None:
        raise ValueError("group embeddings need the SDXL text_time embedding (projection_class_embeddings_input_dim"
                         " and addition_time_embed_dim)")
    return projection_dim - N_TIME_IDS * time_embed_dim, token_dim


def _expand(value: Any, n: int) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value] * n


def _per_frame_timestep(timestep: torch.Tensor | float | int, batch: int, frames: int,
                        device: torch.device) -> torch.Tensor:
    t = timestep if torch.is_tensor(timestep) else torch.tensor(timestep, device=device)
    t = t.to(device)
    if t.numel() == 1:
        return t.reshape(1).expand(batch * frames)
    if t.numel() == batch and t.ndim <= 1:
        return t.reshape(batch).repeat_interleave(frames)
    if t.numel() == batch * frames:
        return t.reshape(batch * frames)
    raise ValueError(f"timestep of shape {tuple(t.shape)} fits neither batch={batch} nor frames={frames}")


def _frames_view(x: torch.Tensor, batch: int, frames: int, name: str) -> torch.Tensor:
    """Any per-frame conditioning as `(B, F, …)`: accepts `(1 | F | B·F, …)` or `(B, F, …)`."""
    lead = x.shape[0]
    if x.ndim >= 3 and lead == batch and x.shape[1] == frames and name != "encoder_hidden_states":
        return x
    if name == "encoder_hidden_states" and x.ndim == 4:
        if x.shape[:2] != (batch, frames):
            raise ValueError(f"{name} of shape {tuple(x.shape)} is not (batch={batch}, frames={frames}, L, D)")
        return x
    if lead == batch * frames:
        return x.reshape(batch, frames, *x.shape[1:])
    if lead == frames:
        return x[None].expand(batch, *x.shape)
    if lead == 1:
        return x[None].expand(batch, frames, *x.shape[1:])
    raise ValueError(f"{name} has {lead} rows; expected 1, frames={frames} or batch·frames={batch * frames}")
