"""``python -m simda.train``: tune the SimDA adapters on captioned video clips.

    python -m simda.train --preset tiny                      # synthetic clips, tiny model, CPU
    python -m simda.train --preset tiny --sr                 # the tiny upscaler's SR adapters, offline
    torchrun --nproc_per_node=8 -m simda.train --base ./stable-diffusion-v1-5 \\
        --csv results_2M_train.csv --videos ./webvid/videos --output-dir runs/simda-train --mixed-precision fp16

    torchrun --nproc_per_node=8 -m simda.train --sr --sr-base ./stable-diffusion-x4-upscaler \\
        --csv results_2M_train.csv --videos ./webvid/videos --output-dir runs/simda-sr --mixed-precision fp16

A rerun with the same ``--output-dir`` resumes from the newest checkpoint there. With ``--sr`` the
adapters of the x4 upscaler train instead (paper, section 3.4): ``--height``/``--width`` are then the
high-resolution clip size, the upscaler's output (1024x1024 by default), and its low-resolution input
is each clip box-filtered 4x down and noise-augmented.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting, MissingInput
from simda.plumbing.options import add_options, construct, from_args
from simda.settings import (
    PARTS,
    PRESETS,
    UPSCALE_FACTOR,
    ClipSettings,
    ModelSettings,
    TrainSettings,
    UpscalerModelSettings,
    preset_for,
)

#: The flag names of diffusers' training examples, accepted beside ours (field -> spellings).
DIFFUSERS_FLAGS = {
    "max_steps": ("--max_train_steps",),
    "batch_size": ("--train_batch_size",),
    "learning_rate": ("--learning_rate",),
    "weight_decay": ("--adam_weight_decay",),
    "lr_warmup_steps": ("--lr_warmup_steps",),
    "max_grad_norm": ("--max_grad_norm",),
    "mixed_precision": ("--mixed_precision",),
    "gradient_checkpointing": ("--gradient_checkpointing",),
    "checkpoint_every": ("--checkpointing_steps",),
    "keep_checkpoints": ("--checkpoints_total_limit",),
}
#: Frames sampled into a synthetic clip for the tiny preset: twice a clip, so start positions vary.
SYNTHETIC_SPAN = 2


@dataclass(frozen=True)
class TrainingData:
    """Where the clips come from: a WebVid CSV and its video folder, or a folder of captioned mp4s.

    With none of them and the tiny preset, a synthetic WebVid-layout set is written and used.
    """

    csv: Path | None = None
    videos: Path | None = None
    video_folder: Path | None = None

    def __post_init__(self) -> None:
        if self.video_folder is not None and (self.csv or self.videos):
            raise InvalidSetting("pass either --csv with --videos, or --video-folder, not both")
        if (self.csv is None) != (self.videos is None):
            raise InvalidSetting("WebVid data needs both --csv (the CSV file) and --videos (the video folder)")
        for flag, path in (("--csv", self.csv), ("--videos", self.videos), ("--video-folder", self.video_folder)):
            if path is not None and not Path(path).exists():
                raise MissingInput(f"{flag} {path}: not found")

    @property
    def given(self) -> bool:
        return self.csv is not None or self.video_folder is not None


@dataclass(frozen=True)
class TrainJob:
    #: The text-to-video model, or with ``--sr`` the upscaler whose SR adapters train.
    model: ModelSettings | UpscalerModelSettings
    clips: ClipSettings
    training: TrainSettings
    data: TrainingData
    output_dir: Path
    disable: tuple[str, ...] = ()
    lsa_form: str = "paper"
    log_every: int = 10
    validate_every: int = 0
    validation_prompt: str = "a red square moving right on a dark background"
    tracking_uri: str | None = None
    experiment: str = "simda-train"
    synthetic_videos: int | None = None

    def __post_init__(self) -> None:
        if not self.sr:
            self.model.require_model()
        if not self.data.given and self.synthetic_videos is None:
            raise InvalidSetting("no training data: pass --csv and --videos, or --video-folder")
        unknown = sorted(set(self.disable) - set(PARTS))
        if unknown:
            raise InvalidSetting(f"--disable {unknown}: choose from {', '.join(PARTS)}")
        for flag, value in (("--log-every", self.log_every), ("--validate-every", self.validate_every)):
            if value < (1 if flag == "--log-every" else 0):
                raise InvalidSetting(f"{flag} {value}: must be {'positive' if flag == '--log-every' else '>= 0'}")
        if self.sr:
            self.check_sr()

    @property
    def sr(self) -> bool:
        """Whether the upscaler's SR adapters train (``--sr``) rather than the text-to-video ones."""
        return isinstance(self.model, UpscalerModelSettings)

    def check_sr(self) -> None:
        """Files exist and clips can be upscaler targets, before any model loads."""
        if self.validate_every:
            raise InvalidSetting("--validate-every: SR training logs no validation videos yet; pass 0 with --sr")
        self.model.require_files()
        multiple = UPSCALE_FACTOR * self.model.size_multiple()
        for flag, size in (("--height", self.clips.height), ("--width", self.clips.width)):
            if size % multiple:
                raise InvalidSetting(
                    f"{flag} {size}: with --sr clips are the upscaler's high-resolution targets, so their size must "
                    f"be a multiple of {multiple} (the 4x factor times this upscaler's UNet multiple)"
                )


