"""VBench's temporal flickering: one minus the mean absolute pixel change between neighbouring frames.

vbench 0.1.5, ``vbench/temporal_flickering.py``, ``cal_score``: the mean absolute difference of
each pair of consecutive frames (float32, over every pixel and channel), averaged over the pairs,
as ``(255 - mean) / 255``; the final score is the mean of the video scores. vbench scores this on
its static-camera prompts, where any pixel change is flicker: on other videos it also counts motion.
No network and no weights.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from metrics.vbench.dimension import DimensionState, VBenchDimension


class TemporalFlickering(VBenchDimension):
    name: ClassVar[str] = "temporal_flickering"
    weight_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_pretrained(cls, device: str | torch.device = "cpu") -> TemporalFlickering:
        return cls()

    @classmethod
    def random(cls, seed: int = 0, device: str | torch.device = "cpu") -> TemporalFlickering:
        return cls()

    def video_state(self, frames: torch.Tensor) -> DimensionState:
        if frames.ndim != 4 or frames.dtype != torch.uint8 or frames.shape[0] < 2:
            raise ValueError(f"expected uint8 frames [T >= 2, H, W, 3], got {frames.dtype} {tuple(frames.shape)}")
        pixels = frames.cpu().numpy().astype(np.float32)
        pair_means = [float(np.mean(np.abs(pixels[i] - pixels[i + 1]))) for i in range(len(pixels) - 1)]
        return DimensionState(total=(255.0 - float(np.mean(pair_means))) / 255.0, count=1.0)
