"""VBench's subject consistency: DINO ViT-B/16 frame features, vbench's frame pairs.

vbench 0.1.5, ``vbench/subject_consistency.py``, ``subject_consistency``: every frame through
``dino_transform(224)`` (short side to 224, no crop) and DINO's ViT-B/16 (its class token after
the last norm), one frame at a time, then :func:`metrics.vbench.frames.pair_consistency`. The
network is timm's ``VisionTransformer``, which reads DINO's ``dino_vitbase16_pretrain.pth`` keys as
they are (``--dino-ckpt``); the one difference we override is how the position embedding is
resized to a non-square frame: DINO resizes its 14x14 grid bicubically by a scale factor of
``(patches + 0.1) / 14`` (``vision_transformer.py``, ``interpolate_pos_encoding``), which samples
differently from resizing to a target size as timm does.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer
from torch import nn

from metrics.vbench.dimension import DimensionState, VBenchDimension
from metrics.vbench.frames import dino_pixels, pair_consistency

#: DINO ViT-B/16 (``dino_vitb16``), and the tiny random configuration of the same class.
DINO_VITB16 = {"embed_dim": 768, "depth": 12, "num_heads": 12}
PATCH_SIZE = 16
TINY_DINO = {"embed_dim": 32, "depth": 2, "num_heads": 2}


def dino_position_embedding(pos_embed: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """``[1, 1 + N, C]`` position embedding for a ``rows x cols`` patch grid, resized as DINO resizes it."""
    side = math.isqrt(pos_embed.shape[1] - 1)
    if rows == cols == side:
        return pos_embed
    grid = pos_embed[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    scale = ((rows + 0.1) / side, (cols + 0.1) / side)
    grid = F.interpolate(grid, scale_factor=scale, mode="bicubic")
    if grid.shape[-2:] != (rows, cols):
        raise RuntimeError(f"position grid resized to {tuple(grid.shape[-2:])}, expected {(rows, cols)}")
    return torch.cat([pos_embed[:, :1], grid.permute(0, 2, 3, 1).reshape(1, rows * cols, -1)], dim=1)


class DinoViT(VisionTransformer):
    """timm's ViT returning DINO's class token, with DINO's position-embedding resize for any frame size."""

    def __init__(self, embed_dim: int, depth: int, num_heads: int) -> None:
        super().__init__(
            img_size=224,
            patch_size=PATCH_SIZE,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=4.0,
            qkv_bias=True,
            num_classes=0,
            global_pool="token",
            norm_layer=partial(nn.LayerNorm, eps=1e-6),
            dynamic_img_size=True,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """DINO's patch convolution ignores the pixels past the last whole patch; timm refuses them, so they go."""
        patch = PATCH_SIZE
        return super().forward(x[..., : x.shape[-2] // patch * patch, : x.shape[-1] // patch * patch])

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        batch, rows, cols, width = x.shape
        tokens = torch.cat([self.cls_token.expand(batch, -1, -1), x.reshape(batch, rows * cols, width)], dim=1)
        return self.pos_drop(tokens + dino_position_embedding(self.pos_embed, rows, cols))


class SubjectConsistency(VBenchDimension):
    name: ClassVar[str] = "subject_consistency"
    weight_fields: ClassVar[tuple[str, ...]] = ("dino_ckpt",)

    @classmethod
    def from_pretrained(cls, path: Path, device: str | torch.device = "cpu") -> SubjectConsistency:
        """DINO's ``dino_vitbase16_pretrain.pth`` (its keys are timm's)."""
        model = DinoViT(**DINO_VITB16)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return cls(model, device)

    @classmethod
    def random(cls, seed: int = 0, device: str | torch.device = "cpu") -> SubjectConsistency:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(DinoViT(**TINY_DINO), device)

    @torch.inference_mode()
    def video_state(self, frames: torch.Tensor) -> DimensionState:
        pixels = dino_pixels(frames).to(self.device)
        features = torch.cat([self.model(pixels[i : i + 1]) for i in range(pixels.shape[0])])
        return pair_consistency(features.cpu())
