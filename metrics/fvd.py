"""Fréchet Video Distance: I3D features -> Gaussian statistics -> Fréchet distance, under a named protocol.

``FVD`` follows the torchmetrics pattern (``update`` / ``compute`` / ``reset``) on :class:`GaussianStats`
(cacheable, exactly mergeable); every result carries the :class:`FVDProtocol` it was computed under.

``python -m metrics.fvd`` is :mod:`metrics.fvd_command`, reached through the guard below, before this
module's imports, so that a bad flag is refused before torch loads.
"""

from __future__ import annotations

if __name__ == "__main__":
    from metrics.fvd_command import main

    raise SystemExit(main())

# The imports below follow the command-line guard on purpose:
# ruff: noqa: E402

import warnings
from dataclasses import asdict, astuple, dataclass, replace

import numpy as np
import torch
from torch import nn

from metrics.frechet import GaussianStats, frechet_distance
from metrics.fvd_protocols import DEFAULT_PROTOCOL, FVDProtocol
from metrics.interval import DEFAULT_INTERVAL_METHOD, IntervalMethod, fvd_interval
from metrics.progress import progress_bar
from metrics.video_preprocess import Videos, preprocess_videos

#: Below this many batches no progress bar is shown: it would only add noise to logs.
_PROGRESS_MIN_BATCHES = 4


class SmallSampleWarning(UserWarning):
    """Fewer samples than feature dimensions: the covariance is singular and FVD is biased and noisy."""


