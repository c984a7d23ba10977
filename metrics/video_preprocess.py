"""Turning decoded videos into I3D input, and the record of how that was done.

FVD numbers are only comparable when every preprocessing choice matches, and
the popular implementations disagree on several of them (resize filter,
cropping, covariance normalisation).  ``FVDProtocol`` therefore travels with
every result so that a number can always be traced back to its conventions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

#: A batch of videos ``[N, T, H, W, 3]`` (uint8 or float in [0, 1]) or a
#: sequence of ``[T, H, W, 3]`` videos whose frame sizes may differ.
Videos = torch.Tensor | np.ndarray | Sequence[torch.Tensor | np.ndarray]

RESIZE_DESCRIPTION = "bilinear, align_corners=False, antialias=False, per frame, no crop"


def _as_tensor(video: torch.Tensor | np.ndarray) -> torch.Tensor:
    return video if isinstance(video, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(video))


def _to_unit_float(videos: torch.Tensor) -> torch.Tensor:
    if videos.dtype == torch.uint8:
        return videos.float().div_(255.0)
    if not videos.is_floating_point():
        raise TypeError(f"videos must be uint8 or floating point in [0, 1], got {videos.dtype}")
    lo, hi = float(videos.min()), float(videos.max())
    if lo < 0.0 or hi > 1.0:
        # Catches the common mistakes of passing [-1, 1] or [0, 255] floats.
        raise ValueError(f"float videos must lie in [0, 1], got values in [{lo:.3g}, {hi:.3g}]")
    return videos.float()


def _preprocess_batch(videos: torch.Tensor, size: int) -> torch.Tensor:
    if videos.ndim != 5 or videos.shape[-1] != 3:
        raise ValueError(f"expected videos shaped [N, T, H, W, 3], got {tuple(videos.shape)}")
    n, t, h, w, _ = videos.shape
    frames = _to_unit_float(videos).reshape(n * t, h, w, 3).permute(0, 3, 1, 2)
    if (h, w) != (size, size):
        # Bilinear without antialiasing like the TF reference's resize_bilinear (whose
        # pixel-centre convention differs slightly from PyTorch's half-pixel one).
        # No crop: the aspect ratio is not preserved, but no content is discarded.
        frames = F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
    frames = frames.mul(2.0).sub(1.0)
    return frames.reshape(n, t, 3, size, size).permute(0, 2, 1, 3, 4).contiguous()


def preprocess_videos(videos: Videos, size: int = 224, device: str | torch.device | None = None) -> torch.Tensor:
    """Resize frames to ``size`` x ``size`` and map them to [-1, 1].

    Returns float32 ``[N, 3, T, size, size]``.  Work happens on ``device`` (the
    input's own device when None); moving uint8 before converting keeps the
    host-to-GPU copy four times smaller.
    """
    if isinstance(videos, (torch.Tensor, np.ndarray)):
        return _preprocess_batch(_as_tensor(videos).to(device), size)
    if len(videos) == 0:
        raise ValueError("no videos to preprocess")
    return torch.cat([_preprocess_batch(_as_tensor(v).to(device)[None], size) for v in videos])


@dataclass(frozen=True)
class FVDProtocol:
    """Every convention that changes an FVD value; ``as_params()`` is meant for experiment logs."""

    detector: str = "i3d-kinetics400-logits"
    detector_sha256: str | None = None
    resize: str = RESIZE_DESCRIPTION
    size: int = 224
    value_range: str = "[-1, 1]"
    num_frames: int | None = None
    frame_sampling: str | None = None
    ddof: int = 0
    sqrtm_method: str = "eigh"

    def as_params(self) -> dict[str, str]:
        """Flat ``{name: str}`` view (unknown values become ``"unknown"``) for loggers that want strings."""
        return {f"fvd.{k}": "unknown" if v is None else str(v) for k, v in asdict(self).items()}
