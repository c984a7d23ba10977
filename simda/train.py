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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting
from simda.plumbing.identity import default_folder, identity_of, settings_of
from simda.plumbing.options import add_group, add_options, construct, from_args, values
from simda.resume import check_resume_request
from simda.settings import (
    RESUMABLE_SETTINGS,
    UPSCALE_FACTOR,
    ClipSettings,
    ModelSettings,
    PartSettings,
    ResumeSettings,
    TrackingSettings,
    TrainingData,
    TrainOutputSettings,
    TrainSettings,
    UpscalerModelSettings,
    UpscaleSwitch,
    preset_defaults,
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


@dataclass(frozen=True, kw_only=True)
class TrainJob(TrainOutputSettings, PartSettings, TrackingSettings):
    """The output, part and tracking flags (checked as settings), the model, its clips, training and data."""

    #: The text-to-video model, or with ``--sr`` the upscaler whose SR adapters train.
    model: ModelSettings | UpscalerModelSettings
    clips: ClipSettings
    training: TrainSettings
    data: TrainingData
    synthetic_videos: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.sr:
            self.model.require_model()
        if not self.data.given and self.synthetic_videos is None:
            raise InvalidSetting("no training data: pass --csv and --videos, or --video-folder")
        if self.validate_every < 0:
            raise InvalidSetting(f"--validate-every {self.validate_every}: must be >= 0")
        if self.sr:  # files exist and clips can be upscaler targets, before any model loads
            if self.validate_every:
                raise InvalidSetting("--validate-every: SR training logs no validation videos yet; pass 0 with --sr")
            self.model.require_files()
            multiple = UPSCALE_FACTOR * self.model.size_multiple()
            for flag, size in (("--height", self.clips.height), ("--width", self.clips.width)):
                if size % multiple:
                    raise InvalidSetting(
                        f"{flag} {size}: with --sr clips are the upscaler's high-resolution targets, so their size "
                        f"must be a multiple of {multiple} (the 4x factor times this upscaler's UNet multiple)"
                    )

    @property
    def command(self) -> str:
        """The command this job is, as its run records and default folder name it."""
        return "simda-sr" if self.sr else "simda-train"

    def identity(self) -> str:
        """What the adapters are computed from: not how long to train, how often to save, or where to log."""
        ignored = (*RESUMABLE_SETTINGS, "output_dir", "log_every", "validate_every", "validation_prompt")
        return identity_of(settings_of(self, (*ignored, "tracking_uri", "experiment", "device")))

    @property
    def sr(self) -> bool:
        """Whether the upscaler's SR adapters train (``--sr``) rather than the text-to-video ones."""
        return isinstance(self.model, UpscalerModelSettings)


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
        note = f" ({RANDOM_WEIGHTS_BANNER})" if self.random_weights else ""
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


def synthetic_training_data(job: TrainJob) -> TrainingData:
    """The tiny preset's clips (moving squares in WebVid's layout, as the tiny benchmarks use), written once
    per content into the synthetic-data cache (``simda.plumbing.content_cache``), so an identical rerun logs
    the same params."""
    from simda.plumbing.content_cache import cached_folder, synthetic_data_root
    from simda.synthetic import SYNTHETIC_VERSION, moving_square, write_webvid_clips

    span = job.clips.num_frames * job.clips.frame_stride * SYNTHETIC_SPAN
    indices = range(job.synthetic_videos)

    def write(folder: Path) -> dict[str, Path]:
        clips = (moving_square(index, span, 64, 64) for index in indices)
        return {"csv": write_webvid_clips(folder, indices, clips, "results_2M_train.csv"), "videos": folder / "videos"}

    content = {"writer": "simda.synthetic:moving_square", "count": len(indices), "frames": span, "size": 64}
    content["version"] = SYNTHETIC_VERSION
    files = cached_folder(synthetic_data_root(), f"simda-train-{len(indices)}", content, write)
    return TrainingData(files["csv"].resolve(), files["videos"].resolve())


def run_params(
    job: TrainJob, data: TrainingData, config: Any, loaded: Any, videos: list[Any], world_size: int
) -> dict[str, Any]:
    """Everything that decides what the run learns: the MLflow params and the result's ``settings``."""
    return {
        "stage": "super_resolution" if job.sr else "text_to_video",
        "train": job.training.as_params(),
        "clip": job.clips.as_params(),
        "simda": config.to_dict(),
        "base": {"source": loaded.base.source, "identity": loaded.base.identity()},
        "init_checkpoint": loaded.checkpoint,
        "data": {"clips": len(videos), **{k: str(v) for k, v in vars(data).items()}},
        "world_size": world_size,
        "random_weights": loaded.base.random_weights,
    }


def step_logger(job: TrainJob, pipeline: Any, losses: dict[int, float]) -> Any:
    """The per-report callback: the loss curve into ``losses`` and MLflow, a validation video when due."""
    import mlflow

    def report(step: Any) -> None:
        losses[step.step] = step.loss
        mlflow.log_metrics({name: value for name, value in vars(step).items() if name != "step"}, step=step.step)
        if job.validate_every and step.step % job.validate_every == 0:
            validate(pipeline, job, step.step)

    return report


def log_outcome(job: TrainJob, final: Path, skipped: int, losses: dict[int, float], random_weights: bool) -> None:
    """Rank 0's closing MLflow entries: skipped videos, the adapters' config, the loss plot and where they are."""
    import mlflow

    mlflow.log_metric("skipped_videos", skipped)
    mlflow.log_artifact(str(final / "config.json"))
    if losses:
        mlflow.log_artifact(str(write_loss_plot(job.output_dir / "loss.png", losses, random_weights)), "plots")
    mlflow.set_tag("adapters", str(final.resolve()))


def write_loss_plot(path: Path, losses: dict[int, float], random_weights: bool) -> Path:
    """The loss against the optimizer step as a PNG (seen without a UI), titled with the random-weights banner
    when the frozen base had random weights; drawn with matplotlib's file-only Agg backend (headless nodes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simda.plumbing.atomic import atomic_path

    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(list(losses), list(losses.values()), marker="." if len(losses) < 50 else None)
    axis.set_xlabel("step")
    axis.set_ylabel("loss (noise MSE)")
    axis.set_title(f"training loss ({RANDOM_WEIGHTS_BANNER})" if random_weights else "training loss", fontsize=9)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    plt.close(figure)
    return path


def run(job: TrainJob) -> TrainResult | None:
    """Train (resuming from ``job.output_dir``); rank 0 returns the result, other ranks ``None``."""
    if not job.sr:
        job.model.require_files()  # a missing --base or --ckpt: said at once, not after the imports
    import contextlib
    import logging

    from simda.data import read_caption_folder, read_webvid_csv
    from simda.model.config import SimDAConfig
    from simda.plumbing.atomic import require_writable_dir
    from simda.plumbing.distributed import process_group
    from simda.plumbing.identity import claim_output_dir
    from simda.plumbing.tracking import configure_tracking, tracked_run

    log = logging.getLogger("simda.train")
    require_writable_dir(job.output_dir, "--output-dir")  # on every rank
    config = SimDAConfig(lsa_form=job.lsa_form).without(*job.disable)
    identity = job.identity()
    with process_group() as layout, contextlib.ExitStack() as held:
        if layout.is_main:
            held.enter_context(claim_output_dir(job.output_dir, job.command, identity))  # refused before MLflow
            configure_tracking(job.tracking_uri)  # an unreachable store fails now, not after the first steps
        data = job.data if job.data.given else synthetic_training_data(job)
        videos = read_caption_folder(data.video_folder) if data.video_folder else read_webvid_csv(data.csv, data.videos)
        loaded, trainer = build_trainer(job, config, videos, layout)
        trainer.check_settings(has_checkpoints=bool(trainer.checkpoints()))  # refuse a mismatch before MLflow
        random_weights = loaded.base.random_weights
        if random_weights:
            log.warning("%s (random-weight base %s)", RANDOM_WEIGHTS_BANNER, loaded.base.source)
        settings = run_params(job, data, config, loaded, videos, layout.world_size)
        tags = {"random_weights": str(random_weights).lower(), "stage": settings["stage"]}
        losses: dict[int, float] = {}
        resume_key = str(job.output_dir.resolve())  # a resumed run continues its MLflow run and loss curve
        tracking = {"enabled": layout.is_main, "tracking_uri": job.tracking_uri, "resume_key": resume_key}
        tracking["identity"] = identity
        with tracked_run(job.experiment, job.output_dir.name, settings, tags, **tracking):
            final = trainer.run(on_report=step_logger(job, trainer.pipeline, losses), log_every=job.log_every)
            if layout.is_main:
                log_outcome(job, final, len(trainer.skipped), losses, random_weights)
    if not layout.is_main:
        return None
    log.info("adapters written to %s (%d steps)", final, trainer.step)
    final_loss = list(losses.values())[-1] if losses else None
    skipped = sorted(trainer.skipped)
    return TrainResult(job.output_dir, final, trainer.step, final_loss, skipped, random_weights, settings)


def build_trainer(job: TrainJob, config: Any, videos: list, layout: Any) -> tuple[Any, Any]:
    """The loaded model and its trainer: text-to-video adapters, or with ``--sr`` the upscaler's."""
    from simda.data import ClipSampler
    from simda.model.loading import load_model
    from simda.pipeline import SimDAPipeline
    from simda.sr.pipeline import SimDAUpscalePipeline
    from simda.sr.training import UpscalerTrainer
    from simda.training import Trainer

    device = layout.device(job.model.device)
    sampler = ClipSampler(job.clips.num_frames, job.clips.height, job.clips.width, job.clips.frame_stride)
    loaded = load_model(job.model, config=config, seed=job.training.seed, device=device)
    if job.sr:
        pipeline = SimDAUpscalePipeline.from_upscaler(loaded.model, loaded.base)
        return loaded, UpscalerTrainer(pipeline, videos, sampler, job.training, job.output_dir, layout)
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    return loaded, Trainer(pipeline, videos, sampler, job.training, job.output_dir, layout)


def validate(pipeline: Any, job: TrainJob, step: int) -> None:
    """Generate the validation prompt with the current adapters and log it as a GIF, the prompt under it."""
    import mlflow

    from simda.settings import VALIDATION_INFERENCE_STEPS, GenerationSettings
    from simda.video_io import captioned_grid, write_gif

    settings = GenerationSettings(
        job.clips.num_frames, job.clips.height, job.clips.width, num_inference_steps=VALIDATION_INFERENCE_STEPS
    )
    video = pipeline.generate([job.validation_prompt], [job.training.seed], settings)[0]
    captioned = captioned_grid([video], [f"step {step}: {job.validation_prompt}"])
    path = write_gif(job.output_dir / "validation" / f"step-{step:07d}.gif", captioned)
    mlflow.log_artifact(str(path), artifact_path="validation")


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m simda.train", __doc__)
    add_group(parser, "model", ModelSettings, aliases={"base": ("--pretrained_model_name_or_path",)})
    presets = preset_defaults("clips")
    data = add_group(parser, "data", TrainingData)
    add_options(data, ClipSettings, presets, aliases={"num_frames": ("--num_frames",)})
    training = add_group(
        parser,
        "training (diffusers' training-script spellings are accepted too)",
        TrainSettings,
        presets=preset_defaults("training"),
        aliases=DIFFUSERS_FLAGS,
    )
    add_options(training, PartSettings, {})
    train_upscaler = (
        "train the x4 upscaler's SR adapters: --height/--width are then the high-resolution clip size "
        "(the upscaler's output; its input is the clip 4x smaller)"
    )
    sr = add_group(
        parser, "super-resolution (paper, section 3.4)", UpscaleSwitch, override={"sr": {"help": train_upscaler}}
    )
    add_options(sr, UpscalerModelSettings, {}, only=("sr_base", "sr_ckpt"))
    add_group(parser, "output", TrainOutputSettings, ResumeSettings, TrackingSettings)
    return parser


def make_job(args: argparse.Namespace) -> TrainJob:
    model = make_model_settings(args)
    preset = preset_for(model)
    job = TrainJob(
        model=model,
        clips=from_args(preset.sr_clips if args.sr else preset.clips, args),
        training=from_args(preset.training, args),
        data=construct(TrainingData, args),
        synthetic_videos=preset.synthetic_videos,
        **values(args, PartSettings, TrainOutputSettings, TrackingSettings),
    )
    if not job.output_dir:  # unset: named after the identity
        job = replace(job, output_dir=default_folder(job.command, job.identity()))
    check_resume_request(construct(ResumeSettings, args).resume_from_checkpoint, job.output_dir)
    return job


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
