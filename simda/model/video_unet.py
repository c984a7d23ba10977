"""The SimDA video UNet: diffusers' unmodified ``UNet2DConditionModel`` adapted, not forked.

Frames fold into the batch (``(b f) c h w``), which is the paper's inflated per-frame 2D
convolution; the SimDA parts are wrappers and an attention processor placed at the seams the
2D model already has:

* temporal adapter: runs on a transformer's input, i.e. after each ResNet and before each
  transformer of every block that has attention (down, mid and up);
* attention adapter: in series on every self-attention output, inside the residual (blocks
  whose ``attn1`` is a cross-attention, as in the x4 upscaler, have none there, and no LSA);
* FFN adapter: in parallel with every feed-forward, fed the un-normalised input;
* latent-shift attention: the processor of every self-attention (``attn1``);
* clip-wide GroupNorm: ResNet norms (and the output norm) take statistics over all frames, as
  the released code's norms on 5-D tensors do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from diffusers import UNet2DConditionModel
from diffusers.models.attention import BasicTransformerBlock
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from torch import nn

from simda.model.adapters import ADAPTER_TYPES, SpatialAdapter, TemporalAdapter
from simda.model.config import SimDAConfig
from simda.model.frames import FrameLayout, checkpoint_in_layout, current_layout, frame_layout, split_frames
from simda.model.latent_shift import LatentShiftAttnProcessor


class ClipGroupNorm(nn.GroupNorm):
    """GroupNorm whose statistics span every frame of a clip rather than one frame.

    It takes over the original norm's parameters, so the base model's tensor names are kept.
    """

    @classmethod
    def replacing(cls, norm: nn.GroupNorm) -> ClipGroupNorm:
        clip_norm = cls(norm.num_groups, norm.num_channels, norm.eps, norm.affine, device="meta")
        clip_norm.weight, clip_norm.bias = norm.weight, norm.bias
        return clip_norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames = split_frames(x)
        clip = x.view(batch, frames, *x.shape[1:]).transpose(1, 2)  # (b, c, f, h, w)
        out = F.group_norm(clip, self.num_groups, self.weight, self.bias, self.eps)
        return out.transpose(1, 2).reshape(x.shape)


class VideoTransformer(nn.Module):
    """A diffusers transformer that knows its token grid, preceded by the temporal adapter."""

    def __init__(self, transformer: Transformer2DModel, temporal_adapter: TemporalAdapter | None) -> None:
        super().__init__()
        self.transformer = transformer
        self.temporal_adapter = temporal_adapter

    def forward(self, hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if self.temporal_adapter is not None:
            hidden_states = self.temporal_adapter(hidden_states)
        height, width = hidden_states.shape[-2:]
        with frame_layout(dataclasses.replace(current_layout(), height=height, width=width)):  # this map's token grid
            return self.transformer(hidden_states, *args, **kwargs)


class AdaptedSelfAttention(nn.Module):
    """``A(attn1(norm1(x)))``: the attention adapter in series on the self-attention output."""

    def __init__(self, attention: nn.Module, adapter: SpatialAdapter) -> None:
        super().__init__()
        self.attention = attention
        self.adapter = adapter

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.adapter(self.attention(*args, **kwargs))


class NormedInput(NamedTuple):
    """The normalised tensor the feed-forward reads, and the raw one the FFN adapter reads."""

    normed: torch.Tensor
    input: torch.Tensor


class NormKeepingInput(nn.Module):
    """LayerNorm that also passes its input on, as a :class:`NormedInput` pair: diffusers' block hands the
    feed-forward only what ``norm3`` returns, but the FFN adapter reads the un-normalised input. Both travel through
    the seam (no forked block, no tensors stashed between modules) as a pair, since a concatenation, then a split,
    copied both tensors in every transformer block for nothing."""

    def __init__(self, norm: nn.Module) -> None:
        super().__init__()
        self.norm = norm

    def forward(self, x: torch.Tensor) -> NormedInput:
        return NormedInput(self.norm(x), x)


class FeedForwardWithAdapter(nn.Module):
    """``ff(norm3(x)) + up(gelu(down(x)))``: the FFN adapter in parallel with the feed-forward."""

    def __init__(self, feed_forward: nn.Module, adapter: SpatialAdapter) -> None:
        super().__init__()
        self.feed_forward = feed_forward
        self.adapter = adapter

    def forward(self, normed_and_input: NormedInput, *args: Any, **kwargs: Any) -> torch.Tensor:
        if not isinstance(normed_and_input, NormedInput):
            raise TypeError(
                "the FFN adapter needs NormKeepingInput's pair; diffusers' feed-forward chunking "
                "(enable_forward_chunking) splits it and is not supported with SimDA's FFN adapter"
            )
        return self.feed_forward(normed_and_input.normed, *args, **kwargs) + self.adapter(normed_and_input.input)


def _attention_blocks(unet: UNet2DConditionModel) -> Iterator[nn.Module]:
    yield from unet.down_blocks
    if unet.mid_block is not None:
        yield unet.mid_block
    yield from unet.up_blocks


def _adapt_transformer_block(block: BasicTransformerBlock, config: SimDAConfig) -> None:
    """Place the spatial parts in one transformer block.

    In an ``only_cross_attention`` block (three of the x4 upscaler's levels) ``attn1`` attends to
    the text, not to the frame: there is no self-attention to shift or to adapt, and SimDA puts
    no adapter on cross-attention, so only the FFN adapter goes in.
    """
    if block.norm_type != "layer_norm":
        raise NotImplementedError(
            f"SimDA adapts Stable Diffusion's layer-norm transformer blocks; got norm_type={block.norm_type!r}"
        )
    dim = block.norm1.normalized_shape[0]
    if config.latent_shift and not block.only_cross_attention:
        block.attn1.set_processor(LatentShiftAttnProcessor(config.lsa_form, base=block.attn1.processor))
    if config.attention_adapter and not block.only_cross_attention:
        block.attn1 = AdaptedSelfAttention(block.attn1, SpatialAdapter(dim, config.spatial_ratio, residual=True))
    if config.ffn_adapter:
        block.norm3 = NormKeepingInput(block.norm3)
        block.ff = FeedForwardWithAdapter(block.ff, SpatialAdapter(dim, config.spatial_ratio, residual=False))


def install_simda(unet: UNet2DConditionModel, config: SimDAConfig) -> None:
    """Freeze ``unet`` and place the parts ``config`` switches on; build nothing that is off."""
    unet.requires_grad_(False)
    with torch.device(unet.device):
        for block in _attention_blocks(unet):
            if config.clip_groupnorm:
                for resnet in block.resnets:
                    resnet.norm1 = ClipGroupNorm.replacing(resnet.norm1)
                    resnet.norm2 = ClipGroupNorm.replacing(resnet.norm2)
            for index, transformer in enumerate(getattr(block, "attentions", None) or []):
                if not isinstance(transformer, Transformer2DModel):
                    raise NotImplementedError(
                        f"{type(block).__name__} holds {type(transformer).__name__}, not a transformer"
                    )
                for transformer_block in transformer.transformer_blocks:
                    _adapt_transformer_block(transformer_block, config)
                adapter = None
                if config.temporal_adapter:
                    channels = transformer.config.in_channels
                    adapter = TemporalAdapter(channels, config.temporal_ratio, config.temporal_kernel)
                block.attentions[index] = VideoTransformer(transformer, adapter)
        if config.clip_groupnorm and isinstance(unet.conv_norm_out, nn.GroupNorm):
            unet.conv_norm_out = ClipGroupNorm.replacing(unet.conv_norm_out)
    for module in unet.modules():
        if isinstance(module, ADAPTER_TYPES):
            module.to(dtype=unet.dtype).requires_grad_(True)


def base_kind_of(unet_config: Mapping[str, Any]) -> str:
    """Which stage a base UNet config belongs to: the x4 upscaler takes conditioning channels and a
    noise-level class label, the text-to-video base neither."""
    conditioned = unet_config["in_channels"] != unet_config["out_channels"] and unet_config.get("num_class_embeds")
    return "x4-upscaler" if conditioned else "text-to-video"


#: Each wrapper SimDA places around a diffusers module, and the attribute holding that module: the
#: wrapper adds one level to the wrapped module's tensor names, which :meth:`SimDAUNet.unadapted` removes.
WRAPPED_ATTRIBUTE: dict[type[nn.Module], str] = {
    VideoTransformer: "transformer",
    AdaptedSelfAttention: "attention",
    NormKeepingInput: "norm",
    FeedForwardWithAdapter: "feed_forward",
}


class SimDAUNet(nn.Module):
    """Denoises a clip ``(b, c, f, h, w)`` with a frozen 2D UNet and trainable SimDA adapters."""

    def __init__(self, unet: UNet2DConditionModel, config: SimDAConfig | None = None, seed: int = 0) -> None:
        """Adapt ``unet`` in place; adapter initialisation depends on ``seed`` alone, not on global RNG state."""
        super().__init__()
        self.config = config or SimDAConfig()
        cuda_devices = [unet.device] if unet.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            install_simda(unet, self.config)
        self.unet = unet

    @property
    def device(self) -> torch.device:
        return self.unet.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    @property
    def base_kind(self) -> str:
        """Its UNet's stage (:func:`base_kind_of`); checkpoints record it, so one stage refuses the other's adapters."""
        return base_kind_of(self.unet.config)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        class_labels: torch.Tensor | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
    ) -> torch.Tensor:
        """Predict the noise (or v) of every frame of ``sample`` ``(b, c, f, h, w)``; the frame count is read per call.

        For the upscaler, ``c`` holds the noisy latents and the low-resolution frames concatenated
        frame by frame, and the output has the UNet's ``out_channels``. ``timestep`` (one, or one per
        clip), the text ``(b, tokens, dim)`` and ``class_labels`` (the upscaler's noise level, one per
        clip) are shared by a clip's frames; ``cross_attention_kwargs`` reach every attention processor,
        as in diffusers' UNet (e.g. ``{"scale": 0.5}`` for a LoRA loaded into the base).
        """
        if sample.ndim != 5:
            raise ValueError(f"SimDAUNet takes latents shaped (b, c, f, h, w), got {tuple(sample.shape)}")
        batch, channels, frames, height, width = sample.shape
        folded = sample.transpose(1, 2).reshape(batch * frames, channels, height, width)
        timestep = torch.as_tensor(timestep, device=sample.device)
        if timestep.ndim == 1:
            timestep = timestep.repeat_interleave(frames)
        context = encoder_hidden_states.repeat_interleave(frames, dim=0)
        if class_labels is not None:
            labels = torch.as_tensor(class_labels, device=sample.device).reshape(-1)
            class_labels = labels.expand(batch).repeat_interleave(frames)
        with frame_layout(FrameLayout(frames)):
            out = self.unet(
                folded,
                timestep,
                context,
                class_labels=class_labels,
                cross_attention_kwargs=cross_attention_kwargs,
                return_dict=False,
            )[0]
        return out.view(batch, frames, -1, height, width).transpose(1, 2)

    def enable_gradient_checkpointing(self) -> None:
        """Checkpoint the base's ResNets and transformer blocks; adapters keep their gradients."""
        self.unet.enable_gradient_checkpointing(checkpoint_in_layout)

    def adapter_named_parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        """Every adapter parameter, named as in ``self.unet``; the only tensors SimDA trains."""
        for name, module in self.unet.named_modules():
            if isinstance(module, ADAPTER_TYPES):
                for param_name, param in module.named_parameters():
                    yield f"{name}.{param_name}", param

    def adapter_parameters(self) -> list[nn.Parameter]:
        return [param for _, param in self.adapter_named_parameters()]

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        return {name: param.detach() for name, param in self.adapter_named_parameters()}

    def base_state_dict(self) -> dict[str, torch.Tensor]:
        """The frozen base's tensors under the names diffusers' own ``UNet2DConditionModel`` gives them.

        The adapters are left out, and each wrapper's extra level (``attn1.attention.to_q`` ->
        ``attn1.to_q``) is removed, deepest wrapper first, so nested wrappers unwind too.
        """
        adapter_names = {name for name, _ in self.adapter_named_parameters()}
        wrappers = [
            (f"{path}.{WRAPPED_ATTRIBUTE[type(module)]}.", f"{path}.")
            for path, module in self.unet.named_modules()
            if type(module) in WRAPPED_ATTRIBUTE
        ]
        wrappers.sort(key=lambda pair: -pair[0].count("."))
        tensors = {}
        for name, tensor in self.unet.state_dict().items():
            if name in adapter_names:
                continue
            for inner, outer in wrappers:
                if name.startswith(inner):
                    name = outer + name[len(inner) :]
            tensors[name] = tensor
        return tensors

    def unadapted(self) -> UNet2DConditionModel:
        """The frozen base as diffusers' ``UNet2DConditionModel``, sharing this model's tensors (no copy).

        What ``SimDAPipeline.save_pretrained`` writes as ``unet/``: any diffusers code reads it back.
        """
        with torch.device("meta"):
            base = UNet2DConditionModel.from_config(self.unet.config)
        base.load_state_dict(self.base_state_dict(), strict=True, assign=True)
        return base.requires_grad_(False).eval()
