"""``python -m simda.train``: tune the SimDA adapters on captioned video clips.

    python -m simda.train --preset tiny                      # synthetic clips, tiny model, CPU
    torchrun --nproc_per_node=8 -m simda.train --base ./stable-diffusion-v1-5 \
        --csv results_2M_train.csv --videos ./webvid --out runs/simda --mixed-precision fp16

A rerun with the same ``--out`` resumes from the newest checkpoint there.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import mlflow

from benchmarks.tracking import tracked_run
from simda.config import SimDAConfig
from simda.data import ClipSampler, read_caption_folder, read_webvid_csv
from simda.distributed import init_from_environment
from simda.loading import add_model_arguments, load_model
from simda.logs import setup_logging
from simda.loss_plot import write_loss_plot
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.synthetic import write_webvid_set
from simda.training import StepReport, Trainer, TrainSettings
from simda.video_io import captioned_grid, write_gif

log = logging.getLogger("simda.train")
TINY_DEFAULTS = {"frames": 8, "size": 32, "steps": 20, "lr": 1e-3, "videos": 8}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    data = parser.add_argument_group("data")
    data.add_argument("--csv", type=Path, help="WebVid CSV (videoid,name,page_dir,...)")
    data.add_argument("--videos", type=Path, help="folder with <page_dir>/<videoid>.mp4")
    data.add_argument("--video-folder", type=Path, help="instead: a folder of mp4s with .txt captions")
    data.add_argument("--frames", type=int, help="frames per clip (default 16; tiny 8)")
    data.add_argument("--size", type=int, help="clip height and width (default 256; tiny 32)")
    data.add_argument("--frame-stride", type=int, default=4, help="take every n-th frame")
    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=int, help="optimizer steps (default 10000; tiny 20)")
    train.add_argument("--batch-size", type=int, default=1, help="clips per GPU per step")
    train.add_argument("--lr", type=float, help="AdamW learning rate (default 5e-5; tiny 1e-3)")
    train.add_argument("--weight-decay", type=float, default=1e-2)
    train.add_argument("--warmup-steps", type=int, default=0)
    train.add_argument("--mixed-precision", choices=["no", "fp16", "bf16"], default="no")
    train.add_argument("--gradient-checkpointing", action="store_true")
    train.add_argument("--checkpoint-every", type=int, default=500)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--disable",
        action="append",
        default=[],
        choices=["ta", "aa", "fa", "sa", "lsa"],
        help="switch a SimDA part off (repeatable), as the ablation does",
    )
    train.add_argument("--lsa-form", choices=["paper", "code"], default="paper")
    out = parser.add_argument_group("output")
    out.add_argument("--out", type=Path, default=Path("runs/simda-train"), help="checkpoints and final adapters")
    out.add_argument("--log-every", type=int, default=10)
    out.add_argument("--validate-every", type=int, default=0, help="write a validation video every n steps")
    out.add_argument("--validation-prompt", default="a red square moving right on a dark background")
    out.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    out.add_argument("--experiment", default="simda-train")
    args = parser.parse_args(argv)
    tiny = args.preset == "tiny"
    args.frames = args.frames or (TINY_DEFAULTS["frames"] if tiny else 16)
    args.size = args.size or (TINY_DEFAULTS["size"] if tiny else 256)
    args.steps = args.steps or (TINY_DEFAULTS["steps"] if tiny else 10_000)
    args.lr = args.lr or (TINY_DEFAULTS["lr"] if tiny else 5e-5)
    if tiny and args.frame_stride == 4:
        args.frame_stride = 1
    return args


def training_videos(args: argparse.Namespace, scratch: Path) -> list:
    """The clips to train on; with ``--preset tiny`` and no data, a synthetic WebVid-layout set."""
    if args.video_folder is not None:
        return read_caption_folder(args.video_folder)
    if args.csv is not None or args.videos is not None:
        if args.csv is None or args.videos is None:
            raise SystemExit("WebVid data needs both --csv (the CSV file) and --videos (the video folder)")
        return read_webvid_csv(args.csv, args.videos)
    if args.preset != "tiny":
        raise SystemExit("no training data: pass --csv and --videos, or --video-folder")
    return read_webvid_csv(*write_webvid_set(scratch, TINY_DEFAULTS["videos"], num_frames=args.frames * 2, size=64))


def main(argv: list[str] | None = None) -> Path:
    setup_logging()
    args = parse_args(argv)
    layout = init_from_environment()
    config = SimDAConfig(lsa_form=args.lsa_form).without(*args.disable)
    device = str(layout.device(args.device))
    with tempfile.TemporaryDirectory() as scratch:
        videos = training_videos(args, Path(scratch))
        loaded = load_model(args.preset, args.base, args.ckpt, device, args.dtype, config=config, seed=args.seed)
        if loaded.base.random_weights:
            log.warning("random-weight base (%s): training proves the machinery, not the model", loaded.base.source)
        pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
        settings = TrainSettings(
            max_steps=args.steps,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            weight_decay=args.weight_decay,
            lr_warmup_steps=args.warmup_steps,
            mixed_precision=args.mixed_precision,
            gradient_checkpointing=args.gradient_checkpointing,
            checkpoint_every=args.checkpoint_every,
            seed=args.seed,
        )
        sampler = ClipSampler(args.frames, args.size, args.size, args.frame_stride)
        trainer = Trainer(pipeline, videos, sampler, settings, args.out, layout)
        params = {
            "train": settings.as_params(),
            "clip": vars(sampler) if hasattr(sampler, "__dict__") else {},
            "simda": config.to_dict(),
            "base": {"source": loaded.base.source, "identity": loaded.base.identity()},
            "init_checkpoint": loaded.checkpoint,
            "data": {"videos": len(videos), "csv": args.csv, "video_folder": args.video_folder},
            "world_size": layout.world_size,
            "random_weights": loaded.base.random_weights,
        }
        tags = {"random_weights": str(loaded.base.random_weights).lower()}
        with tracked_run(
            args.experiment, args.out.name, params, tags, enabled=layout.is_main, tracking_uri=args.tracking_uri
        ):
            losses: dict[int, float] = {}

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
                if args.validate_every and step.step % args.validate_every == 0:
                    validate(pipeline, args, step.step)

            final = trainer.run(on_report=report, log_every=args.log_every)
            if layout.is_main:
                mlflow.log_metric("skipped_videos", len(trainer.skipped))
                mlflow.log_artifact(str(final.with_suffix(".json")))
                if losses:
                    steps, values = list(losses), list(losses.values())
                    plot = write_loss_plot(args.out / "loss.png", steps, values, loaded.base.random_weights)
                    mlflow.log_artifact(str(plot), artifact_path="plots")
                mlflow.set_tag("adapters", str(final.resolve()))
        log.info(
            "adapters written to %s (%d steps, %d unreadable videos skipped)", final, trainer.step, len(trainer.skipped)
        )
        return final


def validate(pipeline: SimDAPipeline, args: argparse.Namespace, step: int) -> None:
    """Generate the validation prompt with the current adapters and log it as a GIF, the prompt under it."""
    settings = GenerationSettings(num_frames=args.frames, height=args.size, width=args.size, num_inference_steps=25)
    video = pipeline([args.validation_prompt], [args.seed], settings)[0]
    captioned = captioned_grid([video], [f"step {step}: {args.validation_prompt}"])
    path = write_gif(args.out / "validation" / f"step-{step:07d}.gif", captioned)
    mlflow.log_artifact(str(path), artifact_path="validation")


if __name__ == "__main__":
    main()
