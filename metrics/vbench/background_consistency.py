"""VBench's background consistency: CLIP ViT-B/32 frame embeddings, vbench's frame pairs.

vbench 0.1.5, ``vbench/background_consistency.py``, ``background_consistency``: every frame through
``clip_transform(224)`` and OpenAI's ViT-B/32 image encoder (all frames of a video in one batch),
then :func:`metrics.vbench.frames.pair_consistency`. Weights: OpenAI's ``ViT-B-32.pt`` (``--clip-ckpt``,
the file CLIPSIM uses).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch

from metrics.vbench.dimension import DimensionState, VBenchDimension
from metrics.vbench.frames import clip_pixels, pair_consistency
from metrics.vbench.openai_clip import load_openai_clip, model_dtype, random_openai_clip

#: Embedding width of the tiny random encoder (any width works: the score compares frames with each other).
TINY_EMBED_DIM = 32


class BackgroundConsistency(VBenchDimension):
    name: ClassVar[str] = "background_consistency"
    weight_fields: ClassVar[tuple[str, ...]] = ("clip_ckpt",)

    @classmethod
    def from_pretrained(cls, path: Path, device: str | torch.device = "cpu") -> BackgroundConsistency:
        return cls(load_openai_clip(path, device, patch=32, width=768, what="ViT-B/32"), device)

    @classmethod
    def random(cls, seed: int = 0, device: str | torch.device = "cpu") -> BackgroundConsistency:
        return cls(random_openai_clip(seed, embed_dim=TINY_EMBED_DIM, device=device), device)

    @torch.inference_mode()
    def video_state(self, frames: torch.Tensor) -> DimensionState:
        pixels = clip_pixels(frames).to(self.device, model_dtype(self.model))
        return pair_consistency(self.model.encode_image(pixels))  # in the model's precision, as vbench
