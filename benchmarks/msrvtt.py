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

from benchmarks import text_to_video
from benchmarks.registry import BENCHMARKS

SPEC = BENCHMARKS["msrvtt"]

run, build_parser, make_job, main = text_to_video.command(SPEC, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
