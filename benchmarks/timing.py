"""Interleaved median timing: every variant measured under the same conditions, round by round.

A GPU's speed drifts during a run (clock boost, temperature, other tenants) and so does a shared
CPU's. Timing variant A for a minute and then variant B for a minute puts that drift into the
ratio B/A. Running A, B, C, A, B, C, ... and taking each one's median spreads the drift evenly
over all variants, which is what ratios measured in one run need. ``torch.utils.benchmark``
times one statement at a time, so it cannot interleave; this module is the small part it lacks.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

Workload = Callable[[], object]
Measure = Callable[[Workload], float]


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one workload, one sample per round."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def maximum(self) -> float:
        return max(self.samples)


def wall_clock(workload: Workload) -> float:
    """Seconds one call takes on the host; right for the CPU, where work is synchronous."""
    started = time.perf_counter()
    workload()
    return time.perf_counter() - started


def cuda_clock(device: torch.device) -> Measure:
    """A clock for work queued on ``device``: CUDA events around the call, after a full sync.

    Synchronising first means no earlier work is counted; the events then time the stream
    from the first kernel this call queues to its last, including any gaps the host leaves
    while launching, which is what a user of one denoising step waits for.
    """

    def measure(workload: Workload) -> float:
        torch.cuda.synchronize(device)
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        workload()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000.0

    return measure


def interleaved_timings(
    workloads: Mapping[str, Workload], repeats: int, warmup: int, measure: Measure = wall_clock
) -> dict[str, Timing]:
    """Run ``warmup`` untimed rounds, then ``repeats`` timed rounds of every workload in turn.

    Warmup rounds are interleaved too, so caches, cuDNN autotuning and allocator pools settle for
    every workload before any is timed.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        for workload in workloads.values():
            workload()
    samples: dict[str, list[float]] = {name: [] for name in workloads}
    for _ in range(repeats):
        for name, workload in workloads.items():
            samples[name].append(measure(workload))
    return {name: Timing(tuple(values)) for name, values in samples.items()}
