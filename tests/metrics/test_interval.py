"""The FVD interval contains its point estimate and covers the mean of fresh-set FVDs near its nominal rate.

Simulated Gaussian features stand in for I3D logits: there, unlike with real videos, fresh generated
sets can be drawn, so coverage can be measured (``python -m metrics.interval_coverage`` prints it).
"""

from __future__ import annotations

import numpy as np
import pytest

from metrics.frechet import GaussianStats, frechet_distance
from metrics.interval import fvd_interval
from metrics.interval_coverage import simulate_coverage


def test_interval_is_centred_on_the_point_and_rejects_bad_requests():
    rng = np.random.default_rng(0)
    real = GaussianStats.from_features(rng.standard_normal((200, 8)))
    fake = rng.standard_normal((150, 8)) + 0.3
    point = frechet_distance(real, GaussianStats.from_features(fake))
    interval = fvd_interval(point, real, fake, replicates=10)
    assert interval.low < point < interval.high and interval.std_error > 0
    assert point - interval.low == pytest.approx(interval.high - point)
    wider = fvd_interval(point, real, fake, replicates=10, confidence=0.99)
    assert wider.high - wider.low > interval.high - interval.low
    with pytest.raises(ValueError, match="replicates"):
        fvd_interval(point, real, fake, replicates=1)
    with pytest.raises(ValueError, match="not finite"):
        fvd_interval(float("nan"), real, fake)
    with pytest.raises(ValueError, match=r"\[N, 8\]"):
        fvd_interval(point, real, fake[:, :4])


def test_jackknife_covers_the_fresh_set_mean_near_nominal_rate_small():
    (row,) = simulate_coverage(dim=16, num_videos=200, trials=150, methods=("jackknife",), replicates=20)
    assert 0.88 <= row.coverage <= 0.99
    assert row.mean_std_error == pytest.approx(row.fresh_std, rel=0.3)


@pytest.mark.slow  # minutes: 400-dimensional features of 2,990 videos, as a real MSR-VTT evaluation
def test_jackknife_covers_the_fresh_set_mean_at_real_size():
    (row,) = simulate_coverage(dim=400, num_videos=2990, trials=40, methods=("jackknife",))
    assert row.coverage >= 0.85
    assert row.mean_std_error == pytest.approx(row.fresh_std, rel=0.5)


@pytest.mark.parametrize(("argv", "message"), [(["--dim", "0"], "--dim 0"), (["--trials", "1"], "--trials 1")])
def test_the_coverage_command_refuses_values_that_measure_nothing(argv, message, capsys):
    from metrics.interval_coverage import main

    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2 and f"{message}: must lie between" in capsys.readouterr().err


def test_the_coverage_command_refuses_too_few_replicates_and_unknown_methods(capsys):
    from metrics.interval_coverage import main

    with pytest.raises(SystemExit) as stopped:
        main(["--replicates", "1"])
    assert stopped.value.code == 2 and "--replicates 1: must lie between 2 and 100000" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["--methods", "jackknife", "median"])
    assert stopped.value.code == 2 and "invalid choice: 'median'" in capsys.readouterr().err


def test_the_coverage_command_runs_the_methods_it_is_given(capsys):
    from metrics.interval_coverage import main

    assert main(["--dim", "3", "--num-videos", "20", "--trials", "3", "--replicates", "4", "--methods", "delta"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split(":")[0].strip() == "delta" and "over 3 fresh sets" in line
