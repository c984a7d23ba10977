"""``python -m benchmarks.msrvtt``: zero-shot MSR-VTT text-to-video, as the paper's Table 2.

    python -m benchmarks.msrvtt --preset tiny
    python -m benchmarks.msrvtt --base ./stable-diffusion-v1-5 --ckpt runs/simda-adapters.safetensors \\
        --annotations msrvtt/test_videodatainfo.json --videos msrvtt/videos \\
        --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin
    torchrun --nproc_per_node=8 -m benchmarks.msrvtt ...   (same numbers, eight times faster)

One video per test clip (2,990) with one caption each, chosen with --caption-seed.
"""

from __future__ import annotations

import sys

from benchmarks import cli
from benchmarks.datasets import MSRVTT_TEST_VIDEOS, read_msrvtt
from benchmarks.engine import BenchmarkSpec
from benchmarks.paper import MSRVTT_TABLE
from simda.synthetic import write_msrvtt_set

SPEC = BenchmarkSpec(
    name="msrvtt",
    paper_table=MSRVTT_TABLE,
    default_num_videos=MSRVTT_TEST_VIDEOS,
    annotation_flag="--annotations",
    annotation_help="MSR-VTT annotation file test_videodatainfo.json",
    read=lambda annotations, videos, caption_seed: read_msrvtt(annotations, videos, "test", caption_seed),
    write_synthetic=write_msrvtt_set,
)


def main(argv: list[str] | None = None) -> dict[str, float] | None:
    return cli.main(SPEC, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
