"""The text-to-video benchmarks' job and result: light types that the command and the engine both import.

Kept apart from :mod:`benchmarks.text_to_video` (the flags) and
:mod:`benchmarks.text_to_video_engine` (the work) so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.registry import BenchmarkSpec
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.errors import InvalidSetting, MissingInput
from simda.plumbing.identity import DEFAULT_ROOT
from simda.settings import (
    GENERATORS,
    TINY_PIPELINES,
    UPSCALE_FACTOR,
    EvaluationSettings,
    GenerationSettings,
    ModelSettings,
    OverlapSettings,
    UpscalerModelSettings,
    UpscaleSettings,
    require_fvd_frames,
)
from simda.sr.flags import check_upscaler_input


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
    overlap: OverlapSettings = field(default_factory=OverlapSettings)  # how, not what: outside the identity

    def __post_init__(self) -> None:
        require_fvd_frames(self.generation.num_frames)
        check_generator(self.generator, self.model, self.pipeline, self.generated_videos)
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

    @property
    def video_size(self) -> tuple[int, int]:
        """Height and width of the scored videos (4x the generated size with --sr); real clips are fitted to it."""
        scale = UPSCALE_FACTOR if self.upscaler is not None else 1
        return self.generation.height * scale, self.generation.width * scale

    @property
    def real_cache_dir(self) -> Path:
        """``--cache-dir``, else the real-feature cache beside the run folder."""
        return self.cache_dir or (self.output_dir.parent if self.output_dir else DEFAULT_ROOT) / "real-cache"

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
        note = f"\n{RANDOM_WEIGHTS_BANNER}" if self.random_weights else ""
        counts = ", ".join(f"{k} {int(self.metrics[k])}" for k in ("num_videos", "num_real", "num_real_skipped"))
        if "fvd_ci_low" in self.metrics:
            counts += f"; FVD 95% interval [{self.metrics['fvd_ci_low']:.2f}, {self.metrics['fvd_ci_high']:.2f}]"
        report = f"\nreport: {self.report_command}" if self.report_command else ""
        vbench = "".join(f"\n{k}: {v:.6f}" for k, v in self.metrics.items() if k.startswith("vbench_"))
        return f"generator: {self.generator}\n{self.comparison.to_string(index=False)}{vbench}\n{counts}{note}{report}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "metrics": self.metrics,
            "random_weights": self.random_weights,
            "mlflow_run_id": self.mlflow_run_id,
            "params": self.params,
        }


def check_generator(generator: str, model: ModelSettings, pipeline: str | None, generated_videos: Path | None) -> None:
    """The flags of the chosen ``--generator`` are given, and no other generator's flags are (every benchmark
    command that makes videos checks its flags with this)."""
    if generator not in GENERATORS:
        raise InvalidSetting(f"--generator {generator!r}: choose one of {', '.join(GENERATORS)}")
    foreign = {
        "--pipeline": pipeline is not None and generator != "diffusers",
        "--generated-videos": generated_videos is not None and generator != "videos",
        "--base": model.base is not None and generator != "simda",
        "--ckpt": model.ckpt is not None and generator != "simda",
    }
    for flag, given in foreign.items():
        if given:
            raise InvalidSetting(f"{flag} does not apply to --generator {generator}; leave it out")
    if generator == "simda":
        model.require_model()
    if generator == "diffusers":
        if pipeline is None:
            raise InvalidSetting(
                "--generator diffusers needs --pipeline: a local diffusers pipeline folder, or "
                f"{' / '.join(TINY_PIPELINES)} with --preset tiny"
            )
        if pipeline in TINY_PIPELINES:
            if not model.tiny:
                raise InvalidSetting(f"--pipeline {pipeline} is a tiny random pipeline: add --preset tiny")
        elif not (Path(pipeline) / "model_index.json").is_file():
            raise MissingInput(
                f"--pipeline {pipeline}: not a diffusers pipeline folder (no model_index.json); pass the "
                f"folder save_pretrained wrote, or one of {', '.join(TINY_PIPELINES)} with --preset tiny"
            )
    if generator == "videos":
        what = "a folder of <clip id>.mp4 or an id,path CSV"
        if generated_videos is None:
            raise InvalidSetting(f"--generator videos needs --generated-videos: {what}")
        if not Path(generated_videos).exists():
            raise MissingInput(f"--generated-videos {generated_videos}: not found; pass {what}")
