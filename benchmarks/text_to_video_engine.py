"""The generate-then-evaluate engine behind every benchmark of :mod:`benchmarks.registry`.

    job -> load: clips, generator, metric networks, run folder, real-feature cache (all checked first)
        -> clips in id order -> batches -> this rank's batches: generate missing videos, score each -> cache, mp4
        -> this rank's real clips: I3D features (cached per dataset) -> barrier
        -> rank 0: FVD, CLIPSIM, frame consistency from every cached file, in id order -> MLflow

A rerun skips every video and feature already on disk, and since each clip's seed comes from its id,
its batch from its place in the id order and each feature from its own file, the numbers are the
same for one process or many. The videos come from a :class:`benchmarks.generators.VideoGenerator`,
whose identity keys the run folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import torch

from benchmarks.datasets import Clip, sample_clips, video_seed
from benchmarks.diffusers_generator import build_tiny_generator, load_pipeline_folder
from benchmarks.evaluation import (
    REAL_RESIZE,
    RealFeatureCache,
    fake_done,
    load_generated,
    real_frame_selection,
    score_generated,
)
from benchmarks.generators import SimDAGenerator, SuperResolvedGenerator, VideoGenerator, weights_identity
from benchmarks.networks import MetricNetworks, load_metric_networks
from benchmarks.overlap import OrderedWorkers, in_background, worker_stream
from benchmarks.paper import comparison_table
from benchmarks.preflight import run_preflight
from benchmarks.publish import log_results
from benchmarks.registry import synthetic_set
from benchmarks.rundir import RunDir, on_main_rank, write_csv
from benchmarks.text_to_video_job import BenchmarkJob, BenchmarkResult
from benchmarks.vbench_scoring import (
    LoadedDimension,
    load_dimensions,
    missing_states,
    score_video,
    summarise_dimensions,
)
from benchmarks.video_folder import VideoFolderGenerator
from metrics.clip import ClipSimAccumulator, to_percent
from metrics.frame_selection import FrameSelection
from metrics.frechet import GaussianStats
from metrics.fvd import FVD
from metrics.fvd_protocols import FVDProtocol, get_protocol
from metrics.i3d import file_sha256
from metrics.progress import progress_bar
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from metrics.video_io import read_video
from simda.model.loading import load_model, resolve_dtype
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.plumbing.atomic import atomic_path
from simda.plumbing.content_cache import synthetic_data_root
from simda.plumbing.distributed import ProcessLayout
from simda.plumbing.errors import InvalidSetting, UsageError
from simda.plumbing.identity import DEFAULT_ROOT, default_folder, identity_of
from simda.plumbing.tracking import report_command, tracked_run
from simda.settings import FPS, TINY_PIPELINES, ModelSettings
from simda.sr.pipeline import SimDAUpscalePipeline
from simda.video_io import write_mp4

log = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class RealSet:
    """The evaluation set a run reads: its annotation file, its video folder and its sampled clips."""

    annotations: Path
    videos: Path
    clips: list[Clip]


@dataclass(frozen=True)
class RunIdentity:
    """What makes a run this run: the settings that decide its videos (``config``, the generator's identity among
    them: they name the default run folder and guard it), that folder, and whether any weight is random."""

    config: dict[str, Any]
    run_dir: RunDir
    random_weights: bool  # any of the generator's, the metric networks' or the dimensions' weights


@dataclass
class LoadedBenchmark:
    """A :class:`BenchmarkJob` with everything loaded: the real set, the generator, the metric networks,
    the run's identity and its real statistics."""

    job: BenchmarkJob
    clips: list[Clip]  # the real set's sampled clips, in id order
    generator: VideoGenerator
    device: str
    nets: MetricNetworks
    identity: RunIdentity
    features_key: str
    real: RealFeatureCache | GaussianStats
    params: dict[str, Any]
    frame_selection: FrameSelection  # of the real clips
    dimensions: list[LoadedDimension] = field(default_factory=list)  # the VBench dimensions of --metrics

    @property
    def dimension_folders(self) -> dict[str, Path]:
        """Each dimension's per-video state folder, keyed by its weights (``benchmarks.vbench_scoring``)."""
        return {loaded.name: self.run_dir.features(loaded.cache_key) for loaded in self.dimensions}

    @property
    def run_dir(self) -> RunDir:
        return self.identity.run_dir


