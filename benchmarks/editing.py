"""``python -m benchmarks.editing``: the paper's Table 5, one-shot video editing.

    python -m benchmarks.editing --preset tiny
    python -m benchmarks.editing --base ./stable-diffusion-v1-4 --cases edits.jsonl \\
        --clip-ckpt weights/openai-vit-b-32.bin

``--cases`` is a JSON-lines file, one source video per line:
``{"video": "car-turn.mp4", "prompt": "a jeep car is moving on the road", "edits": ["...", "..."]}``
(paths relative to the file). Each video is tuned once, inverted once and edited once per
caption; the table reports Table 5's columns: frame consistency and textual alignment (CLIP,
x100), training and inference minutes, training and inference peak GPU memory, tuned parameters.
Without ``--output-dir`` the run folder is ``runs/editing-<settings hash>``; a rerun with the same
folder skips every case it finished with the same settings, and a folder holding another run's
results is refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks.editing_job import TINY_EDITS, EditingBenchmarkJob, EditingBenchmarkResult, read_cases  # noqa: F401
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.identity import claim_output_dir, default_folder
from simda.plumbing.options import add_group, add_options, construct, from_args, values
from simda.settings import (
    EditingCasesSettings,
    EditSettings,
    ModelSettings,
    TrackingSettings,
    preset_defaults,
    preset_for,
)

#: The benchmark's name in its run record and default folder.
COMMAND = "editing"


def run(job: EditingBenchmarkJob) -> EditingBenchmarkResult:
    """The benchmark in its folder, held for this run: another run's folder is refused before any MLflow call."""
    with claim_output_dir(job.output_dir, COMMAND, job.identity()):
        from benchmarks.editing_engine import run_editing_benchmark

        return run_editing_benchmark(job)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.editing", __doc__)
    add_group(parser, "model", ModelSettings)
    add_group(parser, "cases and scoring", EditingCasesSettings, skip=("output_dir",))
    add_group(parser, "editing", EditSettings, presets=preset_defaults("editing"))
    output = add_group(parser, "output", EditingCasesSettings, only=("output_dir",))
    add_options(output, TrackingSettings, {})
    return parser


def make_job(args: argparse.Namespace) -> EditingBenchmarkJob:
    model = construct(ModelSettings, args)
    editing = from_args(preset_for(model).editing, args)
    fields = values(args, EditingCasesSettings, TrackingSettings)
    job = EditingBenchmarkJob(model, editing, **{**fields, "output_dir": fields["output_dir"] or Path()})
    return job if args.output_dir else replace(job, output_dir=default_folder(COMMAND, job.identity()))


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
