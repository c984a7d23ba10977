"""The models the profile compares, built on the same frozen 2D UNet and fed the same shapes: the floor (the
frozen 2D UNet on every frame, which SimDA cannot beat because it runs that network plus its adapters), SimDA
and each ablation variant, and diffusers' AnimateDiff and ModelScope UNets.

Every model has random weights unless ``--base`` gives real ones for the 2D UNet (the peers stay
random either way): speed does not depend on weight values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import MotionAdapter, UNet2DConditionModel, UNet3DConditionModel, UNetMotionModel
from torch import nn

from simda.model.base import SD15_UNET, TINY_UNET, BaseModel, build_sd15, build_tiny, load_stable_diffusion
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.settings import PAPER, TINY, ProfileSettings
from simda.sr.upscaler import UpscalerBase, build_tiny_upscaler, build_x4_upscaler


def as_3d(unet2d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A 2D UNet config with its blocks made 3D (diffusers' ``UNet3DConditionModel`` block names)."""
    blocks = {key: [name.replace("2D", "3D") for name in unet2d[key]] for key in ("down_block_types", "up_block_types")}
    return {**unet2d, **blocks, **changes}


# damo-vilab/text-to-video-ms-1.7b's published UNet config: SD 1.5's levels in 3D, with wider heads and an
# OpenCLIP ViT-H text encoder (1024-d).
MODELSCOPE_UNET = as_3d(SD15_UNET, sample_size=32, attention_head_dim=64, cross_attention_dim=1024)
TINY_MODELSCOPE_UNET = as_3d(TINY_UNET)
# AnimateDiff's motion modules must match the 2D UNet's blocks; at SD 1.5 size that is MotionAdapter's default.
TINY_MOTION_ADAPTER: dict[str, Any] = {
    "block_out_channels": TINY_UNET["block_out_channels"],
    "motion_layers_per_block": TINY_UNET["layers_per_block"],
    "motion_num_attention_heads": 4,
    "motion_norm_num_groups": TINY_UNET["norm_num_groups"],
}

FLOOR = "2d_floor"
FULL = "simda"
# Each ablation variant switches parts off the full model (SimDAConfig.without names).
ABLATIONS: dict[str, tuple[str, ...]] = {
    FULL: (),
    **{f"simda_no_{part}": (part,) for part in ("lsa", "ta", "aa", "fa", "sa")},
}
# The image model frame by frame, as a SimDAUNet (zero-init invariant), so the pipeline can run it.
IMAGE_MODEL_PER_FRAME = SimDAConfig(clip_groupnorm=False).without("ta", "sa", "lsa")


@dataclass(frozen=True)
class ModelSize:
    """Model sizes, and the shapes and repeat counts that suit them (from :mod:`simda.settings`)."""

    name: str
    random_base: Callable[..., BaseModel]  # a random-weight builder of simda.model.base, given device= and dtype=
    motion_adapter: dict[str, Any]
    modelscope_unet: dict[str, Any]
    shapes: ProfileSettings
    #: The image upscaler of the super-resolution stage, random weights at this size (given device= and dtype=).
    random_upscaler: Callable[..., UpscalerBase]

    def build_base(self, device: torch.device, dtype: torch.dtype) -> BaseModel:
        return self.random_base(device=device, dtype=dtype)

    def build_upscaler(self, device: torch.device, dtype: torch.dtype) -> UpscalerBase:
        return self.random_upscaler(device=device, dtype=dtype)


MODEL_SIZES: dict[str, ModelSize] = {
    "sd15": ModelSize("sd15", build_sd15, {}, MODELSCOPE_UNET, PAPER.profile, build_x4_upscaler),
    "tiny": ModelSize("tiny", build_tiny, TINY_MOTION_ADAPTER, TINY_MODELSCOPE_UNET, TINY.profile, build_tiny_upscaler),
}


@dataclass(frozen=True)
class Contender:
    """A model in the race, and how it wants its inputs.

    ``context_dim``: width of its text embedding (ModelScope's OpenCLIP is wider than SD's CLIP).
    ``fold_frames``: takes ``(b f, c, h, w)`` rather than ``(b, c, f, h, w)`` (the 2D UNet).
    ``context_per_frame``: takes the text embedding once per frame (the 2D UNet, and diffusers'
    motion UNet, whose pipeline repeats it) rather than once per clip.
    """

    name: str
    model: nn.Module
    context_dim: int
    fold_frames: bool = False
    context_per_frame: bool = False


def build_base(model_size: ModelSize, base_path: Path | None, device: torch.device, dtype: torch.dtype) -> BaseModel:
    """The random-weight base of this size, or a local Stable Diffusion folder when one is given."""
    if base_path is not None:
        return load_stable_diffusion(base_path, device, dtype, "--base")
    return model_size.build_base(device, dtype)


def simda_variants(unet2d: UNet2DConditionModel) -> dict[str, SimDAUNet]:
    """The full model and each ablation, each on its own copy of the frozen 2D UNet (``SimDAUNet`` wraps the
    modules of the UNet it is given in place, so sharing one would stack adapters)."""
    return {
        name: SimDAUNet(copy.deepcopy(unet2d), SimDAConfig().without(*parts)).eval()
        for name, parts in ABLATIONS.items()
    }


def image_model_per_frame(unet2d: UNet2DConditionModel) -> SimDAUNet:
    """The 2D UNet frame by frame behind SimDA's interface, for the floor's whole-video time."""
    return SimDAUNet(copy.deepcopy(unet2d), IMAGE_MODEL_PER_FRAME).eval()


def animatediff(unet2d: UNet2DConditionModel, model_size: ModelSize) -> UNetMotionModel:
    """diffusers' AnimateDiff motion UNet: the same 2D UNet's weights plus random motion modules (sized above)."""
    with torch.device(unet2d.device):
        model = UNetMotionModel.from_unet2d(unet2d, MotionAdapter(**model_size.motion_adapter))
    return model.to(dtype=unet2d.dtype).requires_grad_(False).eval()


def modelscope(model_size: ModelSize, device: torch.device, dtype: torch.dtype) -> UNet3DConditionModel:
    """diffusers' ModelScope text-to-video UNet with random weights."""
    with torch.device(device):
        model = UNet3DConditionModel(**model_size.modelscope_unet)
    return model.to(dtype=dtype).requires_grad_(False).eval()


def text_width(unet2d: UNet2DConditionModel) -> int:
    return int(unet2d.config.cross_attention_dim)


def floor_contender(unet2d: UNet2DConditionModel) -> Contender:
    return Contender(FLOOR, unet2d, text_width(unet2d), fold_frames=True, context_per_frame=True)


def simda_contender(name: str, model: SimDAUNet) -> Contender:
    return Contender(name, model, text_width(model.unet))


def inference_contenders(
    unet2d: UNet2DConditionModel, variants: dict[str, SimDAUNet], model_size: ModelSize
) -> list[Contender]:
    """The floor first, then SimDA, the two peers and the ablations: the order of each timing round."""
    ablations = [simda_contender(name, model) for name, model in variants.items() if name != FULL]
    return [
        floor_contender(unet2d),
        simda_contender(FULL, variants[FULL]),
        Contender("animatediff", animatediff(unet2d, model_size), text_width(unet2d), context_per_frame=True),
        Contender(
            "modelscope",
            modelscope(model_size, unet2d.device, unet2d.dtype),
            model_size.modelscope_unet["cross_attention_dim"],
        ),
        *ablations,
    ]
