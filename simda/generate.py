"""``python -m simda.generate``: prompts in, mp4 and GIF out.

    python -m simda.generate --preset tiny --prompt "a panda playing guitar" --out video.mp4
    python -m simda.generate --base ./stable-diffusion-v1-5 --ckpt runs/simda.safetensors \
        --prompt "a panda playing guitar" --out panda.mp4
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from simda.loading import add_model_arguments, load_model
from simda.logs import setup_logging
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.video_io import write_gif, write_mp4

log = logging.getLogger("simda.generate")
TINY_SIZE = 64  # the tiny preset's default frame size; real models default to the paper's 256


def output_paths(out: Path, count: int) -> list[Path]:
    """``out`` for one prompt; ``stem_000.mp4``, ``stem_001.mp4``... for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}_{index:03d}{out.suffix}") for index in range(count)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    parser.add_argument("--prompt", action="append", required=True, help="repeat for several videos")
    parser.add_argument("--out", type=Path, default=Path("video.mp4"), help="mp4 path; a GIF is written beside it")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first prompt; prompt i uses seed + i")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--height", type=int, help="default 256 (64 with --preset tiny)")
    parser.add_argument("--width", type=int, help="default 256 (64 with --preset tiny)")
    parser.add_argument("--steps", type=int, default=50, help="DDIM steps")
    parser.add_argument("--guidance", type=float, default=7.5, help="classifier-free guidance scale (1 = off)")
    parser.add_argument("--negative-prompt", default="")
    parser.add_argument("--batch-size", type=int, default=4, help="prompts denoised together")
    parser.add_argument("--fps", type=int, default=8)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[Path]:
    setup_logging()
    args = parse_args(argv)
    default_size = TINY_SIZE if args.preset == "tiny" else 256
    settings = GenerationSettings(
        num_frames=args.frames,
        height=args.height or default_size,
        width=args.width or default_size,
        num_inference_steps=args.steps,
        guidance_scale=args.guidance,
        negative_prompt=args.negative_prompt,
    )
    loaded = load_model(args.preset, args.base, args.ckpt, args.device, args.dtype)
    if loaded.random_weights:
        log.warning(
            "random weights (%s, checkpoint: %s): the video proves the machinery, not the model",
            loaded.base.source,
            loaded.checkpoint or "none, adapters at their zero init",
        )
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    paths = output_paths(args.out, len(args.prompt))
    started = time.perf_counter()
    for first in range(0, len(args.prompt), args.batch_size):
        prompts = args.prompt[first : first + args.batch_size]
        seeds = [args.seed + first + offset for offset in range(len(prompts))]
        videos = pipeline.generate(prompts, seeds, settings, progress=True)
        for path, video in zip(paths[first : first + len(prompts)], videos, strict=True):
            write_mp4(path, video, fps=args.fps)
            write_gif(path.with_suffix(".gif"), video, fps=args.fps)
            log.info("wrote %s and %s", path, path.with_suffix(".gif"))
    log.info(
        "%d video(s) of %d frames at %dx%d in %.1f s",
        len(paths),
        settings.num_frames,
        settings.height,
        settings.width,
        time.perf_counter() - started,
    )
    return paths


if __name__ == "__main__":
    main()
