"""``python -m benchmarks.profile``: SimDA's cost against its floor and its peers, in one run.

    python -m benchmarks.profile --params-only --preset sd15   # Table 1 parameters, seconds, no GPU
    python -m benchmarks.profile                               # sd15 on a GPU, tiny on the CPU
    python -m benchmarks.profile --base ./stable-diffusion-v1-5 --frames 16 --size 256

Measured in one process, interleaved round by round, so ratios are fair: one denoising step
(classifier-free guidance, so batch 2) of SimDA, of the frozen 2D UNet on the same frames (the
floor), of diffusers' AnimateDiff and ModelScope UNets and of every ablation; one training step
(forward, backward, AdamW over the adapters) with and without gradient checkpointing, against the
2D UNet's forward and backward, with peak GPU memory; the temporal adapter's depth-wise conv
against ``nn.Conv3d``; a whole video (DDIM steps plus VAE decode); and one guided step of the
super-resolution stage (SimDA's x4 upscaler on those frames as its low-resolution input, against the
image upscaler frame by frame, with peak GPU memory; ``--params-only`` adds its adapter count); and the
kernels each inference step and training forward and backward launches (``torch.profiler``, any device: a
cost measure that does not depend on the machine). The GPU run issue 25 still needs is in
``benchmarks/results/README.md``. Results are printed,
written as text and PNG under ``--output-dir``, and logged to MLflow (experiment ``simda-profile``).
Weights are random unless ``--base`` is given: timings measure the architecture, not the model.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import MissingInput
from simda.plumbing.options import add_options, given
from simda.settings import DTYPES, PAPER, TINY, ProfileSettings

EXPERIMENT = "simda-profile"
MODEL_PRESETS = ("sd15", "tiny")


@dataclass(frozen=True)
class ProfileJob:
    """What to profile. ``preset`` None picks sd15 on a GPU (or with ``--base``) and tiny on a CPU."""

    preset: str | None = None
    base: Path | None = None
    device: str = "auto"
    dtype: str = "auto"
    shape_overrides: dict[str, Any] = field(default_factory=dict)
    params_only: bool = False
    output_dir: Path = Path("runs/profile")
    tracking_uri: str | None = None
    mlflow: bool = True

    def __post_init__(self) -> None:
        PAPER.profile.overlay(self.shape_overrides)  # refuses an invalid --size, --repeats, ... now
        if self.base is not None and not self.base.is_dir():
            raise MissingInput(f"--base {self.base}: not found; pass a local Stable Diffusion folder")


@dataclass
class ProfileResult:
    """What one profile produced, returned so callers (and tests) need not parse the printout."""

    text: str
    tables: dict[str, Any]  # name -> pandas.DataFrame
    metrics: dict[str, float]
    plot_path: Path | None
    output_dir: Path = Path("runs/profile")

    def summary(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        tables = {name: table.to_dict("records") for name, table in self.tables.items()}
        return {"metrics": self.metrics, "tables": tables}


def run(job: ProfileJob) -> ProfileResult:
    from benchmarks.profiling.runner import run_profile

    return run_profile(job)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.profile", __doc__)
    model = parser.add_argument_group("model")
    model.add_argument("--preset", choices=MODEL_PRESETS, help="model sizes (default: sd15 on a GPU, else tiny)")
    model.add_argument("--base", type=Path, help="local Stable Diffusion folder: real frozen weights, SD 1.5 sizes")
    model.add_argument("--device", default="auto", help="cuda, cuda:1, cpu or auto")
    model.add_argument("--dtype", default="auto", choices=DTYPES, help="fp16 on a GPU, fp32 on CPU")
    parser.add_argument("--params-only", action="store_true", help="print Table 1's parameter rows and stop")
    shapes = parser.add_argument_group("shapes and repeats")
    add_options(shapes, ProfileSettings, {"sd15": PAPER.profile, "tiny": TINY.profile})
    output = parser.add_argument_group("output")
    output.add_argument(
        "--output-dir", "--out", type=Path, default=Path("runs/profile"), help="folder for profile.txt and .png"
    )
    output.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    output.add_argument("--no-mlflow", action="store_true", help="print and write files only")
    return parser


def make_job(args: argparse.Namespace) -> ProfileJob:
    overrides = {name: value for name, value in given(args, ProfileSettings).items() if value is not None}
    return ProfileJob(
        preset=args.preset,
        base=args.base,
        device=args.device,
        dtype=args.dtype,
        shape_overrides=overrides,
        params_only=args.params_only,
        output_dir=args.output_dir,
        tracking_uri=args.tracking_uri,
        mlflow=not args.no_mlflow,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
