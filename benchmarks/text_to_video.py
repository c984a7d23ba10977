"""What every text-to-video benchmark command (``benchmarks.msrvtt``, ``benchmarks.webvid``, ``benchmarks.custom``,
each an entry of :mod:`benchmarks.registry`) shares: the job, its flags and its result.

Each generates one video per caption of a real evaluation set, then scores FVD, CLIPSIM and frame
consistency against the real videos (the engine: :mod:`benchmarks.text_to_video_engine`). They
differ only in their data format and the paper's table, which their :class:`BenchmarkSpec` in
:mod:`benchmarks.registry` names.

Every input is checked before any model loads, so a typo costs a second, not an hour of
generation. ``--preset tiny`` with no dataset or weights builds a synthetic dataset in the
benchmark's real format, the tiny random model and tiny random metric networks: the numbers
prove the machinery, not the model.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.registry import BenchmarkSpec
from simda.plumbing.cli import new_parser
from simda.plumbing.errors import InvalidSetting, MissingInput
from simda.plumbing.options import add_options, construct, from_args
from simda.settings import (
    PRESETS,
    UPSCALE_FACTOR,
    EvaluationSettings,
    GenerationSettings,
    ModelSettings,
    UpscalerModelSettings,
    UpscaleSettings,
    preset_for,
    require_fvd_frames,
)
from simda.sr.flags import add_sr_options, check_upscaler_input, make_sr_settings

#: ``--generator`` choices: this project's model, a diffusers pipeline folder, or videos made elsewhere.
GENERATORS = ("simda", "diffusers", "videos")
#: ``--pipeline`` names that build a tiny random pipeline of the real diffusers class (with ``--preset tiny``).
TINY_PIPELINES = ("tiny-animatediff", "tiny-modelscope")


@dataclass(frozen=True)
class BenchmarkJob:
    """One benchmark invocation, fully described and validated before anything heavy happens."""

    spec: BenchmarkSpec
    model: ModelSettings
    generation: GenerationSettings
    evaluation: EvaluationSettings
    annotations: Path | None = None
    videos: Path | None = None
    i3d: Path | None = None
    clip_ckpt: Path | None = None
    real_stats: Path | None = None
    output_dir: Path | None = None
    cache_dir: Path | None = None
    tracking_uri: str | None = None
    synthetic_videos: int | None = None
    generator: str = "simda"
    pipeline: str | None = None
    generated_videos: Path | None = None
    upscaler: UpscalerModelSettings | None = None  # --sr: SimDA's videos upscaled 4x before scoring
    upscale: UpscaleSettings | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_fvd_frames(self.generation.num_frames)
        self._check_generator()
        if self.upscaler is not None:
            if self.generator != "simda":
                raise InvalidSetting(f"--sr upscales SimDA's videos; it does not apply to --generator {self.generator}")
            check_upscaler_input(self.upscaler, self.upscale, self.generation)
        data = {self.spec.annotation_flag: (self.annotations, self.spec.annotation_help)}
        if self.spec.videos_required:  # else the annotation file names each video's path
            data["--videos"] = (self.videos, "the folder of real videos")
        required = {
            **data,
            "--i3d": (self.i3d, "the I3D weights file"),
            "--clip-ckpt": (self.clip_ckpt, "a local open_clip checkpoint"),
        }
        for flag, (path, what) in required.items():
            if path is None and not self.model.tiny:
                raise InvalidSetting(f"{flag} is required (without --preset tiny): pass {what}")
        if len({path is None for path, _ in data.values()}) > 1:
            raise InvalidSetting(f"pass both {' and '.join(data)}, or neither for the synthetic tiny dataset")
        if self.annotations is None and self.synthetic_videos is None:
            raise InvalidSetting(f"{' and '.join(data)} {'are' if len(data) > 1 else 'is'} required")
        optional = {"--real-stats": (self.real_stats, "a .npz saved by GaussianStats.save")}
        for flag, (path, what) in {**required, **optional}.items():
            if path is not None and not Path(path).exists():
                raise MissingInput(f"{flag} {path}: not found; pass {what}")

    def _check_generator(self) -> None:
        """The flags of the chosen ``--generator`` are given, and no other generator's flags are."""
        if self.generator not in GENERATORS:
            raise InvalidSetting(f"--generator {self.generator!r}: choose one of {', '.join(GENERATORS)}")
        foreign = {
            "--pipeline": self.pipeline is not None and self.generator != "diffusers",
            "--generated-videos": self.generated_videos is not None and self.generator != "videos",
            "--base": self.model.base is not None and self.generator != "simda",
            "--ckpt": self.model.ckpt is not None and self.generator != "simda",
        }
        for flag, given in foreign.items():
            if given:
                raise InvalidSetting(f"{flag} does not apply to --generator {self.generator}; leave it out")
        if self.generator == "simda":
            self.model.require_model()
        if self.generator == "diffusers":
            if self.pipeline is None:
                raise InvalidSetting(
                    "--generator diffusers needs --pipeline: a local diffusers pipeline folder, or "
                    f"{' / '.join(TINY_PIPELINES)} with --preset tiny"
                )
            if self.pipeline in TINY_PIPELINES:
                if not self.model.tiny:
                    raise InvalidSetting(f"--pipeline {self.pipeline} is a tiny random pipeline: add --preset tiny")
            elif not (Path(self.pipeline) / "model_index.json").is_file():
                raise MissingInput(
                    f"--pipeline {self.pipeline}: not a diffusers pipeline folder (no model_index.json); pass the "
                    f"folder save_pretrained wrote, or one of {', '.join(TINY_PIPELINES)} with --preset tiny"
                )
        if self.generator == "videos":
            if self.generated_videos is None:
                raise InvalidSetting(
                    "--generator videos needs --generated-videos: a folder of <clip id>.mp4 or an id,path CSV"
                )
            if not Path(self.generated_videos).exists():
                raise MissingInput(
                    f"--generated-videos {self.generated_videos}: not found; pass a folder of <clip id>.mp4 "
                    "or an id,path CSV"
                )

    @property
    def video_size(self) -> tuple[int, int]:
        """Height and width of the scored videos (4x the generated size with --sr); real clips are fitted to it."""
        scale = UPSCALE_FACTOR if self.upscaler is not None else 1
        return self.generation.height * scale, self.generation.width * scale

    @property
    def runs_root(self) -> Path:
        """The folder the run folder is in: the real-feature cache and the tiny sets sit beside it."""
        return self.output_dir.parent if self.output_dir else Path("runs")

    @property
    def num_videos(self) -> int | None:
        """The sample size: the flag, else the whole synthetic set (tiny), else the paper's count."""
        if self.evaluation.num_videos is not None:
            return self.evaluation.num_videos
        return None if self.annotations is None else self.spec.default_num_videos


