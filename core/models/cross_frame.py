"""Cross-frame ("Body Part Consistency Module") attention and the UNet blocks that carry it.

The See-through layer and depth UNets treat the body-part layers of one image as the frames of a video: every
attention module of the UNet is a diffusers `Transformer2DModel` (spatial self-attention + cross-attention to
the per-layer tag prompt) with extra `temporal_transformer_blocks` that attend *across the frames at each pixel*.
Module names and nesting follow the authors' code so the released state dicts load without renaming.

The frame count travels to the attention modules inside `cross_attention_kwargs["num_frames"]`; that lets the
diffusers block `forward`s (and `UNet2DConditionModel.forward`) be reused unchanged. Hidden states are always
laid out frame-major, i.e. `(B·F, C, H, W)` with the F frames of one sample consecutive.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from diffusers.models.modeling_outputs import Transformer2DModelOutput
from diffusers.models.resnet import Downsample2D, ResnetBlock2D, Upsample2D
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.models.unets.unet_2d_blocks import CrossAttnDownBlock2D, CrossAttnUpBlock2D, UNetMidBlock2DCrossAttn
from torch import nn

NUM_FRAMES_KEY = "num_frames"
#: largest batch (pixels × samples) handed to one attention call in a cross-frame block
MAX_ATTENTION_BATCH = 32768


class CrossFrameTransformerBlock(nn.Module):
    """Self-attention across the F frames at every spatial position (no positional embedding over frames).

    Input and output are `(B·F, HW, C)`. Internally the tokens are regrouped to `(B·HW, F, C)`:
    `norm_in → ff_in (GEGLU) + residual`, `norm1 → attn1 (frames attend to frames) + residual`, `norm3 → ff`.
    Only the final feed-forward output is returned: the caller adds it to its hidden states as a residual, so a
    zero-initialised `ff.net.2` makes the whole block an exact no-op (how a 2D UNet is converted to 3D).
    """

    def __init__(self, dim: int, num_attention_heads: int, attention_head_dim: int) -> None:
        super().__init__()
        self.norm_in = nn.LayerNorm(dim)
        self.ff_in = FeedForward(dim, dim_out=dim, activation_fn="geglu")
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(query_dim=dim, heads=num_attention_heads, dim_head=attention_head_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, activation_fn="geglu")

    def forward(self, hidden_states: torch.Tensor, num_frames: int) -> torch.Tensor:
        batch_frames, seq_len, channels = hidden_states.shape
        if batch_frames % num_frames:
            raise ValueError(f"batch·frames = {batch_frames} is not a multiple of num_frames = {num_frames}")
        batch = batch_frames // num_frames
        x = hidden_states.reshape(batch, num_frames, seq_len, channels).permute(0, 2, 1, 3)
        x = x.reshape(batch * seq_len, num_frames, channels)

        x = self.ff_in(self.norm_in(x)) + x
        x = self._attend(self.norm1(x)) + x
        x = self.ff(self.norm3(x))

        x = x.reshape(batch, seq_len, num_frames, channels).permute(0, 2, 1, 3)
        return x.reshape(batch_frames, seq_len, channels)


    def _attend(self, x: torch.Tensor) -> torch.Tensor:
        """attn1 over `(B·HW, F, C)`, split along B·HW: CUDA SDPA kernels reject batches of 65536 or more
        (large canvases reach that), and every pixel's sequence is independent, so the result is identical."""
        if x.shape[0] <= MAX_ATTENTION_BATCH:
            return self.attn1(x)
        return torch.cat([self.attn1(chunk) for chunk in x.split(MAX_ATTENTION_BATCH)])


def temporal_block_stride(num_layers: int) -> int:
    """One cross-frame block after every spatial block in small modules, after every second one from 3 layers."""
    return 1 if num_layers < 3 else 2


