"""``python -m benchmarks.profile``: SimDA's cost against its floor and its peers, in one run.

    python -m benchmarks.profile --params-only --model-size sd15   # Table 1 parameters, seconds, no GPU
    python -m benchmarks.profile                                   # sd15 on a GPU, tiny on the CPU
    python -m benchmarks.profile --preset tiny --device cpu        # the tiny model, in seconds
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
cost measure that does not depend on the machine), with the kernels SimDA's extra time per step is spent in.
An H200 run and what it found are in ``benchmarks/results/README.md``. Results are printed,
written as text and PNG under ``--output-dir`` (unset: ``runs/profile-<settings hash>``; a folder holding
another run's results is refused), and logged to MLflow (experiment ``simda-profile``).
Weights are random unless ``--base`` is given: timings measure the architecture, not the model.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks.profiling.job import EXPERIMENT, ProfileJob, ProfileResult  # noqa: F401 (EXPERIMENT: the command's)
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.identity import claim_output_dir, default_folder
from simda.plumbing.options import add_group, construct, given
from simda.settings import PAPER, TINY, ProfileModelSettings, ProfileOutputSettings, ProfileSettings

#: The command's name in its run record and default folder.
COMMAND = "profile"


def run(job: ProfileJob) -> ProfileResult:
    """The profile in its folder, held for this run: another run's folder is refused before any MLflow call."""
    with claim_output_dir(job.output.output_dir, COMMAND, job.identity()):
        from benchmarks.profiling.runner import run_profile

        return run_profile(job)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.profile", __doc__)
    add_group(parser, "model", ProfileModelSettings)
    add_group(parser, "shapes and repeats", ProfileSettings, presets={"sd15": PAPER.profile, "tiny": TINY.profile})
    add_group(parser, "output", ProfileOutputSettings)
    return parser


def make_job(args: argparse.Namespace) -> ProfileJob:
    overrides = {name: value for name, value in given(args, ProfileSettings).items() if value is not None}
    output = construct(ProfileOutputSettings, args)
    job = ProfileJob(construct(ProfileModelSettings, args), overrides, replace(output, output_dir=Path()))
    folder = output.output_dir or default_folder(COMMAND, job.identity())  # unset: named after the identity
    return replace(job, output=replace(output, output_dir=folder))


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