def _row(job: LoadedBenchmark, clip: Clip) -> dict[str, Any]:
    return {
        "id": clip.id,
        "caption": clip.caption,
        "seed": video_seed(job.job.evaluation.seed, clip.id),
        "path": str(job.run_dir.video(clip.id)),
    }


def generate_and_score(job: LoadedBenchmark, layout: ProcessLayout) -> int:
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
    size = job.job.evaluation.batch_size
    batches = layout.take([job.clips[start : start + size] for start in range(0, len(job.clips), size)])
    on_disk = [clip for batch in batches for clip in batch if job.run_dir.video(clip.id).exists()]
    indexed = [_row(job, clip) for clip in on_disk]
    job.run_dir.write_index_part(layout.rank, layout.world_size, indexed)
    folders = job.dimension_folders
    for clip in on_disk:
        if not fake_done(features, clip.id) or missing_states(clip.id, job.dimensions, folders):
            video = read_video(job.run_dir.video(clip.id), job.job.generation.num_frames)
            if not fake_done(features, clip.id):
                score_generated(video, clip, job.nets, job.device, features)
            score_video(video, clip.id, job.dimensions, folders)
    missing = [[clip for clip in batch if not job.run_dir.video(clip.id).exists()] for batch in batches]
    missing = [batch for batch in missing if batch]
    with OrderedWorkers[list[Clip]](job.job.overlap.overlap_workers, "finish-batch") as workers:
        for batch in progress_bar(missing, desc=f"{job.job.spec.name} rank {layout.rank}", unit="batch"):
            _index_finished(job, layout, indexed, workers.finished())  # a worker's error ends the run here
            seeds = [video_seed(job.job.evaluation.seed, clip.id) for clip in batch]
            captions, ids = [clip.caption for clip in batch], [clip.id for clip in batch]
            videos = job.generator.generate(captions, seeds, job.job.generation, ids)
            workers.submit(partial(_finish_batch, job, batch, videos))
        _index_finished(job, layout, indexed, workers.drain())
    return sum(len(batch) for batch in missing)


def _finish_batch(job: LoadedBenchmark, batch: list[Clip], videos: list[np.ndarray]) -> list[Clip]:
    """Score a generated batch's videos, then write their mp4s, renamed into place together at the end (on a
    worker thread while the next batch is generated, see :mod:`benchmarks.overlap`). Returns the batch."""
    features, folders = job.run_dir.features(job.features_key), job.dimension_folders
    with torch.inference_mode(), worker_stream(job.device), contextlib.ExitStack() as together:
        for clip, video in zip(batch, videos, strict=True):
            score_generated(video, clip, job.nets, job.device, features)
            score_video(video, clip.id, job.dimensions, folders)
            write_mp4(together.enter_context(atomic_path(job.run_dir.video(clip.id))), video, fps=FPS)
    return batch


def _index_finished(
    job: LoadedBenchmark, layout: ProcessLayout, indexed: list[dict[str, Any]], batches: list[list[Clip]]
) -> None:
    """Add the finished batches' videos to this rank's index part, in generation order."""
    if batches:
        indexed.extend(_row(job, clip) for batch in batches for clip in batch)
        job.run_dir.write_index_part(layout.rank, layout.world_size, indexed)