def extract_features(
    videos: Videos,
    detector: nn.Module,
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    protocol: FVDProtocol = DEFAULT_PROTOCOL,
    progress: bool | None = None,
) -> np.ndarray:
    """Detector features of ``[N, T, H, W, 3]`` videos (uint8 or [0, 1] float) as float64 ``[N, D]``.

    Videos are preprocessed as ``protocol``'s tool does, and a detector the protocol cannot use
    (another BatchNorm eps, the wrong file format) is refused before any work. ``progress=None``
    shows a bar only for long inputs on a terminal.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    protocol.check_detector(detector)
    detector = detector.to(device).eval()
    num_videos = len(videos)  # a batch's first axis, or a sequence's length
    num_batches = -(-num_videos // batch_size)
    disable = (num_batches < _PROGRESS_MIN_BATCHES or None) if progress is None else not progress
    features = []
    with torch.inference_mode():
        batches = (videos[start : start + batch_size] for start in range(0, num_videos, batch_size))
        for batch in progress_bar(batches, total=num_batches, desc="I3D", unit="batch", disable=disable):
            features.append(detector(preprocess_videos(batch, protocol, device=device)).double().cpu().numpy())
    if not features:
        raise ValueError("no videos given")
    return np.concatenate(features)


@dataclass(frozen=True)
class FVDResult:
    """An FVD value with the sample counts, the protocol, and optionally an interval (:mod:`metrics.interval`)."""

    value: float
    num_real: int
    num_fake: int
    protocol: FVDProtocol
    ci_low: float | None = None
    ci_high: float | None = None
    std_error: float | None = None
    confidence: float | None = None
    interval_method: str | None = None
    interval_replicates: int = 0

    def as_dict(self) -> dict[str, str | float | int | None]:
        return {k: v for k, v in asdict(self).items() if k != "protocol"} | self.protocol.as_params()


class FVD:
    """Accumulates detector statistics of real and generated videos under ``protocol`` and computes their
    Fréchet distance.

    Inputs, which may be mixed: videos through ``update(videos, real=...)``; precomputed feature rows
    (e.g. cached I3D logits of the same protocol and detector) through ``update_features``; and real
    statistics given as ``real_stats`` (e.g. ``GaussianStats.load(cache)``; real updates add to them,
    and they are never modified in place). ``detector`` may be None when only features are fed.

    With ``interval=G > 0`` the per-video fake features are kept and ``compute`` adds an interval
    around the point estimate from ``G`` replicates of the generated set by ``interval_method`` (see
    :mod:`metrics.interval`). A jackknife of fewer than ``G`` videos uses one group per video
    (``FVDResult.interval_replicates`` says how many), and none below two videos.
    """

    def __init__(
        self,
        detector: nn.Module | None = None,
        *,
        protocol: FVDProtocol = DEFAULT_PROTOCOL,
        real_stats: GaussianStats | None = None,
        batch_size: int = 16,
        device: str | torch.device = "cpu",
        interval: int = 0,
        interval_method: IntervalMethod = DEFAULT_INTERVAL_METHOD,
        confidence: float = 0.95,
        seed: int = 0,
        detector_sha256: str | None = None,
        frame_sampling: str | None = None,
        progress: bool | None = None,
    ) -> None:
        if not 0.0 < confidence < 1.0:
            raise ValueError(f"confidence must be in (0, 1), got {confidence}")
        if interval < 0 or interval == 1:
            raise ValueError(f"interval must be 0 (off) or at least 2 replicates, got {interval}")
        if detector is not None:
            protocol.check_detector(detector)
            detector = detector.to(device).eval()
        self.detector = detector
        self._protocol = protocol.for_run(detector_sha256=detector_sha256, frame_sampling=frame_sampling)
        self.device = device
        self.batch_size = batch_size
        self.interval = interval
        self.interval_method = interval_method
        self.confidence = confidence
        self.seed = seed
        self.progress = progress
        self._cached_real = real_stats
        self.real_stats: GaussianStats | None = real_stats
        self.fake_stats: GaussianStats | None = None
        self._fake_features: list[np.ndarray] = []
        self._num_frames: int | None = None

    def _note_frames(self, frames: set[int]) -> None:
        if self._num_frames is not None:
            frames = frames | {self._num_frames}
        if len(frames) > 1:
            raise ValueError(f"all videos of one FVD must have the same number of frames, got {sorted(frames)}")
        self._num_frames = frames.pop()

    def update(self, videos: Videos, real: bool = False) -> np.ndarray:
        """Add ``[N, T, H, W, 3]`` videos to the fake (default) or real set; returns their features."""
        if self.detector is None:
            raise ValueError("this FVD has no detector: pass one to FVD(detector, ...) or feed update_features")
        batch = isinstance(videos, (torch.Tensor, np.ndarray))
        self._note_frames({int(videos.shape[1])} if batch else {int(v.shape[0]) for v in videos})
        features = extract_features(videos, self.detector, self.batch_size, self.device, self._protocol, self.progress)
        self.update_features(features, real=real)
        return features

    def update_features(self, features: np.ndarray, real: bool = False, num_frames: int | None = None) -> None:
        """Add precomputed ``[N, D]`` feature rows (computed under this protocol) to the fake or real set.

        ``num_frames`` (frames per video the features came from) is recorded in the protocol when given.
        Non-finite rows are refused: a NaN would silently poison every later statistic.
        """
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[0] == 0:
            raise ValueError(f"features must be a non-empty [N, D] array, got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError(f"{int((~np.isfinite(features)).any(axis=1).sum())} feature rows are not finite")
        if num_frames is not None:
            self._note_frames({int(num_frames)})
        batch_stats = GaussianStats.from_features(features)
        if real:
            self.real_stats = batch_stats if self.real_stats is None else self.real_stats + batch_stats
        else:
            self.fake_stats = batch_stats if self.fake_stats is None else self.fake_stats + batch_stats
            if self.interval:
                self._fake_features.append(features)

    def reset(self, real: bool = False) -> None:
        """Forget the generated set; ``real=True`` also resets the real one (to the cached ``real_stats``)."""
        self.fake_stats = None
        self._fake_features = []
        if real:
            self.real_stats = self._cached_real
        if self.real_stats is None or self.real_stats is self._cached_real:
            self._num_frames = None

    @property
    def protocol(self) -> FVDProtocol:
        """The protocol with this evaluation's detector checksum, frame count and frame sampling."""
        return replace(self._protocol, num_frames=self._num_frames)

    def _warn_if_small(self, name: str, stats: GaussianStats) -> None:
        if stats.count <= stats.dim:
            warnings.warn(
                f"FVD {name} set has {stats.count} videos <= feature dimension {stats.dim}: its "
                f"covariance is singular (rank <= {stats.count - 1}), so the value is biased and "
                f"unstable; use more than {stats.dim} videos for a meaningful FVD",
                SmallSampleWarning,
                stacklevel=3,
            )

    def compute(self) -> FVDResult:
        """FVD between the accumulated (or cached) real statistics and the generated videos so far."""
        if self.real_stats is None:
            raise ValueError("no real statistics: pass real_stats= or call update(videos, real=True)")
        if self.fake_stats is None:
            raise ValueError("no generated videos: call update(videos) or update_features(features)")
        if self.real_stats.dim != self.fake_stats.dim:
            raise ValueError(f"real features have dimension {self.real_stats.dim}, generated {self.fake_stats.dim}")
        self._warn_if_small("real", self.real_stats)
        self._warn_if_small("fake", self.fake_stats)
        value = frechet_distance(self.real_stats, self.fake_stats, self._protocol.ddof, self._protocol.sqrtm_method)
        replicates = self.interval
        if self.interval_method == "jackknife":  # at most one group per video (see the class docstring)
            replicates = min(replicates, self.fake_stats.count) if self.fake_stats.count >= 2 else 0
        interval = ()  # FVDInterval's fields are FVDResult's interval fields, in the same order
        if replicates:
            interval = astuple(
                fvd_interval(
                    value,
                    self.real_stats,
                    np.concatenate(self._fake_features),
                    ddof=self._protocol.ddof,
                    confidence=self.confidence,
                    method=self.interval_method,
                    replicates=replicates,
                    seed=self.seed,
                )
            )
        return FVDResult(value, self.real_stats.count, self.fake_stats.count, self.protocol, *interval)
