"""Frames as vbench 0.1.5 feeds them to its networks, and the frame-pair consistency both consistency
dimensions share.

vbench reads a video with decord into uint8 and wraps it with ``torch.Tensor(frames)``, which makes
float32 ``[T, 3, H, W]`` pixels in 0..255; its transforms (``vbench/utils.py``: ``clip_transform``,
``dino_transform``) resize those float pixels without rounding back to uint8, then divide by 255
and normalise. We start from the same float pixels and call the same torchvision resize, so the
network inputs are the same numbers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from metrics.vbench.dimension import DimensionState


def float_pixels(frames: torch.Tensor) -> torch.Tensor:
    """uint8 ``[T, H, W, 3]`` -> float32 ``[T, 3, H, W]`` in 0..255 (vbench's ``load_video``)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != torch.uint8:
        raise ValueError(f"expected uint8 frames [T, H, W, 3], got {frames.dtype} {tuple(frames.shape)}")
    return frames.permute(0, 3, 1, 2).float()


def replicate_pad(frames: torch.Tensor, divisor: int) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Pad [N, C, H, W] by edge replication to multiples of ``divisor``, split evenly (extra on the far side)."""
    height, width = frames.shape[-2:]
    extra_h, extra_w = -height % divisor, -width % divisor
    pad = (extra_w // 2, extra_w - extra_w // 2, extra_h // 2, extra_h - extra_h // 2)
    return F.pad(frames, pad, mode="replicate"), pad


def clip_pixels(frames: torch.Tensor, size: int = 224) -> torch.Tensor:
    """vbench's ``clip_transform(size)``: bicubic resize of the short side (no antialias), centre crop,
    /255, CLIP's mean and std."""
    pixels = TF.resize(float_pixels(frames), size, interpolation=InterpolationMode.BICUBIC, antialias=False)
    pixels = TF.center_crop(pixels, size).div(255.0)
    return TF.normalize(pixels, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD)


def dino_pixels(frames: torch.Tensor, size: int = 224) -> torch.Tensor:
    """vbench's ``dino_transform(size)``: bilinear resize of the short side (no antialias, no crop),
    /255, ImageNet's mean and std."""
    pixels = TF.resize(float_pixels(frames), size, interpolation=InterpolationMode.BILINEAR, antialias=False)
    return TF.normalize(pixels.div(255.0), IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD)


def pair_consistency(features: torch.Tensor) -> DimensionState:
    """vbench's frame-pair score of one video's ``[T, D]`` frame features.

    Each frame after the first scores the mean of its cosine similarity to the previous frame and
    to the first frame, each clamped at 0; the video adds the sum of those scores and the number of
    pairs, so the final score averages over frame pairs of all videos, as vbench does in one process.
    """
    if features.shape[0] < 2:
        raise ValueError(f"a consistency score needs at least 2 frames, got {features.shape[0]}")
    unit = F.normalize(features, dim=-1, p=2)  # in the features' precision (float16 for CLIP on a GPU, as vbench)
    to_previous = F.cosine_similarity(unit[:-1], unit[1:], dim=-1).clamp(min=0.0)
    to_first = F.cosine_similarity(unit[:1].expand_as(unit[1:]), unit[1:], dim=-1).clamp(min=0.0)
    scores = ((to_previous + to_first) / 2).tolist()
    return DimensionState(total=float(sum(scores)), count=float(len(scores)))
