"""The generate-then-evaluate engine shared by every benchmark command.

    clips in id order -> batches -> this rank's batches: generate missing videos, score each -> cache, mp4
                      -> this rank's real clips: I3D features (cached per dataset) -> barrier
                      -> rank 0: FVD, CLIPSIM, frame consistency from every cached file, in id order -> MLflow

A rerun skips every video and feature already on disk, and since each clip's seed comes from its id,
its batch from its place in the id order and each feature from its own file, the numbers are the
same for one process or many.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from benchmarks.datasets import Clip, video_seed
from benchmarks.evaluation import (
    RealFeatureCache,
    Skipped,
    fake_done,
    load_generated,
    score_generated,
    warn_if_small,
)
from benchmarks.networks import MetricNetworks
from benchmarks.paper import PaperRow, comparison_table
from benchmarks.report import log_results, sample_grid
from benchmarks.rundir import RunDir, write_csv
from benchmarks.tracking import tracked_run
from metrics.clip import ClipSimAccumulator, to_percent
from metrics.frechet import GaussianStats, frechet_distance
from metrics.video_io import read_video
from simda.atomic import atomic_path
from simda.distributed import ProcessLayout
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.video_io import write_mp4

log = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class BenchmarkSpec:
    """What distinguishes one benchmark command from another: its data format and the paper's table."""

    name: str
    paper_table: tuple[PaperRow, ...]
    default_num_videos: int | None
    annotation_flag: str
    annotation_help: str
    read: Callable[[Path, Path, int], list[Clip]]
    write_synthetic: Callable[[Path], tuple[Path, Path]]

    @property
    def experiment(self) -> str:
        return f"simda-{self.name}"


@dataclass
class BenchmarkJob:
    """Everything one invocation needs, resolved and checked by the command line before any work."""

    spec: BenchmarkSpec
    clips: list[Clip]
    pipeline: SimDAPipeline
    nets: MetricNetworks
    run_dir: RunDir
    features_key: str
    settings: GenerationSettings
    seed: int
    batch_size: int
    ddof: int
    device: str
    real: RealFeatureCache | GaussianStats
    random_weights: bool
    params: dict[str, Any]
    tracking_uri: str | None = None
    fps: int = 8
    tags: dict[str, str] = field(default_factory=dict)


def _row(job: BenchmarkJob, clip: Clip) -> dict[str, Any]:
    return {
        "id": clip.id,
        "caption": clip.caption,
        "seed": video_seed(job.seed, clip.id),
        "path": str(job.run_dir.video(clip.id)),
    }


def generate_and_score(job: BenchmarkJob, layout: ProcessLayout) -> int:
    """Generate this rank's missing videos batch by batch, scoring each before its mp4 is written.

    The clips are cut into batches of ``batch_size`` in id order and each rank takes whole batches,
    so a video is denoised beside the same others however many processes run: batched kernels
    round differently for different batch contents, and this keeps videos identical bit for bit
    across world sizes. Only a batch's missing videos are generated (after an interruption, or when
    ``--num-videos`` grows), never a finished one again.

    A batch's videos appear on disk together, after all of them are encoded: a crash mid-batch leaves
    none, so the rerun denoises the whole batch again, beside the same companions. Had it kept the
    first half, the rest would be denoised as a smaller batch, whose frames differ from an
    uninterrupted run's (by up to 1/255 with the tiny preset's 4 steps on CPU; rounding differences
    grow with the step count).

    Features are written first and the mp4 last, so an mp4 on disk means its clip is finished. A
    video on disk without features (other metric networks than its first run, or deleted features)
    is scored from its decoded file rather than generated again. Returns the number of videos generated.
    """
    features = job.run_dir.features(job.features_key)
    size = job.batch_size
    batches = layout.take([job.clips[start : start + size] for start in range(0, len(job.clips), size)])
    on_disk = [clip for batch in batches for clip in batch if job.run_dir.video(clip.id).exists()]
    indexed = [_row(job, clip) for clip in on_disk]
    job.run_dir.write_index_part(layout.rank, layout.world_size, indexed)
    for clip in on_disk:
        if not fake_done(features, clip.id):
            video = read_video(job.run_dir.video(clip.id), job.settings.num_frames)
            score_generated(video, clip, job.nets, job.device, features)
    missing = [[clip for clip in batch if not job.run_dir.video(clip.id).exists()] for batch in batches]
    missing = [batch for batch in missing if batch]
    for batch in tqdm(missing, desc=f"{job.spec.name} rank {layout.rank}", unit="batch", disable=None):
        seeds = [video_seed(job.seed, clip.id) for clip in batch]
        videos = job.pipeline([clip.caption for clip in batch], seeds, job.settings)
        with contextlib.ExitStack() as together:  # the batch's mp4s are renamed into place together, at the end
            for clip, video in zip(batch, videos, strict=True):
                score_generated(video, clip, job.nets, job.device, features)
                write_mp4(together.enter_context(atomic_path(job.run_dir.video(clip.id))), video, fps=job.fps)
        indexed.extend(_row(job, clip) for clip in batch)
        job.run_dir.write_index_part(layout.rank, layout.world_size, indexed)
    return sum(len(batch) for batch in missing)


