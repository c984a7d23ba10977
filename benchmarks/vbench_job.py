"""The VBench suite command's job and result: light types that the command and its engine both import.

Kept apart from :mod:`benchmarks.vbench` (the flags) and :mod:`benchmarks.vbench_suite` (the work) so
neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from benchmarks.text_to_video_job import check_generator
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.errors import InvalidSetting
from simda.settings import EvaluationSettings, GenerationSettings, ModelSettings, VBenchSuiteSettings

#: The VBench dimensions' weight files: EvaluationSettings field (or benchmark job field) -> its flag.
WEIGHT_FLAGS = {"clip_ckpt": "--clip-ckpt"} | {
    setting.name: setting.metadata["flag"]
    for setting in fields(EvaluationSettings)
    if setting.name in ("dino_ckpt", "raft_ckpt", "aesthetic_head", "clip_l14_ckpt", "amt_ckpt", "musiq_ckpt")
}


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
