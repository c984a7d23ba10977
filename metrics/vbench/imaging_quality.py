"""VBench's imaging quality: MUSIQ (trained on SPAQ) per frame, averaged per video, divided by 100.

As vbench 0.1.5 computes it (``vbench/imaging_quality.py``, ``transform`` and ``technical_quality``
with its default ``imaging_quality_preprocessing_mode='longer'``): frames become float32 pixels in
0..255 (vbench's ``load_video`` wraps them with ``torch.Tensor``); a frame whose longer side exceeds
512 pixels is resized (torchvision, bilinear, no antialiasing, not rounded back to integers) so that
side becomes 512, sizes truncated to integers; pixels are divided by 255; MUSIQ scores each frame on a
0-100 scale. A video's score is the mean over its frames; the dimension is the mean over videos / 100.
"""

from __future__ import annotations

import torch
from torchvision.transforms import functional as TF

from metrics.vbench.dimension import DimensionState, NetworkDimension
from metrics.vbench.musiq import MUSIQ

LONGER_SIDE_LIMIT = 512


class ImagingQuality(NetworkDimension):
    """Mean over videos of the per-video mean MUSIQ score / 100 (state: score sum, video count)."""

    name = "imaging_quality"

    network = MUSIQ
    weight_fields = ("musiq_ckpt",)  # the settings field naming the weight file
    default_batch_size = 8

    @torch.no_grad()
    def frame_scores(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 [T, H, W, 3] -> MUSIQ's 0-100 score of each frame, float64 [T]."""
        if frames.dtype != torch.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
            raise ValueError(f"expected uint8 frames [T, H, W, 3] with T > 0; got {frames.dtype} {tuple(frames.shape)}")
        height, width = frames.shape[1:3]
        images = frames.permute(0, 3, 1, 2).float()
        if max(height, width) > LONGER_SIDE_LIMIT:  # the longer side brought down to 512
            scale = LONGER_SIDE_LIMIT / max(height, width)
            images = TF.resize(images, [int(scale * height), int(scale * width)], antialias=False)
        scores = [self.model(chunk.to(self.device)).flatten() for chunk in (images / 255.0).split(self.batch_size)]
        return torch.cat(scores).double().cpu()

    def video_state(self, frames: torch.Tensor) -> DimensionState:
        return DimensionState(total=self.frame_scores(frames).mean().item() / 100.0, count=1.0)