def summarise(job: BenchmarkJob, generated: int) -> tuple[dict[str, float], pd.DataFrame, list[Skipped]]:
    """The metrics and the per-video table from every cached feature file, gathered in id order."""
    ids = [clip.id for clip in job.clips]
    logits, scores = load_generated(job.run_dir.features(job.features_key), ids)
    fake = GaussianStats.from_features(logits)
    if isinstance(job.real, GaussianStats):
        real, skipped = job.real, []
    else:
        real, skipped = job.real.statistics(job.clips)
    warn_if_small("real", real)
    warn_if_small("generated", fake)
    clipsim = ClipSimAccumulator()
    clipsim.update([score["clipsim"] for score in scores])
    table = pd.DataFrame([_row(job, clip) for clip in job.clips])
    table.insert(3, "clipsim", [score["clipsim"] for score in scores])
    table.insert(4, "consistency", [to_percent(score["consistency"]) for score in scores])
    metrics = {
        "fvd": frechet_distance(real, fake, job.ddof),
        "clipsim": clipsim.compute(),
        "frame_consistency": float(table["consistency"].mean()),
        "num_videos": float(len(ids)),
        "num_real": float(real.count),
        "num_real_skipped": float(len(skipped)),
        "videos_generated": float(generated),
        "videos_reused": float(len(ids) - generated),
    }
    return metrics, table, skipped


def run(job: BenchmarkJob, layout: ProcessLayout) -> dict[str, float] | None:
    """Run the benchmark on this rank; rank 0 returns the metrics (the other ranks ``None``)."""
    if layout.is_main:
        write_csv(
            job.run_dir.captions, pd.DataFrame([{**_row(job, clip), "real": str(clip.real_path)} for clip in job.clips])
        )
    with tracked_run(
        job.spec.experiment,
        job.run_dir.root.name,
        job.params,
        tags={"random_weights": str(job.random_weights).lower(), "benchmark": job.spec.name, **job.tags},
        enabled=layout.is_main,
        tracking_uri=job.tracking_uri,
    ) as mlflow_run:
        generated = int(layout.sum(generate_and_score(job, layout)))
        if isinstance(job.real, RealFeatureCache):
            job.real.compute(
                job.clips,
                layout,
                job.nets,
                job.settings.num_frames,
                (job.settings.height, job.settings.width),
                job.device,
            )
        layout.barrier()
        if not layout.is_main:
            return None
        metrics, table, skipped = summarise(job, generated)
        write_csv(job.run_dir.results, table)
        write_csv(job.run_dir.skipped_real, pd.DataFrame(skipped, columns=["clip_id", "path", "reason"]))
        comparison = comparison_table(metrics, job.spec.paper_table, job.random_weights)
        if mlflow_run is not None:
            grid = sample_grid([job.run_dir.video(clip.id) for clip in job.clips], job.settings.num_frames)
            artifacts = [
                job.run_dir.captions,
                job.run_dir.results,
                job.run_dir.skipped_real,
                job.run_dir.root / "config.json",
            ]
            log_results(metrics, table, comparison, grid, artifacts)
        for item in skipped:
            log.warning("skipped real video %s (%s): %s", item.clip_id, item.path, item.reason)
        log.info("%s results (run folder %s):\n%s", job.spec.name, job.run_dir.root, comparison.to_string(index=False))
        return metrics
