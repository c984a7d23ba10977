"""``python -m benchmarks.webvid``: WebVid validation text-to-video, as the paper's Table 3.

    python -m benchmarks.webvid --preset tiny
    python -m benchmarks.webvid --base ./stable-diffusion-v1-5 --ckpt runs/simda-adapters.safetensors \\
        --csv webvid/results_2M_val.csv --videos webvid/videos \\
        --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin

A fixed-seed sample (--caption-seed) of 4,476 pairs by default; the ablations use --num-videos 1000.
"""

from __future__ import annotations

import sys

from benchmarks import cli
from benchmarks.datasets import WEBVID_VAL_PAIRS, read_webvid
from benchmarks.engine import BenchmarkSpec
from benchmarks.paper import WEBVID_TABLE
from simda.synthetic import write_webvid_set

SPEC = BenchmarkSpec(
    name="webvid",
    paper_table=WEBVID_TABLE,
    default_num_videos=WEBVID_VAL_PAIRS,
    annotation_flag="--csv",
    annotation_help="WebVid csv (results_2M_val.csv) with videoid, name and page_dir columns",
    read=lambda csv, videos, _caption_seed: read_webvid(csv, videos),
    write_synthetic=lambda root: write_webvid_set(root, count=8),
)


def main(argv: list[str] | None = None) -> dict[str, float] | None:
    return cli.main(SPEC, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
