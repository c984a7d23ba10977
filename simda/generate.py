"""``python -m simda.generate``: prompts in, one mp4 and one GIF per prompt out.

    python -m simda.generate --preset tiny --prompt "a panda playing guitar"
    python -m simda.generate --base ./stable-diffusion-v1-5 --ckpt runs/simda-train/adapters.safetensors \\
        --prompt "a panda playing guitar" --prompt "a red car on a beach" --output-dir videos/

Prompt i is generated from seed ``--seed + i`` and written as ``<output-dir>/<i>-<prompt>.mp4``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting
from simda.plumbing.options import add_options, construct, from_args
from simda.settings import PRESETS, GenerationSettings, ModelSettings, preset_for

VIDEO_SUFFIXES = (".mp4", ".gif", ".avi", ".mov", ".webm")


@dataclass(frozen=True)
class GenerateJob:
    model: ModelSettings
    generation: GenerationSettings
    prompts: tuple[str, ...]
    output_dir: Path
    seed: int = 0
    batch_size: int = 4
    fps: int = 8

    def __post_init__(self) -> None:
        if not self.prompts or any(not prompt.strip() for prompt in self.prompts):
            raise InvalidSetting("--prompt: give at least one non-empty prompt")
        if self.batch_size < 1:
            raise InvalidSetting(f"--batch-size {self.batch_size}: must be positive")
        if self.fps < 1:
            raise InvalidSetting(f"--fps {self.fps}: must be positive")
        if self.output_dir.suffix.lower() in VIDEO_SUFFIXES:
            raise InvalidSetting(
                f"--output-dir {self.output_dir}: names a file, but videos go into a folder "
                "(each prompt as <index>-<prompt>.mp4 and .gif); pass a folder"
            )

    def seeds(self) -> list[int]:
        return [self.seed + index for index in range(len(self.prompts))]


@dataclass
class GenerateResult:
    output_dir: Path
    videos: list[Path]
    prompts: list[str]
    seeds: list[int]
    seconds: float
    random_weights: bool
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        note = " (random weights: the videos prove the machinery, not the model)" if self.random_weights else ""
        lines = [f"{len(self.videos)} video(s) in {self.seconds:.1f} s{note}"]
        rows = zip(self.seeds, self.videos, self.prompts, strict=True)
        lines += [f"  seed {seed}: {path}  <- {prompt!r}" for seed, path, prompt in rows]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        rows = zip(self.prompts, self.seeds, self.videos, strict=True)
        videos = [{"prompt": p, "seed": s, "mp4": str(v)} for p, s, v in rows]
        return {"videos": videos, "seconds": self.seconds, "random_weights": self.random_weights, **self.settings}


def run(job: GenerateJob) -> GenerateResult:
    """Load the model, generate every prompt in batches and write each video as soon as it is done."""
    import logging

    from simda.loading import load_model, require_model_files
    from simda.pipeline import SimDAPipeline
    from simda.plumbing.atomic import require_writable_dir
    from simda.video_io import slug, write_gif, write_mp4

    log = logging.getLogger("simda.generate")
    require_model_files(job.model)
    require_writable_dir(job.output_dir, "--output-dir")
    loaded = load_model(job.model)
    if loaded.random_weights:
        log.warning(
            "random weights (%s, checkpoint: %s): the videos prove the machinery, not the model",
            loaded.base.source,
            loaded.checkpoint or "none, adapters at their zero init",
        )
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    seeds = job.seeds()
    paths = [job.output_dir / f"{index:03d}-{slug(prompt)}.mp4" for index, prompt in enumerate(job.prompts)]
    started = time.perf_counter()
    for first in range(0, len(job.prompts), job.batch_size):
        batch = slice(first, first + job.batch_size)
        videos = pipeline.generate(list(job.prompts[batch]), seeds[batch], job.generation, progress=True)
        for path, video in zip(paths[batch], videos, strict=True):
            write_mp4(path, video, fps=job.fps)
            write_gif(path.with_suffix(".gif"), video, fps=job.fps)
            log.info("wrote %s and %s", path, path.with_suffix(".gif"))
    return GenerateResult(
        output_dir=job.output_dir,
        videos=paths,
        prompts=list(job.prompts),
        seeds=seeds,
        seconds=time.perf_counter() - started,
        random_weights=loaded.random_weights,
        settings={"generation": job.generation.as_params(), "model": job.model.as_params()},
    )


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m simda.generate", __doc__)
    add_options(parser.add_argument_group("model"), ModelSettings, {})
    parser.add_argument("--prompt", action="append", required=True, help="a prompt (repeat for several videos)")
    generation = parser.add_argument_group("generation")
    add_options(generation, GenerationSettings, {name: preset.generation for name, preset in PRESETS.items()})
    generation.add_argument("--seed", type=int, default=0, help="seed of the first prompt; prompt i uses seed + i")
    generation.add_argument("--batch-size", type=int, default=4, help="prompts denoised together (default 4)")
    output = parser.add_argument_group("output")
    output.add_argument(
        "--output-dir", "--out", type=Path, default=Path("outputs"), help="folder for the videos (default outputs)"
    )
    output.add_argument("--fps", type=int, default=8, help="frames per second of the mp4 and GIF (default 8)")
    return parser


def make_job(args: argparse.Namespace) -> GenerateJob:
    model = construct(ModelSettings, args)
    return GenerateJob(
        model=model,
        generation=from_args(preset_for(model).generation, args),
        prompts=tuple(args.prompt),
        output_dir=args.output_dir,
        seed=args.seed,
        batch_size=args.batch_size,
        fps=args.fps,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
