"""VBench's aesthetic quality: the LAION aesthetic predictor on CLIP ViT-L/14 frame embeddings, /10.

vbench 0.1.5, ``vbench/aesthetic_quality.py``, ``laion_aesthetic``: frames in batches of 32 through
``clip_transform(224)`` and OpenAI's ViT-L/14 image encoder, the embeddings L2-normalised, LAION's
linear head (``sa_0_4_vit_l_14_linear.pth``, ``nn.Linear(768, 1)``) applied, divided by 10 and
averaged over the video's frames; the final score is the mean of the video scores. Weights:
``--clip-l14-ckpt`` (OpenAI's ``ViT-L-14.pt``) and ``--aesthetic-head``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from metrics.vbench.dimension import DimensionState, VBenchDimension
from metrics.vbench.frames import clip_pixels
from metrics.vbench.openai_clip import load_openai_clip, model_dtype, random_openai_clip

#: The LAION head reads ViT-L/14's 768-dimensional embedding.
EMBED_DIM = 768
#: vbench's frames per encoder batch (batching does not change the numbers beyond float rounding).
BATCH_FRAMES = 32


class AestheticQuality(VBenchDimension):
    name: ClassVar[str] = "aesthetic_quality"
    weight_fields: ClassVar[tuple[str, ...]] = ("clip_l14_ckpt", "aesthetic_head")

    def __init__(self, clip_model: nn.Module, head: nn.Linear, device: str | torch.device = "cpu") -> None:
        super().__init__(clip_model, device)
        self.head = head

    @classmethod
    def from_pretrained(cls, clip_path: Path, head_path: Path, device: str | torch.device = "cpu") -> AestheticQuality:
        model = load_openai_clip(clip_path, device, patch=14, width=1024, what="ViT-L/14")
        head = nn.Linear(EMBED_DIM, 1)  # LAION's sa_0_4_vit_l_14_linear.pth is this layer's state dict
        head.load_state_dict(torch.load(head_path, map_location="cpu", weights_only=True))
        return cls(model, head.eval().to(device), device)

    @classmethod
    def random(cls, seed: int = 0, device: str | torch.device = "cpu") -> AestheticQuality:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            head = nn.Linear(EMBED_DIM, 1).eval().to(device)
        return cls(random_openai_clip(seed, embed_dim=EMBED_DIM, device=device), head, device)

    @torch.inference_mode()
    def video_state(self, frames: torch.Tensor) -> DimensionState:
        scores = []
        for start in range(0, frames.shape[0], BATCH_FRAMES):
            pixels = clip_pixels(frames[start : start + BATCH_FRAMES]).to(self.device, model_dtype(self.model))
            embeddings = F.normalize(self.model.encode_image(pixels).float(), dim=-1, p=2)
            scores.append(self.head(embeddings).squeeze(-1))
        video_score = torch.cat(scores).div(10).mean().item()
        return DimensionState(total=video_score, count=1.0)