@dataclass
class TrainResult:
    output_dir: Path
    adapters: Path
    steps: int
    final_loss: float | None
    skipped_videos: list[str]
    random_weights: bool
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        loss = "n/a" if self.final_loss is None else f"{self.final_loss:.4f}"
        note = " (random-weight base: proves the machinery, not the model)" if self.random_weights else ""
        return (
            f"trained {self.steps} steps, last logged loss {loss}{note}\n"
            f"adapters: {self.adapters}\nunreadable videos skipped: {len(self.skipped_videos)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "adapters": str(self.adapters),
            "steps": self.steps,
            "final_loss": self.final_loss,
            "skipped_videos": self.skipped_videos,
            "random_weights": self.random_weights,
            **self.settings,
        }


def run(job: TrainJob) -> TrainResult | None:
    """Train (resuming from ``job.output_dir``); rank 0 returns the result, other ranks ``None``."""
    import contextlib
    import logging
    import tempfile

    import mlflow

    from simda.data import read_caption_folder, read_webvid_csv
    from simda.loss_plot import write_loss_plot
    from simda.model.config import SimDAConfig
    from simda.plumbing.atomic import claim_folder, require_writable_dir
    from simda.plumbing.distributed import process_group
    from simda.plumbing.tracking import configure_tracking, tracked_run
    from simda.synthetic import moving_square, write_webvid_clips
    from simda.training import StepReport

    log = logging.getLogger("simda.train")
    require_writable_dir(job.output_dir, "--output-dir")
    config = SimDAConfig(lsa_form=job.lsa_form).without(*job.disable)
    with process_group() as layout, tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as held:
        if layout.is_main:
            configure_tracking(job.tracking_uri)  # an unreachable store fails now, not after the first steps
            held.enter_context(claim_folder(job.output_dir, "--output-dir"))  # one training run per folder
        if job.data.video_folder is not None:
            videos = read_caption_folder(job.data.video_folder)
        elif job.data.csv is not None:
            videos = read_webvid_csv(job.data.csv, job.data.videos)
        else:
            span = job.clips.num_frames * job.clips.frame_stride * SYNTHETIC_SPAN
            indices = range(job.synthetic_videos)  # moving squares in WebVid's layout, as the tiny benchmarks use
            clips = (moving_square(index, span, 64, 64) for index in indices)
            csv = write_webvid_clips(Path(scratch), indices, clips, "results_2M_train.csv")
            videos = read_webvid_csv(csv, Path(scratch) / "videos")
        loaded, trainer = build_trainer(job, config, videos, layout)
        if loaded.base.random_weights:
            log.warning("random-weight base (%s): training proves the machinery, not the model", loaded.base.source)
        pipeline = trainer.pipeline
        settings = {
            "stage": "super_resolution" if job.sr else "text_to_video",
            "train": job.training.as_params(),
            "clip": job.clips.as_params(),
            "simda": config.to_dict(),
            "base": {"source": loaded.base.source, "identity": loaded.base.identity()},
            "init_checkpoint": loaded.checkpoint,
            "data": {"videos": len(videos), **{k: str(v) for k, v in vars(job.data).items()}},
            "world_size": layout.world_size,
            "random_weights": loaded.base.random_weights,
        }
        tags = {"random_weights": str(loaded.base.random_weights).lower(), "stage": settings["stage"]}
        losses: dict[int, float] = {}
        with tracked_run(
            job.experiment,
            job.output_dir.name,
            settings,
            tags,
            enabled=layout.is_main,
            tracking_uri=job.tracking_uri,
            resume_key=str(job.output_dir.resolve()),  # a resumed run continues its MLflow run and loss curve
        ):

            def report(step: StepReport) -> None:
                losses[step.step] = step.loss
                mlflow.log_metrics(
                    {
                        "loss": step.loss,
                        "learning_rate": step.learning_rate,
                        "clips_per_second": step.clips_per_second,
                        "peak_memory_gib": step.peak_memory_gib,
                    },
                    step=step.step,
                )
                if job.validate_every and step.step % job.validate_every == 0:
                    validate(pipeline, job, step.step)

            final = trainer.run(on_report=report, log_every=job.log_every)
            if layout.is_main:
                mlflow.log_metric("skipped_videos", len(trainer.skipped))
                mlflow.log_artifact(str(final / "config.json"))
                if losses:
                    plot = write_loss_plot(
                        job.output_dir / "loss.png", list(losses), list(losses.values()), loaded.base.random_weights
                    )
                    mlflow.log_artifact(str(plot), artifact_path="plots")
                mlflow.set_tag("adapters", str(final.resolve()))
    if not layout.is_main:
        return None
    log.info("adapters written to %s (%d steps)", final, trainer.step)
    return TrainResult(
        output_dir=job.output_dir,
        adapters=final,
        steps=trainer.step,
        final_loss=list(losses.values())[-1] if losses else None,
        skipped_videos=sorted(trainer.skipped),
        random_weights=loaded.base.random_weights,
        settings=settings,
    )