@dataclass
class BenchmarkResult:
    """Rank 0's numbers, the comparison with the paper, and where everything went."""

    output_dir: Path
    metrics: dict[str, float]
    comparison: Any  # pandas.DataFrame: ours beside the paper's SimDA row
    random_weights: bool
    mlflow_run_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    report_command: str | None = None
    generator: str = "SimDA"  # the generator's label: what made the videos

    def summary(self) -> str:
        note = "\nRANDOM WEIGHTS: these numbers prove the machinery, not the model" if self.random_weights else ""
        counts = ", ".join(f"{k} {int(self.metrics[k])}" for k in ("num_videos", "num_real", "num_real_skipped"))
        if "fvd_ci_low" in self.metrics:
            counts += f"; FVD 95% interval [{self.metrics['fvd_ci_low']:.2f}, {self.metrics['fvd_ci_high']:.2f}]"
        report = f"\nreport: {self.report_command}" if self.report_command else ""
        return f"generator: {self.generator}\n{self.comparison.to_string(index=False)}\n{counts}{note}{report}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "metrics": self.metrics,
            "random_weights": self.random_weights,
            "mlflow_run_id": self.mlflow_run_id,
            "params": self.params,
        }


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
    if spec.videos_required:
        data.add_argument("--videos", type=Path, help="folder of the real videos (the one holding the mp4 files)")
    else:
        parser.set_defaults(videos=None)  # the annotation file names each real video's path
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
