"""Turning decoded videos into detector input exactly as one FVD protocol's tool does.

FVD numbers are only comparable when every preprocessing choice matches, and the public tools
disagree on the resize (TF1's corner-aligned bilinear, torch's half-pixel bilinear of the whole
frame, or shorter side plus centre crop) and on who maps values to [-1, 1] (the caller, or
StyleGAN-V's detector itself). :class:`metrics.fvd_protocols.FVDProtocol` names the choice and this
module carries it out. Frames are resized as floats in [0, 255] and mapped to the range afterwards,
the order of the TF original and cd-fvd (VideoGPT divides by 255 first: the same up to float
round-off).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from metrics.fvd_protocols import DEFAULT_PROTOCOL, FVDProtocol

#: A batch of videos ``[N, T, H, W, 3]`` (uint8 or float in [0, 1]) or a
#: sequence of ``[T, H, W, 3]`` videos whose frame sizes may differ.
Videos = torch.Tensor | np.ndarray | Sequence[torch.Tensor | np.ndarray]


def _as_tensor(video: torch.Tensor | np.ndarray) -> torch.Tensor:
    return video if isinstance(video, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(video))


def _to_255_float(videos: torch.Tensor) -> torch.Tensor:
    if videos.dtype == torch.uint8:
        return videos.float()
    if not videos.is_floating_point():
        raise TypeError(f"videos must be uint8 or floating point in [0, 1], got {videos.dtype}")
    lo, hi = float(videos.min()), float(videos.max())
    if lo < 0.0 or hi > 1.0:
        # Catches the common mistakes of passing [-1, 1] or [0, 255] floats.
        raise ValueError(f"float videos must lie in [0, 1], got values in [{lo:.3g}, {hi:.3g}]")
    return videos.float() * 255.0


def _bilinear(frames: torch.Tensor, size: int) -> torch.Tensor:
    """Whole frame to ``size`` x ``size``, torch's half-pixel bilinear without antialiasing (cd-fvd)."""
    if tuple(frames.shape[-2:]) == (size, size):
        return frames
    return F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False, antialias=False)


def _tf1_axis(n_in: int, n_out: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source rows and weights of TF1's legacy bilinear resize: position ``i * (n_in / n_out)``, no half-pixel shift.

    In float32 as TF's kernel computes them (``resize_bilinear_op.cc``: float scale, float position): float64
    positions move the weights by up to 2e-5 and the [-1, 1] input by up to 5e-5 on a 240x320 frame.
    """
    scale = torch.tensor(n_in, dtype=torch.float32) / torch.tensor(n_out, dtype=torch.float32)
    src = torch.arange(n_out, dtype=torch.float32, device=device) * scale.to(device)
    low = src.floor()
    return low.long().clamp(max=n_in - 1), src.ceil().long().clamp(max=n_in - 1), src - low


def _tf1_bilinear(frames: torch.Tensor, size: int) -> torch.Tensor:
    """``tf.image.resize_bilinear`` of TF1 (``align_corners=False, half_pixel_centers=False``), the TF FVD's resize.

    Along rows first, then columns, in TF's order, so float round-off matches as well.
    """
    h, w = frames.shape[-2:]
    top, bottom, wy = _tf1_axis(h, size, frames.device)
    left, right, wx = _tf1_axis(w, size, frames.device)

    def along_row(rows: torch.Tensor) -> torch.Tensor:
        return rows[..., left] + (rows[..., right] - rows[..., left]) * wx

    upper, lower = along_row(frames[..., top, :]), along_row(frames[..., bottom, :])
    return upper + (lower - upper) * wy[:, None]


def _shorter_side_centre_crop(frames: torch.Tensor, size: int, antialias: bool = False) -> torch.Tensor:
    """VideoGPT's resize: shorter side to ``size`` (longer side rounded up), bilinear, then a centre crop."""
    h, w = frames.shape[-2:]
    scale = size / min(h, w)
    target = (size, math.ceil(w * scale)) if h < w else (math.ceil(h * scale), size)
    frames = F.interpolate(frames, size=target, mode="bilinear", align_corners=False, antialias=antialias)
    top, left = (target[0] - size) // 2, (target[1] - size) // 2
    return frames[..., top : top + size, left : left + size]


#: The square side cd-fvd's folder loader crops to (``load_videos(resolution=256)``, its default).
CD_FVD_FOLDER_RESOLUTION = 256


def _cd_fvd_folder(frames: torch.Tensor, size: int) -> torch.Tensor:
    """cd-fvd's folder loader, then its array path: in [0, 1] the shorter side to 256 (antialiased) and a
    centre crop, back to uint8 by truncation (``(x * 255).byte()``), then the whole-frame bilinear.

    The division by 255 comes first, as in cd-fvd: truncation turns float round-off into whole grey levels,
    so the order of operations must be the tool's.
    """
    cropped = _shorter_side_centre_crop(frames / 255.0, CD_FVD_FOLDER_RESOLUTION, antialias=True)
    return _bilinear((cropped * 255).to(torch.uint8).float(), size)


_RESIZERS: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "bilinear": _bilinear,
    "tf1-bilinear": _tf1_bilinear,
    "shorter-side-bilinear-centre-crop": _shorter_side_centre_crop,
    "cd-fvd-folder": _cd_fvd_folder,
}


def resize_frames(frames: torch.Tensor, resize: str, size: int) -> torch.Tensor:
    """Resize float ``[N, 3, H, W]`` frames by the named rule (a protocol's ``resize``: one of the above)."""
    if resize not in _RESIZERS:
        raise ValueError(f"unknown resize {resize!r}; choose one of {', '.join(_RESIZERS)}")
    return _RESIZERS[resize](frames, size)


def _preprocess_batch(videos: torch.Tensor, protocol: FVDProtocol) -> torch.Tensor:
    if videos.ndim != 5 or videos.shape[-1] != 3:
        raise ValueError(f"expected videos shaped [N, T, H, W, 3], got {tuple(videos.shape)}")
    pixels = _to_255_float(videos)
    if protocol.value_range is None:
        # StyleGAN-V hands the detector uint8 [N, 3, T, H, W] and lets it rescale and resize.
        return pixels.round().to(torch.uint8).permute(0, 4, 1, 2, 3).contiguous()
    frames = resize_frames(pixels.flatten(0, 1).permute(0, 3, 1, 2), protocol.resize, protocol.size)
    lo, hi = protocol.value_range
    frames = frames * ((hi - lo) / 255.0) + lo
    return frames.unflatten(0, videos.shape[:2]).transpose(1, 2).contiguous()  # [N, 3, T, size, size]


def preprocess_videos(
    videos: Videos, protocol: FVDProtocol = DEFAULT_PROTOCOL, device: str | torch.device | None = None
) -> torch.Tensor:
    """Detector input of ``videos`` under ``protocol``: float32 ``[N, 3, T, size, size]`` in its value range
    (uint8 ``[N, 3, T, H, W]`` for a protocol whose detector preprocesses, i.e. StyleGAN-V's).

    Work happens on ``device`` (the input's own device when None); moving uint8 before converting keeps
    the host-to-GPU copy four times smaller.
    """
    if isinstance(videos, (torch.Tensor, np.ndarray)):
        return _preprocess_batch(_as_tensor(videos).to(device), protocol)
    if len(videos) == 0:
        raise ValueError("no videos to preprocess")
    return torch.cat([_preprocess_batch(_as_tensor(v).to(device)[None], protocol) for v in videos])
