"""``python -m simda.generate``: prompts in, one mp4 and one GIF per prompt out.

    python -m simda.generate --preset tiny --prompt "a panda playing guitar"
    python -m simda.generate --base ./stable-diffusion-v1-5 --ckpt runs/simda-train/adapters.safetensors \\
        --prompt "a panda playing guitar" --prompt "a red car on a beach" --output-dir videos/

    python -m simda.generate --base ./stable-diffusion-v1-5 --ckpt runs/simda-train/simda-adapters \\
        --sr --sr-base ./stable-diffusion-x4-upscaler --sr-ckpt runs/simda-sr/simda-adapters \\
        --prompt "a panda playing guitar" --sr-decode-chunk 4     # 16x256x256 -> 16x1024x1024

Prompt i is generated from seed ``--seed + i`` and written as ``<output-dir>/<i>-<prompt>.mp4``.
With ``--sr`` the first stage's video goes through the SimDA x4 upscaler (paper, section 3.4) and
only the 4x larger video is written; the run says the output size and what it chunked.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.atomic import require_writable_dir
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting
from simda.plumbing.identity import claim_record, default_folder, identity_of, settings_of
from simda.plumbing.options import add_group, add_options, construct, from_args, values
from simda.settings import (
    GenerateOutputSettings,
    GenerationSettings,
    ModelSettings,
    UpscalerModelSettings,
    UpscaleSettings,
    preset_defaults,
    preset_for,
)
from simda.sr.flags import add_sr_options, check_upscaler_input, make_sr_settings

log = logging.getLogger("simda.generate")
VIDEO_SUFFIXES = (".mp4", ".gif", ".avi", ".mov", ".webm")


@dataclass(frozen=True, kw_only=True)
class GenerateJob(GenerateOutputSettings):
    """The prompts and output flags (checked as settings), the model and its sampling."""

    model: ModelSettings
    generation: GenerationSettings
    #: The super-resolution stage (``--sr``): which upscaler, and how it samples.
    upscaler: UpscalerModelSettings | None = None
    upscale: UpscaleSettings | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.model.require_model()
        if not self.prompts or any(not prompt.strip() for prompt in self.prompts):
            raise InvalidSetting("--prompt: give at least one non-empty prompt")
        if self.output_dir and self.output_dir.suffix.lower() in VIDEO_SUFFIXES:
            raise InvalidSetting(
                f"--output-dir {self.output_dir}: names a file, but videos go into a folder "
                "(each prompt as <index>-<prompt>.mp4 and .gif); pass a folder"
            )
        if (self.upscaler is None) != (self.upscale is None):
            raise InvalidSetting("the super-resolution stage needs both its upscaler and its sampling settings")
        if self.upscaler is not None:
            check_upscaler_input(self.upscaler, self.upscale, self.generation)

    def seeds(self) -> list[int]:
        return [self.seed + index for index in range(len(self.prompts))]

    def identity(self) -> str:
        """What the videos are computed from: every setting but the folder, the device and the batching."""
        return identity_of(settings_of(self, ("output_dir", "device", "batch_size", "decode_chunk", "unet_chunk")))


@dataclass
class GenerateResult:
    output_dir: Path
    videos: list[Path]
    prompts: list[str]
    seeds: list[int]
    seconds: float
    random_weights: bool
    settings: dict[str, Any] = field(default_factory=dict)
    #: (frames, height, width) of the written videos.
    video_shape: tuple[int, int, int] = (0, 0, 0)
    #: What the super-resolution stage chunked (``None`` without ``--sr``).
    chunk_plan: str | None = None

    def summary(self) -> str:
        note = f" ({RANDOM_WEIGHTS_BANNER})" if self.random_weights else ""
        frames, height, width = self.video_shape
        lines = [f"{len(self.videos)} video(s) of {frames} frames at {height}x{width} in {self.seconds:.1f} s{note}"]
        if self.chunk_plan is not None:
            lines.append(f"super-resolution {self.chunk_plan}")
        rows = zip(self.seeds, self.videos, self.prompts, strict=True)
        lines += [f"  seed {seed}: {path}  <- {prompt!r}" for seed, path, prompt in rows]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        rows = zip(self.prompts, self.seeds, self.videos, strict=True)
        videos = [{"prompt": p, "seed": s, "mp4": str(v)} for p, s, v in rows]
        return {
            "videos": videos,
            "seconds": self.seconds,
            "random_weights": self.random_weights,
            "video_shape": list(self.video_shape),
            "chunk_plan": self.chunk_plan,
            **self.settings,
        }


def write_videos(job: GenerateJob, pipeline: Any, upscaler: Any, paths: list[Path]) -> tuple[Any, str | None]:
    """Generate the prompts batch by batch, writing each mp4 and GIF when done; the last video and chunk plan."""
    from simda.sr.pipeline import generate_two_stage
    from simda.video_io import write_gif, write_mp4

    seeds, plan = job.seeds(), None
    for first in range(0, len(job.prompts), job.batch_size):
        batch = slice(first, first + job.batch_size)
        prompts, batch_seeds = list(job.prompts[batch]), seeds[batch]
        if upscaler is None:
            videos = pipeline.generate(prompts, batch_seeds, job.generation, progress=True)
        else:
            result = generate_two_stage(
                pipeline, upscaler, prompts, batch_seeds, job.generation, job.upscale, progress=True
            )
            videos, plan = result.video, result.plan.describe()
        for path, video in zip(paths[batch], videos, strict=True):
            write_mp4(path, video, fps=job.fps)
            write_gif(path.with_suffix(".gif"), video, fps=job.fps)
            log.info("wrote %s and %s (%dx%d)", path, path.with_suffix(".gif"), video.shape[1], video.shape[2])
    return videos[-1], plan


def run(job: GenerateJob) -> GenerateResult:
    """Load the model(s), generate every prompt in batches and write each video as soon as it is done."""
    job.model.require_files()  # a missing --base or --ckpt: said at once, not after the imports
    require_writable_dir(job.output_dir, "--output-dir")
    claim_record(job.output_dir, "generate", job.identity())  # another run's videos are never overwritten
    from simda.model.loading import load_model
    from simda.pipeline import SimDAPipeline
    from simda.sr.pipeline import SimDAUpscalePipeline
    from simda.video_io import slug

    loaded = load_model(job.model)
    stages, upscaler = [loaded], None
    settings: dict[str, Any] = {"generation": job.generation.as_params(), "model": job.model.as_params()}
    if job.upscaler is not None:
        stages.append(load_model(job.upscaler))
        upscaler = SimDAUpscalePipeline.from_upscaler(
            stages[1].model, stages[1].base, job.upscaler.decode_chunk, job.upscaler.unet_chunk
        )
        upscaler.check(job.upscale)  # e.g. a noise level above this upscaler's maximum, before the first stage
        settings |= {"upscale": job.upscale.as_params(), "upscaler": job.upscaler.as_params()}
    for stage in (stage for stage in stages if stage.random_weights):
        checkpoint = stage.checkpoint or "none, adapters at their zero init"
        log.warning("%s (%s, checkpoint: %s)", RANDOM_WEIGHTS_BANNER, stage.base.source, checkpoint)
    paths = [job.output_dir / f"{index:03d}-{slug(prompt)}.mp4" for index, prompt in enumerate(job.prompts)]
    started = time.perf_counter()
    last, plan = write_videos(job, SimDAPipeline.from_base(loaded.base, loaded.model), upscaler, paths)
    return GenerateResult(
        output_dir=job.output_dir,
        videos=paths,
        prompts=list(job.prompts),
        seeds=job.seeds(),
        seconds=time.perf_counter() - started,
        random_weights=any(stage.random_weights for stage in stages),
        settings=settings,
        video_shape=tuple(last.shape[:3]),
        chunk_plan=plan,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m simda.generate", __doc__)
    add_group(parser, "model", ModelSettings)
    generation = add_group(parser, "generation", GenerationSettings, presets=preset_defaults("generation"))
    add_options(generation, GenerateOutputSettings, {}, only=("prompts", "seed", "batch_size"))
    add_group(parser, "output", GenerateOutputSettings, only=("output_dir", "fps"))
    add_sr_options(parser)
    return parser


def make_job(args: argparse.Namespace) -> GenerateJob:
    model = construct(ModelSettings, args)
    generation = from_args(preset_for(model).generation, args)
    upscaler, upscale = make_sr_settings(args, model, generation)
    fields = values(args, GenerateOutputSettings)  # output_dir unset: named after the identity below
    job = GenerateJob(model=model, generation=generation, upscaler=upscaler, upscale=upscale, **fields)
    return job if job.output_dir else replace(job, output_dir=default_folder("generate", job.identity()))


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
