"""Which frames of a clip longer than an FVD's frame count are taken: part of what an FVD measures.

I3D sees motion, so 16 frames spread over a 20 s MSR-VTT clip carry far more of it than 16
consecutive frames of a 2 s generated clip; comparing the two inflates FVD with motion the
generator cannot have. Every public FVD tool compares consecutive frames: the array APIs (cd-fvd,
VideoGPT, common_metrics, the TF original) take the first frames they are handed, StyleGAN-V and
cd-fvd's folder loader take a window at a random offset, at a stride (``subsample_factor``,
``sample_every_n_frames``) that users tune to match a paper's frame rate. A
:class:`FrameSelection` names that choice; its :meth:`~FrameSelection.describe` text is logged as
``fvd.frame_sampling`` and keys the real-feature caches, so runs that took different frames are
never compared or mixed.

Nothing here imports torch: the command lines name the choices before any heavy import.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from metrics.protocol_names import FRAME_STARTS

FrameStart = Literal["first", "centre", "random"]
#: ``consecutive``: a window of consecutive frames at a stride (every public tool);
#: ``spread``: centres of equal segments of the whole clip (this project's old reader).
SelectionMode = Literal["consecutive", "spread"]
SELECTION_MODES: tuple[SelectionMode, ...] = ("consecutive", "spread")


class ClipTooShortError(ValueError):
    """The clip has fewer frames than the selection needs."""


@dataclass(frozen=True)
class FrameSelection:
    """Frames to take from each clip.

    ``stride=None`` matches frame rates: the stride is the source's fps over ``target_fps`` (the
    generated clips' rate), rounded, at least 1, so real and generated windows span the same time.
    A ``random`` start is drawn from ``seed`` and the clip's key (its id or file name), so it is the
    same window on every run and every machine, wherever the clip is read in the order.
    """

    mode: SelectionMode = "consecutive"
    stride: int | None = 1
    start: FrameStart = "first"
    target_fps: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in SELECTION_MODES:
            raise ValueError(f"frame selection mode must be one of {', '.join(SELECTION_MODES)}, got {self.mode!r}")
        if self.start not in FRAME_STARTS:
            raise ValueError(f"frame start must be one of {', '.join(FRAME_STARTS)}, got {self.start!r}")
        if self.stride is not None and self.stride < 1:
            raise ValueError(f"frame stride must be at least 1, got {self.stride}")
        if self.stride is None and not (self.target_fps and self.target_fps > 0):
            raise ValueError("a frame-rate-matched stride (stride=None) needs the generated clips' target_fps > 0")

    def describe(self) -> str:
        """One line that differs whenever the frames taken could differ (logged as ``fvd.frame_sampling``)."""
        if self.mode == "spread":
            return "spread: centres of num_frames equal segments of the whole clip, floor((i + 0.5) * n / num_frames)"
        stride = self.stride if self.stride is not None else f"round(source fps / {self.target_fps:g})"
        start = f"random start (seed {self.seed}, per clip)" if self.start == "random" else f"{self.start} window"
        return f"consecutive: stride {stride}, {start}"

    def with_overrides(self, *, stride: int | None = None, start: FrameStart | None = None) -> FrameSelection:
        """This selection with the user's stride and start, where given."""
        return replace(self, stride=self.stride if stride is None else stride, start=start or self.start)

    def stride_for(self, source_fps: float | None) -> int:
        """The stride used on a clip recorded at ``source_fps``."""
        if self.stride is not None:
            return self.stride
        if source_fps is None or not source_fps > 0:
            raise ClipTooShortError("has no usable frame rate for a frame-rate-matched stride")
        return max(1, round(source_fps / self.target_fps))

    def indices(
        self, num_available: int, num_frames: int, source_fps: float | None = None, key: str = ""
    ) -> np.ndarray:
        """Frame indices to decode from a clip of ``num_available`` frames."""
        if num_available < num_frames:
            raise ClipTooShortError(f"has {num_available} frames, fewer than the {num_frames} requested")
        if self.mode == "spread":
            return np.floor((np.arange(num_frames) + 0.5) * num_available / num_frames).astype(np.int64)
        stride = self.stride_for(source_fps)
        span = (num_frames - 1) * stride + 1
        if span > num_available:  # a smaller stride would silently measure another frame rate
            raise ClipTooShortError(
                f"has {num_available} frames, fewer than the {span} that {num_frames} frames at stride {stride} span"
            )
        offset = {"first": 0, "centre": (num_available - span) // 2}.get(self.start)
        if offset is None:
            digest = hashlib.sha256(f"{self.seed}:{key}".encode()).digest()
            offset = int(np.random.default_rng(list(digest[:8])).integers(0, num_available - span + 1))
        return offset + stride * np.arange(num_frames, dtype=np.int64)


#: This project's reader before frame selection existed; kept by name for comparisons with old runs.
SPREAD = FrameSelection(mode="spread")
