"""``python -m benchmarks.msrvtt``: zero-shot MSR-VTT text-to-video, as the paper's Table 2.

    python -m benchmarks.msrvtt --preset tiny
    python -m benchmarks.msrvtt --base ./stable-diffusion-v1-5 --ckpt runs/simda-train/simda-adapters.safetensors \\
        --annotations msrvtt/test_videodatainfo.json --videos msrvtt/videos \\
        --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin
    torchrun --nproc_per_node=8 -m benchmarks.msrvtt ...   (same numbers, eight times faster)
    python -m benchmarks.msrvtt --generator diffusers --pipeline ./animatediff ...   (a diffusers text-to-video folder)
    python -m benchmarks.msrvtt --generator videos --generated-videos ./my-videos ... (<clip id>.mp4 made elsewhere)

One video per test clip (2,990) with one caption each, chosen with --caption-seed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from benchmarks import text_to_video
from benchmarks.paper import MSRVTT_TABLE, MSRVTT_TEST_VIDEOS
from benchmarks.text_to_video_job import BenchmarkJob, BenchmarkResult, BenchmarkSpec
from simda.plumbing.cli import run_command


def read(annotations: Path, videos: Path, caption_seed: int) -> list:
    from benchmarks.datasets import read_msrvtt

    return read_msrvtt(annotations, videos, "test", caption_seed)


def write_synthetic(folder: Path, count: int) -> tuple[Path, Path]:
    from simda.synthetic import write_msrvtt_set

    return write_msrvtt_set(folder, num_test=count)


SPEC = BenchmarkSpec(
    name="msrvtt",
    paper_table=MSRVTT_TABLE,
    default_num_videos=MSRVTT_TEST_VIDEOS,
    annotation_flag="--annotations",
    annotation_help="MSR-VTT annotation file test_videodatainfo.json",
    read=read,
    write_synthetic=write_synthetic,
)


def run(job: BenchmarkJob) -> BenchmarkResult | None:
    return text_to_video.run(job)


def build_parser() -> argparse.ArgumentParser:
    return text_to_video.build_parser(SPEC, __doc__)


def make_job(args: argparse.Namespace) -> BenchmarkJob:
    return text_to_video.make_job(SPEC, args)


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
