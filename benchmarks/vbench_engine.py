"""The work behind ``python -m benchmarks.vbench``: load and check everything, then :class:`SuiteRun` scores.

Everything that can fail (the prompt file, a weight file, a network that cannot take the frame size,
the generator's folder) fails before the first video is made. The generator, the dimensions' loading
and probing and the run-folder naming are the text-to-video benchmarks' own.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mlflow

from benchmarks.rundir import config_hash
from benchmarks.text_to_video_engine import build_generator, probe_dimensions
from benchmarks.vbench_job import VBenchJob, VBenchResult
from benchmarks.vbench_scoring import load_dimensions
from benchmarks.vbench_suite import SuiteRun, read_suite, sample_prompts, suite_videos, write_synthetic
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.content_cache import synthetic_data_root
from simda.plumbing.distributed import ProcessLayout, process_group
from simda.plumbing.identity import default_folder
from simda.plumbing.tracking import tracked_run
from simda.settings import FPS, TINY_SUITE_PROMPTS

log = logging.getLogger("benchmarks")


def suite_file(job: VBenchJob, layout: ProcessLayout) -> Path:
    """``--full-info``, or the synthetic suite file rank 0 writes for the tiny preset (every rank reads that one)."""
    if job.suite.full_info is not None:
        return Path(job.suite.full_info)
    folder = synthetic_data_root() / "vbench"
    path = layout.broadcast(write_synthetic(folder, TINY_SUITE_PROMPTS) if layout.is_main else None)
    log.info("tiny preset: a synthetic VBench suite file in its real format at %s", path)
    return path


def loggable_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """The generator's identity for MLflow: a videos folder's per-file checksums (keyed by VBench's file names,
    whose commas and quotes MLflow refuses in a parameter name) as one hash; config.json keeps each file's."""
    per_file = identity.get("videos_sha256")
    if per_file is None:
        return identity
    return {**identity, "videos_sha256": f"{len(per_file)} files, config hash {config_hash(per_file)}"}


def run_suite(job: VBenchJob) -> VBenchResult | None:
    """Load, check, then make and score this rank's videos; rank 0 returns the table and logs it to MLflow."""
    with process_group() as layout:
        path = suite_file(job, layout)
        suite = read_suite(path, job.suite.dimension_names)
        prompts = sample_prompts(suite.prompts, job.suite.num_prompts, job.evaluation.seed)
        videos = suite_videos(prompts, job.suite.videos_per_prompt)
        device = layout.device(job.model.device)
        # random under --preset tiny; each probed on a clip of the run's frame size
        dimensions = load_dimensions(
            job.suite.dimension_names, job.evaluation, job.clip_ckpt, device, job.model.tiny, FPS
        )
        for line in probe_dimensions(dimensions, (job.generation.height, job.generation.width)):
            log.info("%s", line)
        ids = [video.id for video in videos]
        generator = build_generator(
            job.generator, job.model, job.pipeline, job.generated_videos, job.generation, device, ids
        )
        suite_run = SuiteRun(Path(), generator, job.generation, job.evaluation.seed, job.evaluation.batch_size, FPS)
        config = suite_run.config(suite.sha256)
        suite_run.root = job.output_dir or default_folder("vbench", config_hash(config))
        random_weights = generator.random_weights or any(loaded.random_weights for loaded in dimensions)
        if random_weights:
            log.warning("WARNING: %s", RANDOM_WEIGHTS_BANNER)
        label = generator.identity()["label"]
        params = {
            **config,
            "generator": loggable_identity(config["generator"]),
            "suite_file": str(path.resolve()),
            "suite_sha256": suite.sha256,
            "suite_is_vbench_release": suite.is_vbench_release,
            "num_prompts": len(prompts),
            "videos_per_prompt": job.suite.videos_per_prompt,
            "num_videos": len(videos),
            "seed_rule": "sha256('video/<seed>/<prompt>-<index>')[:8] as int",
            "batch_size": job.evaluation.batch_size,
            "world_size": layout.world_size,
            "random_weights": random_weights,
            "out": str(suite_run.root.resolve()),
            "vbench": {loaded.name: loaded.params for loaded in dimensions},
        }
        tags = {"random_weights": str(random_weights).lower(), "benchmark": "vbench", "generator": label}
        with tracked_run(
            "vbench",
            suite_run.root.name,
            params,
            tags=tags,
            enabled=layout.is_main,
            tracking_uri=job.tracking_uri,
            resume_key=str(suite_run.root.resolve()),  # a rerun of this folder continues its MLflow run
            identity=config_hash(config),
        ) as mlflow_run:
            scores = suite_run.score(suite, videos, dimensions, layout)
            if scores is None:
                return None
            if mlflow_run is not None:
                mlflow.log_metrics({f"vbench_{name}": score for name, score in scores.items()})
            return VBenchResult(
                output_dir=suite_run.root,
                scores=scores,
                videos={name: sum(name in video.dimensions for video in videos) for name in scores},
                suite_file=path,
                suite_sha256=suite.sha256,
                random_weights=random_weights,
                generator=label,
                mlflow_run_id=None if mlflow_run is None else mlflow_run.info.run_id,
                params=params,
            )
