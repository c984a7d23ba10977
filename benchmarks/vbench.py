"""``python -m benchmarks.vbench``: VBench's own prompt suite, scored per dimension, for any generator.

    python -m benchmarks.vbench --preset tiny
    python -m benchmarks.vbench --base ./stable-diffusion-v1-5 --ckpt simda-adapters.safetensors \\
        --full-info VBench_full_info.json --dino-ckpt dino_vitbase16_pretrain.pth --clip-ckpt ViT-B-32.bin ...
    torchrun --nproc_per_node=8 -m benchmarks.vbench ...   (same table, eight times faster)
    python -m benchmarks.vbench --generator diffusers --pipeline ./animatediff --full-info ...
    python -m benchmarks.vbench --generator videos --generated-videos ./my-videos --full-info ...
        (<prompt>-<index>.mp4 as VBench names them, or an id,path CSV)

Makes (or reads) --videos-per-prompt videos per prompt of the suite file, scores each dimension over
the videos of the prompts that list it, prints VBench's score and the number of videos per dimension,
writes result.json and logs one MLflow run (the suite file's sha256 among its params). A rerun of the
same command reuses every video and score on disk. The suite itself: :mod:`benchmarks.vbench_suite`.

Not an entry of :mod:`benchmarks.registry`: the registry's benchmarks generate one video per caption
of a set of real videos and compare the two (FVD, CLIPSIM); this suite has no real videos, several
videos per prompt and a different score per prompt group, so none of the registry's fields fit it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks.vbench_job import WEIGHT_FLAGS, VBenchJob, VBenchResult
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.options import add_group, add_options, construct, from_args, values
from simda.settings import (
    BenchmarkOutputSettings,
    EvaluationSettings,
    GenerationSettings,
    GeneratorChoice,
    MetricWeightSettings,
    ModelSettings,
    TrackingSettings,
    VBenchSuiteSettings,
    preset_defaults,
    preset_for,
)


def run(job: VBenchJob) -> VBenchResult | None:
    """Make, score and log; rank 0 returns the table, other torchrun ranks ``None``."""
    from benchmarks.vbench_suite import run_suite

    return run_suite(job)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.vbench", __doc__)
    add_group(parser, "model", GeneratorChoice, ModelSettings)
    add_group(parser, "suite", VBenchSuiteSettings, presets=preset_defaults("vbench_suite"))
    evaluation = add_group(
        parser,
        "evaluation",
        EvaluationSettings,
        presets=preset_defaults("evaluation"),
        only=("seed", "batch_size", *(name for name in WEIGHT_FLAGS if name != "clip_ckpt")),
    )
    add_options(evaluation, MetricWeightSettings, {}, only=("clip_ckpt",))
    add_group(parser, "generation", GenerationSettings, presets=preset_defaults("generation"))
    add_group(
        parser,
        "output",
        BenchmarkOutputSettings,
        TrackingSettings,
        only=("output_dir", "tracking_uri"),
        override={"output_dir": {"help": "run folder (default runs/vbench-<settings hash>)"}},
    )
    return parser


def make_job(args: argparse.Namespace) -> VBenchJob:
    model = construct(ModelSettings, args)
    preset = preset_for(model)
    given = values(args, GeneratorChoice, MetricWeightSettings, BenchmarkOutputSettings, TrackingSettings)
    flat = ("generator", "pipeline", "generated_videos", "clip_ckpt", "output_dir", "tracking_uri")  # the flags it has
    return VBenchJob(
        model=model,
        generation=from_args(preset.generation, args),
        evaluation=from_args(preset.evaluation, args),
        suite=from_args(preset.vbench_suite, args),
        **{name: given[name] for name in flat},
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