def read_real_clips(job: LoadedBenchmark, layout: ProcessLayout, stop: threading.Event) -> None:
    """This rank's real clips' I3D features (:meth:`RealFeatureCache.compute`), a rank's turn of clips at a
    time so a run that failed meanwhile (``stop``) is not kept waiting; run beside generation by
    :func:`benchmarks.overlap.in_background`. Each rank takes the clips it would take in one call."""
    if not isinstance(job.real, RealFeatureCache):
        return
    size = job.job.video_size  # 4x the generated size with --sr
    with torch.inference_mode(), worker_stream(job.device):
        for start in range(0, len(job.clips), layout.world_size):
            if stop.is_set():
                return
            turn = job.clips[start : start + layout.world_size]
            job.real.compute(
                turn, layout, job.nets, job.job.generation.num_frames, size, job.device, job.frame_selection
            )


def generate_and_read_real(job: LoadedBenchmark, layout: ProcessLayout) -> int:
    """Generate and score this rank's videos while its real clips are read and featurised on another thread
    (after generation with ``--overlap-workers 0``); returns the number of videos all ranks generated."""
    with in_background(partial(read_real_clips, job, layout), job.job.overlap.overlap_workers > 0, "real-clips"):
        return int(layout.sum(generate_and_score(job, layout)))


def real_set_sha256(stats: GaussianStats) -> str:
    """The identity of the real statistics FVD compared against: runs scored against other real videos
    (or the same videos read under another protocol) get another checksum, and the comparison refuses them."""
    digest = hashlib.sha256(str(stats.count).encode())
    for array in (stats.sum, stats.outer):
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return digest.hexdigest()


def fvd_metrics(job: LoadedBenchmark, logits: np.ndarray, real: GaussianStats) -> dict[str, float]:
    """FVD of the generated ``logits`` against ``real``, with its interval when ``--fvd-interval`` asks for one."""
    evaluation = job.job.evaluation
    fvd = FVD(
        protocol=job.nets.protocol,
        real_stats=real,
        interval=evaluation.fvd_interval,  # FVD uses one group per video below that many videos
        seed=evaluation.seed,
        detector_sha256=job.nets.i3d_sha256,
        frame_sampling=job.frame_selection.describe(),
    )
    fvd.update_features(logits, num_frames=job.job.generation.num_frames)
    result = fvd.compute()  # warns, with the numbers, when either set is smaller than the feature dimension
    if result.ci_low is None:
        return {"fvd": result.value}
    return {
        "fvd": result.value,
        "fvd_ci_low": result.ci_low,
        "fvd_ci_high": result.ci_high,
        "fvd_std_error": result.std_error,
        "fvd_interval_groups": float(result.interval_replicates),
    }


def evaluate(job: LoadedBenchmark, layout: ProcessLayout) -> BenchmarkResult | None:
    """Run the benchmark on this rank; rank 0 returns the result (the other ranks ``None``)."""
    if layout.is_main:
        write_csv(
            job.run_dir.captions, pd.DataFrame([{**_row(job, clip), "real": str(clip.real_path)} for clip in job.clips])
        )
    with tracked_run(
        job.job.spec.experiment,
        job.run_dir.root.name,
        job.params,
        tags={
            "random_weights": str(job.identity.random_weights).lower(),
            "benchmark": job.job.spec.name,
            "generator": job.identity.config["generator"]["label"],
            **job.job.tags,
        },
        enabled=layout.is_main,
        tracking_uri=job.job.tracking_uri,
        resume_key=str(job.run_dir.root.resolve()),  # a rerun of this folder continues its MLflow run
        identity=identity_of(job.identity.config),  # the settings the folder's config.json guards
    ) as mlflow_run:
        generated = generate_and_read_real(job, layout)
        layout.barrier()
        return finish(job, generated, mlflow_run) if layout.is_main else None


