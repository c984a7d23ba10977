"""``python -m benchmarks.editing``: the paper's Table 5, one-shot video editing.

    python -m benchmarks.editing --preset tiny
    python -m benchmarks.editing --base ./stable-diffusion-v1-4 --cases edits.jsonl \\
        --clip-ckpt weights/openai-vit-b-32.bin

``--cases`` is a JSON-lines file, one source video per line:
``{"video": "car-turn.mp4", "prompt": "a jeep car is moving on the road", "edits": ["...", "..."]}``
(paths relative to the file). Each video is tuned once, inverted once and edited once per
caption; the table reports Table 5's columns: frame consistency and textual alignment (CLIP,
x100), training and inference minutes, training and inference peak GPU memory, tuned parameters.
A rerun with the same ``--output-dir`` skips every case it finished with the same settings.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from benchmarks.editing_job import TINY_EDITS, EditingBenchmarkJob, EditingBenchmarkResult, read_cases  # noqa: F401
from metrics.protocol_names import DEFAULT_CLIP_MODEL
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.options import add_options, construct, from_args
from simda.settings import PRESETS, EditSettings, ModelSettings, preset_for


def run(job: EditingBenchmarkJob) -> EditingBenchmarkResult:
    from benchmarks.editing_engine import run_editing_benchmark

    return run_editing_benchmark(job)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.editing", __doc__)
    add_options(parser.add_argument_group("model"), ModelSettings, {})
    data = parser.add_argument_group("cases and scoring")
    data.add_argument("--cases", type=Path, help="JSON-lines file of videos to edit (tiny: one synthetic clip)")
    data.add_argument("--clip-ckpt", type=Path, help="open_clip checkpoint (OpenAI ViT-B/32); tiny: random CLIP")
    data.add_argument("--clip-model", default=DEFAULT_CLIP_MODEL, help="open_clip model name of --clip-ckpt")
    editing = parser.add_argument_group("editing")
    add_options(editing, EditSettings, {name: preset.editing for name, preset in PRESETS.items()})
    output = parser.add_argument_group("output")
    output.add_argument("--output-dir", "--out", type=Path, default=Path("runs/editing"))
    output.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    return parser


def make_job(args: argparse.Namespace) -> EditingBenchmarkJob:
    model = construct(ModelSettings, args)
    return EditingBenchmarkJob(
        model=model,
        editing=from_args(preset_for(model).editing, args),
        output_dir=args.output_dir,
        cases=args.cases,
        clip_ckpt=args.clip_ckpt,
        clip_model=args.clip_model,
        tracking_uri=args.tracking_uri,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
