"""An FVD interval that describes the number: the point estimate plus or minus the generated set's noise.

FVD from N generated videos is biased upwards by an amount that depends on N, so a percentile bootstrap
(about 63 % distinct videos per replicate) moves its whole interval above the point estimate
(docs/metrics.md gives the figures). What a reader wants from "FVD 1.81 +- 0.01" is the spread of the
value over fresh generated sets of the same size; this module estimates it from the one set at hand
and centres the interval on the point estimate:

- ``"jackknife"`` (the default): the grouped, delete-a-group jackknife. The generated set is split
  into ``replicates`` random groups; FVD is recomputed without each group, and the standard error is
  ``sqrt((G - 1) / G * sum((fvd_g - mean)^2))``. Every replicate uses distinct videos only, so no
  duplicate inflates its bias, and the bias shift common to all replicates cancels in the spread.
- ``"half-sampling"``: FVD of random halves drawn without replacement; by the finite-population
  correction a half sample's spread around the full-sample value estimates the full-sample standard
  error directly.
- ``"bootstrap-sd"``: the standard deviation of bootstrap replicates (with replacement), used for its
  spread only.
- ``"delta"``: the first-order delta method: the standard deviation of the FVD's influence function
  over the generated videos, divided by sqrt(N).

The interval is ``point +- t * se`` with the Student-t quantile of ``confidence`` at ``replicates - 1``
degrees of freedom (the standard error is itself estimated from that many values). It covers the
noise of the generated set against fixed real statistics (the usual situation: cached real
statistics), not the noise of the real set. ``python -m metrics.interval_coverage`` measures the coverage
of each method in a simulation where fresh sets can be drawn; docs/metrics.md gives the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
from scipy.stats import t as student_t

from metrics.frechet import DEFAULT_DDOF, FrechetToReference, GaussianStats
from metrics.protocol_names import DEFAULT_REPLICATES, INTERVAL_METHOD_NAMES

IntervalMethod = Literal["jackknife", "half-sampling", "bootstrap-sd", "delta"]
DEFAULT_INTERVAL_METHOD: IntervalMethod = "jackknife"
_Draw = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class FVDInterval:
    """``low``/``high`` bound ``point +- t * std_error``; ``method`` and ``replicates`` say how ``std_error`` came."""

    low: float
    high: float
    std_error: float
    confidence: float
    method: str
    replicates: int


def _jackknife(reference: FrechetToReference, fake: np.ndarray, groups: int, rng: np.random.Generator) -> float:
    whole = GaussianStats.from_features(fake)
    values = []
    for rows in np.array_split(rng.permutation(len(fake)), groups):
        out = fake[rows]  # the moments of the rest, by subtraction
        kept = GaussianStats(whole.dim, whole.count - len(out), whole.sum - out.sum(axis=0), whole.outer - out.T @ out)
        values.append(reference.distance(kept))
    values = np.asarray(values)
    return float(math.sqrt((groups - 1) / groups * np.sum((values - values.mean()) ** 2)))


def _spread(
    reference: FrechetToReference, fake: np.ndarray, replicates: int, rng: np.random.Generator, draw: _Draw
) -> float:
    """Standard deviation (ddof 1) of the distances of ``replicates`` subsets ``fake[draw(rng, len(fake))]``."""
    row_sets = (draw(rng, len(fake)) for _ in range(replicates))
    return float(np.std([reference.distance(GaussianStats.from_features(fake[rows])) for rows in row_sets], ddof=1))


def _delta_method(reference: FrechetToReference, fake: np.ndarray, replicates: int, rng: np.random.Generator) -> float:
    """First-order (influence-function) standard error; ``replicates`` and ``rng`` are unused."""
    stats = GaussianStats.from_features(fake)
    mean, cov = stats.mean(), stats.cov(reference.ddof)
    centred = fake - mean
    gradient = reference.covariance_gradient(cov)
    quadratic = np.einsum("nd,de,ne->n", centred, gradient, centred)
    influence = 2.0 * centred @ (mean - reference.mean) + quadratic - np.sum(gradient * cov)
    return float(np.std(influence, ddof=1) / math.sqrt(len(fake)))


_STD_ERRORS = {
    "jackknife": _jackknife,
    "half-sampling": partial(_spread, draw=lambda rng, n: rng.permutation(n)[: n // 2]),
    "bootstrap-sd": partial(_spread, draw=lambda rng, n: rng.integers(0, n, n)),
    "delta": _delta_method,
}
#: Every method :func:`fvd_interval` knows, the default first.
INTERVAL_METHODS: tuple[IntervalMethod, ...] = tuple(_STD_ERRORS)
if INTERVAL_METHODS != INTERVAL_METHOD_NAMES:  # the names command lines list before numpy loads
    raise ImportError(f"metrics.protocol_names.INTERVAL_METHOD_NAMES {INTERVAL_METHOD_NAMES} != {INTERVAL_METHODS}")


def fvd_interval(
    point: float,
    real: GaussianStats,
    fake_features: np.ndarray,
    *,
    ddof: int = DEFAULT_DDOF,
    confidence: float = 0.95,
    method: IntervalMethod = DEFAULT_INTERVAL_METHOD,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
) -> FVDInterval:
    """Interval ``point +- t * se`` for the FVD ``point`` of ``fake_features`` ``[N, D]`` against ``real``.

    ``se`` is the generated set's standard error by ``method`` (see the module docstring). Replicate
    distances use the exact eigenvalue route whatever square-root method gave ``point``; the two agree
    to round-off on the covariances of real feature sets.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if method not in _STD_ERRORS:
        raise ValueError(f"unknown interval method {method!r}; choose one of {', '.join(_STD_ERRORS)}")
    fake_features = np.asarray(fake_features, dtype=np.float64)
    if fake_features.ndim != 2 or fake_features.shape[1] != real.dim:
        raise ValueError(f"fake features must be [N, {real.dim}], got shape {fake_features.shape}")
    if replicates < 2 or (method == "jackknife" and replicates > len(fake_features)):
        raise ValueError(
            f"an FVD interval needs 2 <= replicates{' <= videos' if method == 'jackknife' else ''}, "
            f"got {replicates} for {len(fake_features)} videos"
        )
    if not math.isfinite(point):
        raise ValueError(f"FVD point estimate is not finite ({point}); no interval around it")
    rng = np.random.default_rng(seed)
    std_error = _STD_ERRORS[method](FrechetToReference(real, ddof), fake_features, replicates, rng)
    # A resampled standard error comes from `replicates` values: Student's t with replicates - 1 degrees of
    # freedom; the delta method's comes from every video.
    dof = len(fake_features) - 1 if method == "delta" else replicates - 1
    half_width = float(student_t.ppf(0.5 + confidence / 2.0, dof)) * std_error
    return FVDInterval(point - half_width, point + half_width, std_error, confidence, method, replicates)