def finish(job: LoadedBenchmark, generated: int, mlflow_run: mlflow.ActiveRun | None) -> BenchmarkResult:
    """Rank 0, once every rank is done: the metrics and the per-video table from every cached feature file,
    gathered in id order, into the run folder and the active MLflow run, if any, tagged with the checksum of
    the real statistics (:func:`real_set_sha256`)."""
    ids = [clip.id for clip in job.clips]
    logits, scores = load_generated(job.run_dir.features(job.features_key), ids)
    real, skipped = (job.real, []) if isinstance(job.real, GaussianStats) else job.real.statistics(job.clips)
    clipsim = ClipSimAccumulator()
    clipsim.update([score["clipsim"] for score in scores])
    table = pd.DataFrame([_row(job, clip) for clip in job.clips])
    table.insert(3, "clipsim", [score["clipsim"] for score in scores])
    table.insert(4, "consistency", [to_percent(score["consistency"]) for score in scores])
    vbench, per_video = summarise_dimensions(job.dimensions, job.dimension_folders, ids)
    table = table.assign(**per_video)
    metrics = {
        **fvd_metrics(job, logits, real),
        "clipsim": clipsim.compute(),
        **vbench,
        "frame_consistency": float(table["consistency"].mean()),
        "num_videos": float(len(ids)),
        "num_real": float(real.count),
        "num_real_skipped": float(len(skipped)),
        "videos_generated": float(generated),
        "videos_reused": float(len(ids) - generated),
    }
    write_csv(job.run_dir.results, table)
    write_csv(job.run_dir.skipped_real, pd.DataFrame(skipped, columns=["clip_id", "path", "reason"]))
    comparison = comparison_table(metrics, job.job.spec.paper_table, job.identity.random_weights)
    if mlflow_run is not None:
        artifacts = [job.run_dir.captions, job.run_dir.results, job.run_dir.skipped_real, job.run_dir.config_file]
        log_results(metrics, table, comparison, job.job.generation.num_frames, artifacts)
        mlflow.set_tag("real_stats_sha256", real_set_sha256(real))
    for item in skipped:
        log.warning("skipped real video %s (%s): %s", item.clip_id, item.path, item.reason)
    return BenchmarkResult(
        output_dir=job.run_dir.root,
        metrics=metrics,
        comparison=comparison,
        random_weights=job.identity.random_weights,
        mlflow_run_id=None if mlflow_run is None else mlflow_run.info.run_id,
        params=job.params,
        report_command=report_command(mlflow_run),
        generator=job.identity.config["generator"]["label"],
    )


def load_generator(job: BenchmarkJob, device: torch.device, clip_ids: list[str]) -> VideoGenerator:
    """The job's generator on ``device`` (:func:`build_generator`), SimDA's videos upscaled with ``--sr``."""
    first = build_generator(
        job.generator, job.model, job.pipeline, job.generated_videos, job.generation, device, clip_ids
    )
    if job.upscaler is None:
        return first
    upscaler = load_model(job.upscaler, device=device)
    second = SimDAUpscalePipeline.from_upscaler(
        upscaler.model, upscaler.base, job.upscaler.decode_chunk, job.upscaler.unet_chunk
    )
    identity = {**weights_identity(upscaler.base, job.upscaler.sr_ckpt), "random_weights": upscaler.random_weights}
    return SuperResolvedGenerator(first, second, job.upscale, identity)


def build_generator(
    choice: str,
    model: ModelSettings,
    pipeline: str | None,
    generated_videos: Path | None,
    generation: GenerationSettings,
    device: torch.device,
    clip_ids: list[str],
) -> VideoGenerator:
    """The ``--generator`` on ``device``: SimDA (tiny or a local base, with its adapters), a diffusers pipeline
    (a local folder or a tiny random one) or a folder of videos (every id checked to have one); flags checked
    first by :func:`benchmarks.text_to_video_job.check_generator`."""
    if choice == "videos":
        return VideoFolderGenerator(generated_videos, clip_ids, generation.num_frames)
    dtype = resolve_dtype(model.dtype, device)
    if choice == "diffusers":
        if pipeline in TINY_PIPELINES:
            loaded_pipeline = build_tiny_generator(pipeline, device, dtype)
        else:
            loaded_pipeline = load_pipeline_folder(Path(pipeline), device, dtype)
        loaded_pipeline.latent_shape(generation)  # refuses a frame size its VAE cannot take, before any video
        return loaded_pipeline
    loaded = load_model(model, device=device)
    return SimDAGenerator(
        SimDAPipeline.from_base(loaded.base, loaded.model), loaded.base, model.ckpt, model.dtype, loaded.random_weights
    )


