"""The profile's ``overlap`` table: a tiny end-to-end MSR-VTT run with its finishing work beside generation or not.

Issue 25 asks that a benchmark run keep the accelerator busy: the time per video of the whole run within
10 % of the time per video of generation alone. One tiny MSR-VTT run is loaded once (synthetic clips,
the tiny random SimDA, random I3D and CLIP), then its phase from the first batch to the last real feature
is timed three ways, each in a fresh folder: generation alone (the batches denoised, nothing scored or
written), sequential (``--overlap-workers 0``) and overlapped (the default). ``x_generation`` is each time
over generation alone: the issue's figure is the overlapped row's. On a GPU, ``gpu_busy`` is the share of
the wall time during which at least one kernel or copy ran (``torch.profiler``'s device events, side
by side ones counted once). On a CPU the table holds CPU wall times, labelled so: both kinds of work share the
same cores there, so overlap can gain only the time one of them leaves cores idle.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import mlflow
import pandas as pd
import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks import msrvtt
from benchmarks.datasets import video_seed
from benchmarks.evaluation import RealFeatureCache
from benchmarks.rundir import RunDir
from benchmarks.text_to_video_engine import LoadedBenchmark, generate_and_read_real, load_benchmark
from benchmarks.timing import wall_clock
from simda.plumbing.distributed import ProcessLayout
from simda.settings import OverlapSettings

VIDEOS = 4  # two batches of two: the second is generated while the first is finished
RUN_FLAGS = ("--preset", "tiny", "--frames", "9", "--height", "32", "--width", "32", "--steps", "2")


def busy_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """The length of the union of ``(start, end)`` intervals: kernels running side by side count once."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _timed(work: Callable[[], object], device: torch.device) -> tuple[float, float | None]:
    """Wall seconds of ``work`` and, on a GPU, the seconds at least one kernel or copy ran during it."""
    if device.type != "cuda":
        return wall_clock(work), None
    torch.cuda.synchronize(device)
    with profile(activities=[ProfilerActivity.CUDA]) as trace:
        started = time.perf_counter()
        work()
        torch.cuda.synchronize(device)
        wall = time.perf_counter() - started
    kernels = [
        (event.time_range.start, event.time_range.end)
        for event in trace.events()
        if event.device_type == torch.autograd.DeviceType.CUDA
    ]
    return wall, busy_seconds(kernels) / 1e6  # the profiler's clock counts microseconds


def _generation_only(job: LoadedBenchmark) -> None:
    size = job.job.evaluation.batch_size
    for start in range(0, len(job.clips), size):
        batch = job.clips[start : start + size]
        seeds = [video_seed(job.job.evaluation.seed, clip.id) for clip in batch]
        job.generator.generate([clip.caption for clip in batch], seeds, job.job.generation, [clip.id for clip in batch])


def _in_fresh_folders(job: LoadedBenchmark, folder: Path, workers: int) -> LoadedBenchmark:
    """``job`` writing its videos, features and real features under ``folder``, with ``workers`` workers."""
    assert isinstance(job.real, RealFeatureCache)  # the tiny run computes its real statistics
    return replace(
        job,
        job=replace(job.job, overlap=OverlapSettings(overlap_workers=workers)),
        identity=replace(job.identity, run_dir=RunDir(folder / "run")),
        real=RealFeatureCache(folder / "real-cache", job.real.key),
    )


def _variants(
    loaded: LoadedBenchmark, folder: Path, workers: int, layout: ProcessLayout
) -> dict[str, Callable[[], object]]:
    """The three ways to run the loaded benchmark, each writing into its own fresh folder under ``folder``."""
    runs: dict[str, Callable[[], object]] = {"generation_only": lambda: _generation_only(loaded)}
    for name, count in (("sequential", 0), ("overlapped", workers)):
        job = _in_fresh_folders(loaded, folder / name, count)
        runs[name] = lambda job=job: generate_and_read_real(job, layout)
    return runs


def time_overlap(device: torch.device, workers: int = OverlapSettings().overlap_workers) -> pd.DataFrame:
    """Seconds per video of the tiny run's generate-and-score phase, the run loaded once in a scratch folder:
    generation alone, sequential and overlapped, each timed after one untimed run of all three (on an H200 the
    first variant timed without it took 5 times as long as the second, although it did a fraction of the work)."""
    tracking = mlflow.get_tracking_uri()  # the run's preflight points MLflow at its scratch store: put it back
    layout = ProcessLayout()
    with tempfile.TemporaryDirectory(prefix="simda-overlap-") as scratch:
        root = Path(scratch)
        flags = [*RUN_FLAGS, "--device", str(device), "--num-videos", str(VIDEOS), "--batch-size", "2"]
        flags += ["--out", str(root / "loaded"), "--tracking-uri", f"sqlite:///{root / 'mlflow.db'}"]
        try:
            loaded = load_benchmark(msrvtt.make_job(msrvtt.build_parser().parse_args(flags)), layout)
            for work in _variants(loaded, root / "warmup", workers, layout).values():
                work()  # untimed: a first call pays for cuDNN's autotuning, lazily built caches, thread start-up
            runs = _variants(loaded, root / "timed", workers, layout)
            timings = {name: _timed(work, device) for name, work in runs.items()}
        finally:
            mlflow.set_tracking_uri(tracking)
    seconds = pd.Series([wall for wall, _ in timings.values()])
    table = pd.DataFrame({"variant": list(timings), "workers": [0, 0, workers], "seconds": seconds})
    table = table.assign(s_per_video=seconds / VIDEOS, x_generation=seconds / timings["generation_only"][0])
    if device.type == "cuda":
        table["gpu_busy"] = [busy / wall for wall, busy in timings.values()]
    else:
        table["clock"] = "CPU wall clock: no GPU busy time"
    return table.round(4)
