"""``python -m benchmarks.webvid``: WebVid validation text-to-video, as the paper's Table 3.

    python -m benchmarks.webvid --preset tiny
    python -m benchmarks.webvid --base ./stable-diffusion-v1-5 --ckpt runs/simda-train/simda-adapters.safetensors \\
        --csv webvid/results_2M_val.csv --videos webvid/videos \\
        --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin

A fixed-seed sample (--caption-seed) of 4,476 pairs by default; the ablations use --num-videos 1000.
"""

from __future__ import annotations

from benchmarks import text_to_video
from benchmarks.registry import BENCHMARKS

SPEC = BENCHMARKS["webvid"]

run, build_parser, make_job, main = text_to_video.command(SPEC, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
