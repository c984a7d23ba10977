"""``python -m metrics.interval_coverage``: how often each FVD interval method covers fresh sets.

In a Gaussian simulation fresh generated sets can be drawn, so the spread of the FVD over fresh sets
of the same size is known, and each method of :mod:`metrics.interval` can be checked against it:
the fraction of sets whose interval holds the fresh sets' mean FVD should be close to the nominal
95 %. Random features only; docs/metrics.md gives the numbers this printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from metrics.command_line import CommandParser
from metrics.frechet import DEFAULT_DDOF, FrechetToReference, GaussianStats
from metrics.interval import DEFAULT_REPLICATES, INTERVAL_METHODS, IntervalMethod, fvd_interval


@dataclass(frozen=True)
class Coverage:
    """How often each method's interval held the mean of fresh-set FVDs, over ``trials`` fresh sets."""

    method: str
    coverage: float
    mean_std_error: float
    fresh_std: float
    fresh_mean: float
    trials: int


def simulate_coverage(
    *,
    dim: int = 400,
    num_videos: int = 2990,
    trials: int = 100,
    methods: Sequence[IntervalMethod] = INTERVAL_METHODS,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = 0.95,
    ddof: int = DEFAULT_DDOF,
    seed: int = 0,
) -> list[Coverage]:
    """Coverage of each method in a Gaussian world where fresh generated sets can be drawn.

    Real features: one fixed set of ``num_videos`` draws from N(0, diag(l)) with a decaying spectrum
    ``l_i = 1 / (1 + i / 10)``. Generated features: ``trials`` fresh sets of ``num_videos`` from a
    shifted, rescaled Gaussian. The target is the mean FVD over the fresh sets (what a reader means
    by "the generator's FVD at this N"); coverage is the share of intervals that contain it.
    """
    rng = np.random.default_rng(seed)
    scale = np.sqrt(1.0 / (1.0 + np.arange(dim) / 10.0))
    real = GaussianStats.from_features(rng.standard_normal((num_videos, dim)) * scale)
    reference = FrechetToReference(real, ddof)
    shift = 0.02 * rng.standard_normal(dim)
    sets = [(rng.standard_normal((num_videos, dim)) * scale * 1.05 + shift) for _ in range(trials)]
    points = np.array([reference.distance(GaussianStats.from_features(fake)) for fake in sets])
    target = float(points.mean())
    results = []
    for method in methods:
        intervals = [
            fvd_interval(
                p, real, fake, ddof=ddof, confidence=confidence, method=method, replicates=replicates, seed=seed + i
            )
            for i, (p, fake) in enumerate(zip(points, sets, strict=True))
        ]
        covered = float(np.mean([iv.low <= target <= iv.high for iv in intervals]))
        mean_std_error = float(np.mean([iv.std_error for iv in intervals]))
        results.append(Coverage(method, covered, mean_std_error, float(points.std(ddof=1)), target, trials))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Print each method's coverage; a value that would measure nothing exits 2 before the simulation.

    The settings are imported here: the simulation itself (and so the metrics library) stays free of simda.
    """
    from simda.plumbing.errors import InvalidSetting
    from simda.plumbing.options import add_options, construct
    from simda.settings import IntervalCoverageSettings

    parser = CommandParser(
        prog="python -m metrics.interval_coverage",
        description="Measure the coverage of the FVD interval methods in a Gaussian simulation (random features).",
        allow_abbrev=False,
    )
    add_options(parser, IntervalCoverageSettings, {})
    try:
        args = construct(IntervalCoverageSettings, parser.parse_args(argv))
    except InvalidSetting as exc:
        parser.error(str(exc))
    for row in simulate_coverage(**asdict(args)):  # the settings' fields are the simulation's parameters
        print(
            f"{row.method:>14}: coverage {row.coverage:.3f} of nominal 0.95 over {row.trials} fresh sets; "
            f"mean std error {row.mean_std_error:.5f} vs fresh-set std {row.fresh_std:.5f} "
            f"(fresh mean FVD {row.fresh_mean:.5f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
