"""The profile's overlap table: busy time counts side-by-side kernels once; the tiny run's table on the CPU."""

from __future__ import annotations

import mlflow
import pytest
import torch

from benchmarks.profiling.overlap import VIDEOS, busy_seconds, time_overlap


def test_busy_time_is_the_union_of_the_intervals():
    assert busy_seconds([]) == 0.0
    assert busy_seconds([(0.0, 2.0), (1.0, 3.0), (5.0, 6.0)]) == 4.0  # the overlap of the first two counts once
    assert busy_seconds([(4.0, 5.0), (0.0, 10.0), (2.0, 3.0)]) == 10.0  # nested and unsorted


@pytest.mark.slow  # three tiny end-to-end runs: over 5 s on two cores
def test_the_cpu_table_times_generation_alone_sequential_and_overlapped_and_says_it_is_the_cpu():
    tracking = mlflow.get_tracking_uri()
    table = time_overlap(torch.device("cpu"), workers=1).set_index("variant")
    assert mlflow.get_tracking_uri() == tracking  # not left pointing at the section's deleted scratch store
    assert list(table.index) == ["generation_only", "sequential", "overlapped"]
    assert list(table["workers"]) == [0, 0, 1]
    assert table.loc["generation_only", "x_generation"] == 1.0
    assert (table["seconds"] > 0).all()
    assert (table["s_per_video"] * VIDEOS - table["seconds"]).abs().max() < 1e-3
    assert "gpu_busy" not in table and set(table["clock"]) == {"CPU wall clock: no GPU busy time"}
