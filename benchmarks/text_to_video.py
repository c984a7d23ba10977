"""What every text-to-video benchmark command (``benchmarks.msrvtt``, ``benchmarks.webvid``, ``benchmarks.custom``,
each an entry of :mod:`benchmarks.registry`, run by :mod:`benchmarks.text_to_video_engine`) shares: its flags,
how they become a job and how that job runs. ``--preset tiny`` without data or weights runs a synthetic set in
the benchmark's real format through tiny random networks: the numbers prove the machinery, not the model.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from functools import partial

from benchmarks.registry import BenchmarkSpec
from benchmarks.text_to_video_job import BenchmarkJob, BenchmarkResult
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.options import add_group, add_options, construct, from_args, values
from simda.settings import (
    BenchmarkDataSettings,
    BenchmarkOutputSettings,
    EvaluationSettings,
    GenerationSettings,
    GeneratorChoice,
    MetricWeightSettings,
    ModelSettings,
    OverlapSettings,
    TrackingSettings,
    preset_defaults,
    preset_for,
)
from simda.sr.flags import add_sr_options, make_sr_settings


def run(job: BenchmarkJob) -> BenchmarkResult | None:
    """Generate, score and log inside torchrun's process group (or as one process), the run folder locked for the
    duration so two runs never generate the same videos; rank 0 returns the result, other torchrun ranks ``None``."""
    from benchmarks.text_to_video_engine import evaluate, load_benchmark
    from simda.plumbing.distributed import process_group

    with process_group() as layout:
        loaded = load_benchmark(job, layout)
        with loaded.run_dir.exclusive(layout):
            loaded.run_dir.claim(loaded.identity.config, write=layout.is_main)
            return evaluate(loaded, layout)


def build_parser(spec: BenchmarkSpec, doc: str | None) -> argparse.ArgumentParser:
    parser = new_parser(spec.command, doc)
    add_group(parser, "model", GeneratorChoice, ModelSettings)
    add_group(
        parser,
        "data",
        BenchmarkDataSettings,
        only=("annotations", "videos") if spec.videos_required else ("annotations",),
        override={"annotations": {"flag": spec.annotation_flag, "help": spec.annotation_help}},
    )
    if not spec.videos_required:
        parser.set_defaults(videos=None)  # the annotation file names each real video's path
    evaluation = add_group(parser, "evaluation", EvaluationSettings, presets=preset_defaults("evaluation"))
    add_options(evaluation, MetricWeightSettings, {})
    add_options(evaluation, BenchmarkDataSettings, {}, only=("real_stats",))
    add_options(evaluation, OverlapSettings, {})
    add_group(parser, "generation", GenerationSettings, presets=preset_defaults("generation"))
    add_sr_options(parser)
    add_group(
        parser,
        "output",
        BenchmarkOutputSettings,
        TrackingSettings,
        override={"output_dir": {"help": f"run folder (default runs/{spec.name}-<settings hash>)"}},
    )
    return parser


def make_job(spec: BenchmarkSpec, args: argparse.Namespace) -> BenchmarkJob:
    model = construct(ModelSettings, args)
    preset = preset_for(model)
    generation = from_args(preset.generation, args)
    upscaler, upscale = make_sr_settings(args, model, generation)
    groups = (GeneratorChoice, BenchmarkDataSettings, MetricWeightSettings, BenchmarkOutputSettings, TrackingSettings)
    return BenchmarkJob(
        spec=spec,
        model=model,
        generation=generation,
        upscaler=upscaler,
        upscale=upscale,
        evaluation=from_args(preset.evaluation, args),
        synthetic_videos=preset.synthetic_videos,
        overlap=construct(OverlapSettings, args),
        **values(args, *groups),
    )


def main(spec: BenchmarkSpec, doc: str | None, argv: Sequence[str] | None = None) -> int:
    """A benchmark command's ``main``: its spec's parser and job builder around :func:`run`."""
    return run_command(build_parser(spec, doc), partial(make_job, spec), run, argv)


def command(
    spec: BenchmarkSpec, doc: str | None
) -> tuple[
    Callable[[BenchmarkJob], BenchmarkResult | None],
    Callable[[], argparse.ArgumentParser],
    Callable[[argparse.Namespace], BenchmarkJob],
    Callable[..., int],
]:
    """``run, build_parser, make_job, main`` of ``python -m benchmarks.<name>``, bound to its spec and ``--help``."""
    return run, partial(build_parser, spec, doc), partial(make_job, spec), partial(main, spec, doc)