class Transformer3DModel(Transformer2DModel):
    """diffusers' `Transformer2DModel` (continuous input) plus cross-frame blocks interleaved with its blocks.

    `temporal_transformer_blocks[k]` runs after spatial block `i` when `(i + 1) % stride == 0`, and its output is
    added residually. `forward(hidden_states (B·F, C, H, W), encoder_hidden_states (B·F, L, D),
    cross_attention_kwargs={"num_frames": F, ...})`.
    """

    _no_split_modules = ["BasicTransformerBlock", "CrossFrameTransformerBlock"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_input_continuous:
            raise ValueError("Transformer3DModel supports only continuous (latent image) input")
        self.temporal_block_stride = temporal_block_stride(self.config.num_layers)
        self.temporal_transformer_blocks = nn.ModuleList(
            CrossFrameTransformerBlock(self.inner_dim, self.config.num_attention_heads, self.config.attention_head_dim)
            for i in range(self.config.num_layers)
            if (i + 1) % self.temporal_block_stride == 0
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        timestep: torch.LongTensor | None = None,
        added_cond_kwargs: dict[str, torch.Tensor] | None = None,
        class_labels: torch.LongTensor | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        return_dict: bool = True,
        num_frames: int | None = None,
    ) -> Transformer2DModelOutput | tuple[torch.Tensor]:
        kwargs = dict(cross_attention_kwargs or {})
        frames = kwargs.pop(NUM_FRAMES_KEY, None)
        num_frames = int(num_frames or frames or 1)
        if attention_mask is not None and attention_mask.ndim == 2:
            attention_mask = ((1 - attention_mask.to(hidden_states.dtype)) * -10000.0).unsqueeze(1)
        if encoder_attention_mask is not None and encoder_attention_mask.ndim == 2:
            encoder_attention_mask = ((1 - encoder_attention_mask.to(hidden_states.dtype)) * -10000.0).unsqueeze(1)

        batch_size, _, height, width = hidden_states.shape
        residual = hidden_states
        hidden_states, inner_dim = self._operate_on_continuous_inputs(hidden_states)

        checkpointing = torch.is_grad_enabled() and self.gradient_checkpointing
        temporal = iter(self.temporal_transformer_blocks)
        for i, block in enumerate(self.transformer_blocks):
            block_args = (hidden_states, attention_mask, encoder_hidden_states, encoder_attention_mask, timestep,
                          kwargs, class_labels)
            if checkpointing:
                hidden_states = self._gradient_checkpointing_func(block, *block_args)
            else:
                hidden_states = block(*block_args)
            if (i + 1) % self.temporal_block_stride == 0:
                cross_frame = next(temporal)
                if checkpointing:
                    mixed = self._gradient_checkpointing_func(cross_frame, hidden_states, num_frames)
                else:
                    mixed = cross_frame(hidden_states, num_frames)
                hidden_states = hidden_states + mixed

        output = self._get_output_for_continuous_inputs(hidden_states, residual, batch_size, height, width, inner_dim)
        if not return_dict:
            return (output,)
        return Transformer2DModelOutput(sample=output)


def _attention(out_channels: int, heads: int, layers: int, cross_attention_dim: int, groups: int,
               use_linear_projection: bool, only_cross_attention: bool, upcast_attention: bool,
               attention_type: str) -> Transformer3DModel:
    return Transformer3DModel(
        heads,
        out_channels // heads,
        in_channels=out_channels,
        num_layers=layers,
        cross_attention_dim=cross_attention_dim,
        norm_num_groups=groups,
        use_linear_projection=use_linear_projection,
        only_cross_attention=only_cross_attention,
        upcast_attention=upcast_attention,
        attention_type=attention_type,
    )


def _per_layer(value: int | tuple[int, ...] | list[int], num_layers: int) -> list[int]:
    return [value] * num_layers if isinstance(value, int) else list(value)


class CrossFrameAttnDownBlock(CrossAttnDownBlock2D):
    """`CrossAttnDownBlock2D` whose attentions are `Transformer3DModel`s (forward inherited from diffusers)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        temb_channels: int,
        dropout: float = 0.0,
        num_layers: int = 1,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        resnet_eps: float = 1e-6,
        resnet_time_scale_shift: str = "default",
        resnet_act_fn: str = "swish",
        resnet_groups: int = 32,
        resnet_pre_norm: bool = True,
        num_attention_heads: int = 1,
        cross_attention_dim: int = 1280,
        output_scale_factor: float = 1.0,
        downsample_padding: int = 1,
        add_downsample: bool = True,
        use_linear_projection: bool = False,
        only_cross_attention: bool = False,
        upcast_attention: bool = False,
        attention_type: str = "default",
        **_unused: Any,
    ) -> None:
        nn.Module.__init__(self)
        self.has_cross_attention = True
        self.num_attention_heads = num_attention_heads
        layers = _per_layer(transformer_layers_per_block, num_layers)
        self.resnets = nn.ModuleList(
            ResnetBlock2D(
                in_channels=in_channels if i == 0 else out_channels, out_channels=out_channels,
                temb_channels=temb_channels, eps=resnet_eps, groups=resnet_groups, dropout=dropout,
                time_embedding_norm=resnet_time_scale_shift, non_linearity=resnet_act_fn,
                output_scale_factor=output_scale_factor, pre_norm=resnet_pre_norm,
            )
            for i in range(num_layers)
        )
        self.attentions = nn.ModuleList(
            _attention(out_channels, num_attention_heads, layers[i], cross_attention_dim, resnet_groups,
                       use_linear_projection, only_cross_attention, upcast_attention, attention_type)
            for i in range(num_layers)
        )
        self.downsamplers = (
            nn.ModuleList([Downsample2D(out_channels, use_conv=True, out_channels=out_channels,
                                        padding=downsample_padding, name="op")])
            if add_downsample else None
        )
        self.gradient_checkpointing = False


class UNetMidBlockCrossFrameAttn(UNetMidBlock2DCrossAttn):
    """`UNetMidBlock2DCrossAttn` whose attentions are `Transformer3DModel`s (forward inherited from diffusers)."""

    def __init__(
        self,
        in_channels: int,
        temb_channels: int,
        out_channels: int | None = None,
        dropout: float = 0.0,
        num_layers: int = 1,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        resnet_eps: float = 1e-6,
        resnet_time_scale_shift: str = "default",
        resnet_act_fn: str = "swish",
        resnet_groups: int | None = 32,
        resnet_groups_out: int | None = None,
        resnet_pre_norm: bool = True,
        num_attention_heads: int = 1,
        output_scale_factor: float = 1.0,
        cross_attention_dim: int = 1280,
        use_linear_projection: bool = False,
        upcast_attention: bool = False,
        attention_type: str = "default",
        **_unused: Any,
    ) -> None:
        nn.Module.__init__(self)
        out_channels = out_channels or in_channels
        self.in_channels, self.out_channels = in_channels, out_channels
        self.has_cross_attention = True
        self.num_attention_heads = num_attention_heads
        groups = resnet_groups if resnet_groups is not None else min(in_channels // 4, 32)
        groups_out = resnet_groups_out or groups
        layers = _per_layer(transformer_layers_per_block, num_layers)

        def resnet(cin: int, g: int, g_out: int | None) -> ResnetBlock2D:
            return ResnetBlock2D(
                in_channels=cin, out_channels=out_channels, temb_channels=temb_channels, eps=resnet_eps, groups=g,
                groups_out=g_out, dropout=dropout, time_embedding_norm=resnet_time_scale_shift,
                non_linearity=resnet_act_fn, output_scale_factor=output_scale_factor, pre_norm=resnet_pre_norm,
            )

        self.resnets = nn.ModuleList(
            [resnet(in_channels, groups, groups_out)] + [resnet(out_channels, groups_out, None) for _ in layers]
        )
        self.attentions = nn.ModuleList(
            _attention(out_channels, num_attention_heads, n, cross_attention_dim, groups_out,
                       use_linear_projection, False, upcast_attention, attention_type)
            for n in layers
        )
        self.gradient_checkpointing = False


class CrossFrameAttnUpBlock(CrossAttnUpBlock2D):
    """`CrossAttnUpBlock2D` whose attentions are `Transformer3DModel`s (forward inherited from diffusers)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        prev_output_channel: int,
        temb_channels: int,
        resolution_idx: int | None = None,
        dropout: float = 0.0,
        num_layers: int = 1,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        resnet_eps: float = 1e-6,
        resnet_time_scale_shift: str = "default",
        resnet_act_fn: str = "swish",
        resnet_groups: int = 32,
        resnet_pre_norm: bool = True,
        num_attention_heads: int = 1,
        cross_attention_dim: int = 1280,
        output_scale_factor: float = 1.0,
        add_upsample: bool = True,
        use_linear_projection: bool = False,
        only_cross_attention: bool = False,
        upcast_attention: bool = False,
        attention_type: str = "default",
        **_unused: Any,
    ) -> None:
        nn.Module.__init__(self)
        self.has_cross_attention = True
        self.num_attention_heads = num_attention_heads
        layers = _per_layer(transformer_layers_per_block, num_layers)
        resnets = []
        for i in range(num_layers):
            skip = in_channels if i == num_layers - 1 else out_channels
            cin = prev_output_channel if i == 0 else out_channels
            resnets.append(ResnetBlock2D(
                in_channels=cin + skip, out_channels=out_channels, temb_channels=temb_channels, eps=resnet_eps,
                groups=resnet_groups, dropout=dropout, time_embedding_norm=resnet_time_scale_shift,
                non_linearity=resnet_act_fn, output_scale_factor=output_scale_factor, pre_norm=resnet_pre_norm,
            ))
        self.resnets = nn.ModuleList(resnets)
        self.attentions = nn.ModuleList(
            _attention(out_channels, num_attention_heads, layers[i], cross_attention_dim, resnet_groups,
                       use_linear_projection, only_cross_attention, upcast_attention, attention_type)
            for i in range(num_layers)
        )
        upsampler = Upsample2D(out_channels, use_conv=True, out_channels=out_channels)
        self.upsamplers = nn.ModuleList([upsampler]) if add_upsample else None
        self.gradient_checkpointing = False
        self.resolution_idx = resolution_idx


CROSS_FRAME_BLOCKS: dict[str, type[nn.Module]] = {
    "CrossFrameAttnDownBlock": CrossFrameAttnDownBlock,
    "UNetMidBlockCrossFrameAttn": UNetMidBlockCrossFrameAttn,
    "CrossFrameAttnUpBlock": CrossFrameAttnUpBlock,
}
