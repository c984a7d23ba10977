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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.text_to_video_job import check_generator
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting
from simda.plumbing.options import add_group, add_options, construct, from_args, values
from simda.settings import (
    PRESETS,
    BenchmarkOutputSettings,
    EvaluationSettings,
    GenerationSettings,
    GeneratorChoice,
    MetricWeightSettings,
    ModelSettings,
    TrackingSettings,
    VBenchSuiteSettings,
    preset_for,
)

#: The weight flags of the dimensions (the EvaluationSettings fields ``benchmarks.vbench_scoring`` reads).
DIMENSION_WEIGHTS = ("dino_ckpt", "raft_ckpt", "aesthetic_head", "clip_l14_ckpt", "amt_ckpt", "musiq_ckpt")


@dataclass(frozen=True)
class VBenchJob:
    """One suite run, fully described and checked before anything heavy loads."""

    model: ModelSettings
    generation: GenerationSettings
    evaluation: EvaluationSettings  # the seed, the batch size and the dimensions' weight files
    suite: VBenchSuiteSettings
    generator: str = "simda"
    pipeline: str | None = None
    generated_videos: Path | None = None
    clip_ckpt: Path | None = None
    output_dir: Path | None = None
    tracking_uri: str | None = None

    def __post_init__(self) -> None:
        check_generator(self.generator, self.model, self.pipeline, self.generated_videos)
        if self.suite.full_info is None and not self.model.tiny:
            raise InvalidSetting(
                "--full-info is required (without --preset tiny): pass VBench_full_info.json or a .txt of prompts"
            )

    @property
    def runs_root(self) -> Path:
        """The folder the run folder is in (the tiny preset's synthetic suite file sits beside it)."""
        return self.output_dir.parent if self.output_dir else Path("runs")


@dataclass
class VBenchResult:
    """Rank 0's table: VBench's score and the number of videos per dimension, and where everything went."""

    output_dir: Path
    scores: dict[str, float]
    videos: dict[str, int]
    suite_file: Path
    suite_sha256: str
    random_weights: bool
    generator: str
    mlflow_run_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        rows = [f"{'dimension':<24}{'score':>10}{'videos':>8}"]
        rows += [f"{name:<24}{score:>10.6f}{self.videos[name]:>8}" for name, score in self.scores.items()]
        note = f"\n{RANDOM_WEIGHTS_BANNER}" if self.random_weights else ""
        head = f"generator: {self.generator}\nsuite: {self.suite_file} (sha256 {self.suite_sha256})"
        return f"{head}\n" + "\n".join(rows) + note

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "metrics": {f"vbench_{name}": score for name, score in self.scores.items()},
            "videos": self.videos,
            "suite_file": str(self.suite_file),
            "suite_sha256": self.suite_sha256,
            "random_weights": self.random_weights,
            "mlflow_run_id": self.mlflow_run_id,
            "params": self.params,
        }


def run(job: VBenchJob) -> VBenchResult | None:
    """Make, score and log; rank 0 returns the table, other torchrun ranks ``None``."""
    from benchmarks.vbench_engine import run_suite

    return run_suite(job)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.vbench", __doc__)
    add_group(parser, "model", GeneratorChoice, ModelSettings)
    add_group(parser, "suite", VBenchSuiteSettings, presets={n: p.vbench_suite for n, p in PRESETS.items()})
    evaluation = add_group(
        parser,
        "evaluation",
        EvaluationSettings,
        presets={n: p.evaluation for n, p in PRESETS.items()},
        only=("seed", "batch_size", *DIMENSION_WEIGHTS),
    )
    add_options(evaluation, MetricWeightSettings, {}, only=("clip_ckpt",))
    add_group(parser, "generation", GenerationSettings, presets={n: p.generation for n, p in PRESETS.items()})
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
    return VBenchJob(
        model=model,
        generation=from_args(preset.generation, args),
        evaluation=from_args(preset.evaluation, args),
        suite=from_args(preset.vbench_suite, args),
        generator=given["generator"],
        pipeline=given["pipeline"],
        generated_videos=given["generated_videos"],
        clip_ckpt=given["clip_ckpt"],
        output_dir=given["output_dir"],
        tracking_uri=given["tracking_uri"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
