"""VBench's motion smoothness: how well AMT-S re-creates a video's odd frames from its even ones.

vbench 0.1.5 (``vbench/motion_smoothness.py``, ``MotionSmoothness.motion_score``) drops the odd
frames, interpolates each one back at t = 0.5 from its even neighbours with AMT-S, and scores the
video as ``(255 - mean absolute error) / 255``, the error taken on uint8 frames (the prediction
truncated to uint8, as vbench's ``tensor2img`` does) and averaged per frame, then over frames. The
dimension is the mean of the per-video scores. Motion that follows smooth trajectories is easy to
interpolate, so jerky or shuffled frames score lower. (vbench decodes an mp4 with OpenCV for this
dimension; callers hand us decoded frames, and agreement is exact on the same pixels.)

Frames are padded to a multiple of 16 by edge replication before the network and cropped after.
On a GPU, vbench shrinks the network's working resolution when the frame is large for the card's
memory (``MotionSmoothness.initialization`` and ``motion_score``); :func:`working_scale` applies
the same rule, so scores on a GPU match vbench's on the same GPU.
"""

from __future__ import annotations

import math

import torch

from metrics.vbench.amt import AMTS
from metrics.vbench.dimension import DimensionState, NetworkDimension
from metrics.vbench.frames import replicate_pad

# vbench's memory rule: a 1024x512 frame needs ~1500 MiB beside ~2500 MiB of fixed overhead.
_ANCHOR_PIXELS = 1024 * 512
_ANCHOR_MEMORY = 1500 * 1024**2
_ANCHOR_MEMORY_BIAS = 2500 * 1024**2
_PAD_DIVISOR = 16


def working_scale(height: int, width: int, device: torch.device) -> float:
    """The factor AMT-S runs at: 1 on a CPU; on a GPU, vbench's rule from frame size and card memory."""
    if device.type != "cuda":
        return 1.0
    memory = torch.cuda.get_device_properties(device).total_memory
    scale = _ANCHOR_PIXELS / (height * width) * math.sqrt((memory - _ANCHOR_MEMORY_BIAS) / _ANCHOR_MEMORY)
    scale = min(scale, 1.0)
    return 1 / math.floor(1 / math.sqrt(scale) * 16) * 16


class MotionSmoothness(NetworkDimension):
    """Mean over videos of vbench's per-video interpolation score (state: score sum, video count)."""

    name = "motion_smoothness"

    network = AMTS
    weight_fields = ("amt_ckpt",)  # the settings field naming the weight file

    @torch.no_grad()
    def interpolate_odd_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 [T, H, W, 3] -> uint8 [ceil(T/2) - 1, H, W, 3]: odd frames predicted from even neighbours."""
        kept = frames[0::2]
        if kept.shape[0] < 2:
            raise ValueError(
                f"motion smoothness needs at least 3 frames (two even frames to interpolate between); "
                f"got {frames.shape[0]}"
            )
        images = kept.permute(0, 3, 1, 2).to(self.device, torch.float32) / 255.0
        height, width = images.shape[-2:]
        scale = working_scale(height, width, self.device)
        # Padded frames must keep 2 x 2 cells at the coarsest correlation level: vbench's code divides by zero below.
        smallest = self.model.min_padded_side - _PAD_DIVISOR
        if min(height, width) * scale <= smallest:
            raise ValueError(
                f"motion smoothness needs frames over {smallest} pixels a side (AMT-S pools its 1/8-resolution "
                f"correlation {self.model.corr_levels - 1} times); got {height}x{width}: generate larger videos"
            )
        padded, pad = replicate_pad(images, int(_PAD_DIVISOR / scale))
        time = torch.full((1, 1, 1, 1), 0.5, device=self.device)
        pairs = zip(padded[:-1].split(self.batch_size), padded[1:].split(self.batch_size), strict=True)
        predicted = torch.cat([self.model(first, second, time, scale_factor=scale) for first, second in pairs])
        left, right, top, bottom = pad
        predicted = predicted[..., top : predicted.shape[-2] - bottom, left : predicted.shape[-1] - right]
        # vbench's tensor2img: x255, clip, then truncate to uint8
        return (predicted * 255.0).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu()

    def video_state(self, frames: torch.Tensor) -> DimensionState:
        if frames.dtype != torch.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"expected uint8 frames [T, H, W, 3]; got {frames.dtype} {tuple(frames.shape)}")
        predicted = self.interpolate_odd_frames(frames)
        originals = frames[1::2][: predicted.shape[0]]
        errors = (originals.to(torch.int16) - predicted.to(torch.int16)).abs().to(torch.float64)
        mean_error = errors.flatten(1).mean(dim=1).mean().item()  # per frame, then over frames
        return DimensionState(total=(255.0 - mean_error) / 255.0, count=1.0)
