"""The learning benchmark's arithmetic: scoring trained adapters on held-out clips, intervals over
seeds, and which differences between Table 6's variants the intervals can state (paired by seed).

Used by ``python -m benchmarks.ablation --preset learn`` (synthetic motion clips) and by the real
ablation's ``--heldout-csv``/``--heldout-videos`` (a WebVid split): in both, each variant's
adapters are scored by :func:`simda.heldout.heldout_loss` on the same clips, timesteps and noise.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simda.settings import ClipSettings, ModelSettings

if TYPE_CHECKING:
    from simda.data import CaptionedVideo
    from simda.heldout import HeldoutLoss

#: Two-sided confidence of the interval over seeds.
CONFIDENCE = 0.95


def score_adapters(
    model: ModelSettings,
    adapters: Path | None,
    disabled: tuple[str, ...],
    seed: int,
    videos: Sequence[CaptionedVideo],
    clips: ClipSettings,
) -> HeldoutLoss:
    """Held-out loss of trained ``adapters`` on ``model``'s base, or (``adapters=None``) of the
    zero-initialised adapters a training run with ``seed`` and these parts starts from."""
    from simda.data import ClipSampler
    from simda.heldout import heldout_loss
    from simda.model.config import SimDAConfig
    from simda.model.loading import load_model
    from simda.pipeline import SimDAPipeline

    # The base is built from the training seed (tiny presets): score on the very base that was trained on.
    loaded = load_model(dataclasses.replace(model, ckpt=adapters), config=SimDAConfig().without(*disabled), seed=seed)
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    sampler = ClipSampler(clips.num_frames, clips.height, clips.width, clips.frame_stride)
    return heldout_loss(pipeline, videos, sampler)


@dataclass(frozen=True)
class SeedInterval:
    """Mean of one number over training seeds, with a Student-t interval (``CONFIDENCE``)."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) < 2:
            raise ValueError(f"an interval over seeds needs at least 2 values, got {len(self.values)}")
        if bad := [value for value in self.values if not math.isfinite(value)]:
            raise ValueError(f"non-finite held-out losses {bad}: a diverged run cannot enter the table")

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def half_width(self) -> float:
        from scipy import stats

        sem = statistics.stdev(self.values) / math.sqrt(len(self.values))
        return float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(self.values) - 1)) * sem

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def below(self, other: SeedInterval) -> bool:
        """True when this interval lies wholly under ``other``'s."""
        return self.high < other.low


def paired_difference(reference: SeedInterval, other: SeedInterval) -> SeedInterval:
    """``other - reference`` seed by seed, with its interval over seeds.

    Every variant trains from the same seeds, and a seed fixes more than the noise: on the tiny
    preset it builds the random-weight base too, so whole seeds sit higher or lower for every
    variant alike. Differencing within a seed removes that shared part, which is why the table
    orders variants by this interval rather than by whether two variants' own intervals overlap.
    """
    if len(reference.values) != len(other.values):
        raise ValueError(
            f"paired over seeds needs as many seeds on each side: {len(reference.values)} and {len(other.values)}"
        )
    return SeedInterval(tuple(b - a for a, b in zip(reference.values, other.values, strict=True)))


def compare_to(reference: SeedInterval, other: SeedInterval) -> str:
    """How ``other`` stands to ``reference`` (the full model): worse or better only where the interval
    of their paired difference excludes zero."""
    difference = paired_difference(reference, other)
    if difference.low > 0:
        return "worse (separated)"
    if difference.high < 0:
        return "better (separated)"
    return "not separated"


def orderings(intervals: dict[str, SeedInterval], reference: str) -> list[str]:
    """Every ordering against ``reference`` that the paired intervals support, e.g.
    ``Ours < w/o TA (paired difference +0.170 [+0.100, +0.240] over 3 seeds)``."""
    lines = []
    for label, interval in intervals.items():
        verdict = compare_to(intervals[reference], interval)
        if label == reference or verdict == "not separated":
            continue
        difference = paired_difference(intervals[reference], interval)
        low, high = (reference, label) if verdict.startswith("worse") else (label, reference)
        lines.append(
            f"{low} < {high} (paired difference {difference.mean:+.3f} "
            f"[{difference.low:+.3f}, {difference.high:+.3f}] over {len(interval.values)} seeds)"
        )
    return lines
