"""What ``benchmarks.msrvtt`` and ``benchmarks.webvid`` share: their flags and how they become a job.

Both generate one video per caption of a real evaluation set, then score FVD, CLIPSIM and frame
consistency against the real videos (the engine: :mod:`benchmarks.text_to_video_engine`). They
differ only in their data format and the paper's table, which a :class:`BenchmarkSpec` names.

Every input is checked before any model loads, so a typo costs a second, not an hour of
generation. ``--preset tiny`` with no dataset or weights builds a synthetic dataset in the
benchmark's real format, the tiny random model and tiny random metric networks: the numbers
prove the machinery, not the model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.text_to_video_job import (
    GENERATORS,
    TINY_PIPELINES,
    BenchmarkJob,
    BenchmarkResult,
    BenchmarkSpec,
)
from simda.plumbing.cli import new_parser
from simda.plumbing.options import add_options, construct, from_args
from simda.settings import PRESETS, EvaluationSettings, GenerationSettings, ModelSettings, preset_for
from simda.sr.flags import add_sr_options, make_sr_settings


def run(job: BenchmarkJob) -> BenchmarkResult | None:
    """Generate, score and log; rank 0 returns the result, other torchrun ranks ``None``."""
    from benchmarks.text_to_video_engine import run_benchmark

    return run_benchmark(job)


def build_parser(spec: BenchmarkSpec, doc: str | None) -> argparse.ArgumentParser:
    parser = new_parser(f"python -m benchmarks.{spec.name}", doc)
    model = parser.add_argument_group("model")
    model.add_argument(
        "--generator",
        choices=GENERATORS,
        default="simda",
        help="what makes the videos: simda (--preset tiny or --base), diffusers (--pipeline) or videos "
        "(--generated-videos) (default simda)",
    )
    model.add_argument(
        "--pipeline",
        help=f"--generator diffusers: a local diffusers pipeline folder, or {' / '.join(TINY_PIPELINES)} "
        "with --preset tiny (random weights)",
    )
    model.add_argument(
        "--generated-videos",
        type=Path,
        help="--generator videos: a folder of <clip id>.mp4, or a CSV with columns id and path",
    )
    add_options(model, ModelSettings, {})
    data = parser.add_argument_group("data")
    data.add_argument(spec.annotation_flag, dest="annotations", type=Path, help=spec.annotation_help)
    data.add_argument("--videos", type=Path, help="folder of the real videos (the one holding the mp4 files)")
    evaluation = parser.add_argument_group("evaluation")
    add_options(evaluation, EvaluationSettings, {name: preset.evaluation for name, preset in PRESETS.items()})
    evaluation.add_argument("--i3d", type=Path, help="I3D weights: i3d_pretrained_400.pt or i3d_torchscript.pt")
    evaluation.add_argument("--clip-ckpt", type=Path, help="local open_clip checkpoint (OpenAI ViT-B/32)")
    evaluation.add_argument("--real-stats", type=Path, help="precomputed real-video GaussianStats (.npz) to use")
    generation = parser.add_argument_group("generation")
    add_options(generation, GenerationSettings, {name: preset.generation for name, preset in PRESETS.items()})
    add_sr_options(parser)
    output = parser.add_argument_group("output")
    output.add_argument(
        "--output-dir", "--out", type=Path, help=f"run folder (default runs/{spec.name}-<settings hash>)"
    )
    output.add_argument("--cache-dir", type=Path, help="real-video feature cache (default <output-dir>/../real-cache)")
    output.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    return parser


def make_job(spec: BenchmarkSpec, args: argparse.Namespace) -> BenchmarkJob:
    model = construct(ModelSettings, args)
    preset = preset_for(model)
    generation = from_args(preset.generation, args)
    upscaler, upscale = make_sr_settings(args, model, generation)
    return BenchmarkJob(
        spec=spec,
        model=model,
        generation=generation,
        upscaler=upscaler,
        upscale=upscale,
        evaluation=from_args(preset.evaluation, args),
        annotations=args.annotations,
        videos=args.videos,
        i3d=args.i3d,
        clip_ckpt=args.clip_ckpt,
        real_stats=args.real_stats,
        output_dir=args.output_dir,
        cache_dir=args.cache_dir,
        tracking_uri=args.tracking_uri,
        synthetic_videos=preset.synthetic_videos,
        generator=args.generator,
        pipeline=args.pipeline,
        generated_videos=args.generated_videos,
    )