def read_real_set(job: BenchmarkJob, layout: ProcessLayout) -> RealSet:
    """The job's annotation file and videos (the tiny preset's cached synthetic set without them), and the
    sampled clips in id order."""
    annotations, videos = job.annotations, job.videos
    if annotations is None:
        # Rank 0 writes it once (or finds it written) and every rank reads that copy.
        written = synthetic_set(job.spec, job.synthetic_videos, synthetic_data_root()) if layout.is_main else None
        annotations, videos = layout.broadcast(written)
        log.info("tiny preset: synthetic %s dataset in its real format at %s", job.spec.name, annotations.parent)
    if videos is None:  # the annotation file names each video's path, relative to its own folder
        videos = Path(annotations).parent
    seed = job.evaluation.caption_seed
    clips = sample_clips(job.spec.read(annotations, videos, seed), job.num_videos, seed)
    return RealSet(Path(annotations), Path(videos), clips)


def run_identity(
    job: BenchmarkJob,
    data: RealSet,
    generator: VideoGenerator,
    nets: MetricNetworks,
    dimensions: list[LoadedDimension],
) -> RunIdentity:
    """The run's :class:`RunIdentity`; random weights are warned about here, once."""
    identity = generator.identity()
    log.info("generator: %s", identity["label"])
    config = {
        "benchmark": job.spec.name,
        "annotations_sha256": file_sha256(data.annotations),
        "caption_seed": job.evaluation.caption_seed,
        "generator": identity,
        "seed": job.evaluation.seed,
        **job.generation.as_params(),
    }
    run_dir = RunDir(job.output_dir or default_folder(job.spec.name, identity_of(config)))
    random_weights = generator.random_weights or nets.random_weights or any(d.random_weights for d in dimensions)
    if random_weights:
        log.warning(
            "%s (generator: %s, I3D: %s, CLIP: %s)",
            RANDOM_WEIGHTS_BANNER,
            identity["label"],
            job.i3d or "random",
            job.clip_ckpt or "random",
        )
    return RunIdentity(config, run_dir, random_weights)


def real_statistics(
    job: BenchmarkJob, config: dict[str, Any], run_protocol: FVDProtocol
) -> RealFeatureCache | GaussianStats:
    """The real set's statistics: the given ``--real-stats``, or the feature cache keyed by everything that
    decides a real clip's features (the annotation file, the resize, the frame size, the protocol's features)."""
    if job.real_stats is not None:
        return GaussianStats.load(job.real_stats)
    real_key: dict[str, Any] = {
        "benchmark": job.spec.name,
        "annotations_sha256": config["annotations_sha256"],
        "real_resize": REAL_RESIZE,
        "height": job.video_size[0],
        "width": job.video_size[1],
        **run_protocol.feature_params(),  # statistics choices (covariance divisor, square root) come later
    }
    return RealFeatureCache(job.real_cache_dir, real_key)