def build_trainer(job: TrainJob, config: Any, videos: list, layout: Any) -> tuple[Any, Any]:
    """The loaded model and its trainer: text-to-video adapters, or with ``--sr`` the upscaler's."""
    from simda.data import ClipSampler
    from simda.model.loading import load_model, load_upscaler_model
    from simda.pipeline import SimDAPipeline
    from simda.sr.pipeline import SimDAUpscalePipeline
    from simda.sr.training import UpscalerTrainer
    from simda.training import Trainer

    device = layout.device(job.model.device)
    sampler = ClipSampler(job.clips.num_frames, job.clips.height, job.clips.width, job.clips.frame_stride)
    if job.sr:
        loaded = load_upscaler_model(job.model, config=config, seed=job.training.seed, device=device)
        pipeline = SimDAUpscalePipeline.from_upscaler(loaded.model, loaded.base)
        return loaded, UpscalerTrainer(pipeline, videos, sampler, job.training, job.output_dir, layout)
    loaded = load_model(job.model, config=config, seed=job.training.seed, device=device)
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    return loaded, Trainer(pipeline, videos, sampler, job.training, job.output_dir, layout)


def validate(pipeline: Any, job: TrainJob, step: int) -> None:
    """Generate the validation prompt with the current adapters and log it as a GIF, the prompt under it."""
    import mlflow

    from simda.settings import GenerationSettings
    from simda.video_io import captioned_grid, write_gif

    clips = job.clips
    settings = GenerationSettings(clips.num_frames, clips.height, clips.width, num_inference_steps=25)
    video = pipeline.generate([job.validation_prompt], [job.training.seed], settings)[0]
    captioned = captioned_grid([video], [f"step {step}: {job.validation_prompt}"])
    path = write_gif(job.output_dir / "validation" / f"step-{step:07d}.gif", captioned)
    mlflow.log_artifact(str(path), artifact_path="validation")


def add_part_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, what: str) -> None:
    """``--disable`` and ``--lsa-form``: the flags that choose which SimDA parts exist."""
    parser.add_argument(
        "--disable", action="append", default=[], choices=PARTS, help=f"switch a SimDA part off (repeatable) {what}"
    )
    parser.add_argument(
        "--lsa-form", choices=["paper", "code"], default="paper", help="keys/values of latent-shift attention"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m simda.train", __doc__)
    model = parser.add_argument_group("model")
    add_options(model, ModelSettings, {}, aliases={"base": ("--pretrained_model_name_or_path",)})
    data = parser.add_argument_group("data")
    data.add_argument("--csv", type=Path, help="WebVid CSV (videoid, name, page_dir, ...)")
    data.add_argument("--videos", type=Path, help="folder holding <page_dir>/<videoid>.mp4")
    data.add_argument(
        "--video-folder", "--train_data_dir", type=Path, help="instead: a folder of mp4s with .txt captions"
    )
    add_options(data, ClipSettings, {n: p.clips for n, p in PRESETS.items()}, aliases={"num_frames": ("--num_frames",)})
    training = parser.add_argument_group("training (diffusers' training-script spellings are accepted too)")
    add_options(training, TrainSettings, {n: p.training for n, p in PRESETS.items()}, aliases=DIFFUSERS_FLAGS)
    add_part_options(training, "as the ablation does")
    sr = parser.add_argument_group("super-resolution (paper, section 3.4)")
    sr.add_argument(
        "--sr",
        action="store_true",
        help="train the x4 upscaler's SR adapters: --height/--width are then the high-resolution clip size "
        "(the upscaler's output; its input is the clip 4x smaller)",
    )
    add_options(sr, UpscalerModelSettings, {}, only=("sr_base", "sr_ckpt"))
    output = parser.add_argument_group("output")
    output.add_argument(
        "--output-dir",
        "--out",
        "--output_dir",
        type=Path,
        default=Path("runs/simda-train"),
        help="checkpoints and final adapters; rerun with the same folder to resume",
    )
    output.add_argument("--log-every", type=int, default=10, help="steps between logged losses (default 10)")
    output.add_argument(
        "--validate-every",
        "--validation_steps",
        type=int,
        default=0,
        help="log a validation video every n steps (0: off)",
    )
    output.add_argument("--validation-prompt", "--validation_prompt", default=TrainJob.validation_prompt)
    output.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    output.add_argument(
        "--experiment", "--tracker_project_name", default="simda-train", help="MLflow experiment (default simda-train)"
    )
    return parser


def make_job(args: argparse.Namespace) -> TrainJob:
    model = make_model_settings(args)
    preset = preset_for(model)
    return TrainJob(
        model=model,
        clips=from_args(preset.sr_clips if args.sr else preset.clips, args),
        training=from_args(preset.training, args),
        data=TrainingData(args.csv, args.videos, args.video_folder),
        output_dir=args.output_dir,
        disable=tuple(args.disable),
        lsa_form=args.lsa_form,
        log_every=args.log_every,
        validate_every=args.validate_every,
        validation_prompt=args.validation_prompt,
        tracking_uri=args.tracking_uri,
        experiment=args.experiment,
        synthetic_videos=preset.synthetic_videos,
    )


def make_model_settings(args: argparse.Namespace) -> ModelSettings | UpscalerModelSettings:
    """The text-to-video model's settings, or with ``--sr`` the upscaler's; flags of the other stage are refused."""
    if args.sr:
        typed = [flag for flag, value in (("--base", args.base), ("--ckpt", args.ckpt)) if value is not None]
        if typed:
            raise InvalidSetting(
                f"{', '.join(typed)} name the text-to-video model; with --sr pass the upscaler as --sr-base "
                "and SR adapters to start from as --sr-ckpt"
            )
        return construct(UpscalerModelSettings, args)
    typed = [flag for flag, value in (("--sr-base", args.sr_base), ("--sr-ckpt", args.sr_ckpt)) if value is not None]
    if typed:
        raise InvalidSetting(f"{', '.join(typed)} given without --sr; add --sr to train the upscaler's adapters")
    return construct(ModelSettings, args)


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