def run_params(
    job: BenchmarkJob,
    data: RealSet,
    identity: RunIdentity,
    nets: MetricNetworks,
    dimensions: list[LoadedDimension],
    world_size: int,
    run_protocol: FVDProtocol,
) -> dict[str, Any]:
    """Everything the MLflow run records about how its numbers were made."""
    evaluation = job.evaluation
    return {
        **identity.config,
        "annotations": str(data.annotations.resolve()),
        "videos": str(data.videos.resolve()),
        "num_videos": len(data.clips),
        "ckpt": str(Path(job.model.ckpt).resolve()) if job.model.ckpt else "none",
        "random_weights": identity.random_weights,
        "seed_rule": "sha256('video/<seed>/<clip id>')[:8] as int",
        "real_resize": REAL_RESIZE,
        "real_stats": str(job.real_stats or "computed"),
        "clip": nets.clip_params,
        "batch_size": evaluation.batch_size,
        "world_size": world_size,
        "out": str(identity.run_dir.root.resolve()),
        "fvd.interval_groups": evaluation.fvd_interval,
        "fvd.interval_method": "grouped jackknife, Student-t" if evaluation.fvd_interval else "none",
        **run_protocol.as_params(),
        "vbench": {loaded.name: loaded.params for loaded in dimensions},
    }


def load_benchmark(job: BenchmarkJob, layout: ProcessLayout) -> LoadedBenchmark:
    """Read the clips, load the metric networks, check every input and output (the preflight), then
    load the model: everything that can fail fails before the first video is generated."""
    data = read_real_set(job, layout)
    device = layout.device(job.model.device)
    ids = [clip.id for clip in data.clips]
    # A folder of videos is checked for every evaluated id now, before any network loads.
    early = load_generator(job, device, ids) if job.generator == "videos" else None
    evaluation = job.evaluation
    protocol = get_protocol(evaluation.fvd_protocol)
    frame_selection = real_frame_selection(evaluation, protocol, FPS)  # refuses before any network
    nets = load_metric_networks(
        job.i3d, job.clip_ckpt, evaluation.clip_model, device, protocol, clip_pretrained=evaluation.clip_pretrained
    )
    dimensions = load_dimensions(evaluation.vbench_dimensions, evaluation, job.clip_ckpt, device, job.model.tiny, FPS)

    def preflight() -> None:
        """Rank 0's checks: real videos, writable folders, networks, VBench networks, tracking store."""
        real = (None, None) if job.real_stats is not None else (data.clips, data.videos)
        folders = [("--output-dir", job.output_dir or DEFAULT_ROOT), ("--cache-dir", job.real_cache_dir)]
        frames, i3d = job.generation.num_frames, str(job.i3d or "random")
        report = run_preflight(*real, frames, job.video_size, folders, nets, str(device), i3d, job.tracking_uri)
        log.info("%s", report.format())
        for line in probe_dimensions(dimensions, job.video_size):
            log.info("%s", line)

    on_main_rank(layout, preflight, UsageError)  # every rank stops together on its failure, before any model loads
    generator = early or load_generator(job, device, ids)
    identity = run_identity(job, data, generator, nets, dimensions)
    run_protocol = protocol.for_run(
        detector_sha256=nets.i3d_sha256, num_frames=job.generation.num_frames, frame_sampling=frame_selection.describe()
    )
    return LoadedBenchmark(
        job=job,
        clips=data.clips,
        generator=generator,
        device=str(device),
        nets=nets,
        identity=identity,
        features_key=identity_of({**run_protocol.feature_params(), **nets.clip_params}),
        real=real_statistics(job, identity.config, run_protocol),
        params=run_params(job, data, identity, nets, dimensions, layout.world_size, run_protocol),
        frame_selection=frame_selection,
        dimensions=dimensions,
    )


def probe_dimensions(dimensions: list[LoadedDimension], size: tuple[int, int]) -> list[str]:
    """The preflight of each dimension's network: it scores a three-frame grey clip of the run's size (motion
    smoothness interpolates one frame between two), so a network that cannot take these videos stops the run
    before the first one is generated."""
    probe = torch.full((3, *size, 3), 128, dtype=torch.uint8)
    lines = []
    for loaded in dimensions:
        try:
            loaded.dimension.video_state(probe)
        except (ValueError, RuntimeError) as exc:
            raise InvalidSetting(f"--metrics {loaded.name} cannot score {size[0]}x{size[1]} videos: {exc}") from exc
        lines.append(f"vbench        {loaded.name} scores a test clip ({loaded.params})")
    return lines
