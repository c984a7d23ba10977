"""``python -m simda.edit``: one-shot text-guided editing of a video (Tune-A-Video protocol).

    python -m simda.edit --preset tiny --edit "a blue square moving right"      # synthetic clip, CPU
    python -m simda.edit --base ./stable-diffusion-v1-4 --video car-turn.mp4 \
        --prompt "a jeep car is moving on the road" --edit "a Porsche car is moving on the beach" --out edits/
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import tempfile
from dataclasses import asdict
from pathlib import Path

from simda.data import CaptionedVideo
from simda.editing import EditResult, EditSettings, edit_video
from simda.loading import add_model_arguments, load_model
from simda.pipeline import SimDAPipeline
from simda.plumbing.atomic import atomic_path
from simda.plumbing.logs import setup_logging
from simda.synthetic import moving_square
from simda.video_io import write_gif, write_mp4

log = logging.getLogger("simda.edit")
TINY = {
    "tune_steps": 10,
    "num_frames": 8,
    "frame_stride": 1,
    "height": 64,
    "width": 64,
    "num_inference_steps": 10,
    "learning_rate": 1e-3,
}


def slug(caption: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")[:60] or "edit"


def add_edit_arguments(parser: argparse.ArgumentParser) -> None:
    """Tuning and generation flags shared by simda.edit and benchmarks.editing."""
    group = parser.add_argument_group("editing (defaults: paper / released code; tiny preset: small)")
    group.add_argument("--tune-steps", type=int, help="adapter tuning steps on the one video (paper: 200)")
    group.add_argument("--frames", type=int, help="frames tuned and generated (released code: 24)")
    group.add_argument("--frame-stride", type=int, help="take every n-th frame of the source (released code: 2)")
    group.add_argument("--size", type=int, help="frame height and width (released code: 512)")
    group.add_argument("--inference-steps", type=int, help="DDIM steps of inversion and generation (50)")
    group.add_argument("--guidance", type=float, help="classifier-free guidance of the edit (12.5)")
    group.add_argument("--lr", type=float, help="AdamW learning rate (5e-5)")
    group.add_argument("--mixed-precision", choices=["no", "fp16", "bf16"])
    group.add_argument("--gradient-checkpointing", action="store_true")
    group.add_argument("--seed", type=int, default=0)


def edit_settings(args: argparse.Namespace) -> EditSettings:
    """Flags over the tiny or the paper's defaults."""
    defaults = asdict(EditSettings())
    if args.preset == "tiny":
        defaults.update(TINY)
    chosen = {
        "tune_steps": args.tune_steps,
        "num_frames": args.frames,
        "frame_stride": args.frame_stride,
        "height": args.size,
        "width": args.size,
        "num_inference_steps": args.inference_steps,
        "guidance_scale": args.guidance,
        "learning_rate": args.lr,
        "mixed_precision": args.mixed_precision,
        "gradient_checkpointing": args.gradient_checkpointing or None,
        "seed": args.seed,
    }
    defaults.update({key: value for key, value in chosen.items() if value is not None})
    return EditSettings(**defaults)


def tiny_source(folder: Path, settings: EditSettings) -> CaptionedVideo:
    """A synthetic clip to edit when the tiny preset is given no video."""
    span = (settings.num_frames - 1) * settings.frame_stride + 1
    frames, caption = moving_square(0, span, settings.height, settings.width)
    return CaptionedVideo("tiny-source", write_mp4(folder / "source.mp4", frames), caption)


def save_result(result: EditResult, out: Path, fps: int = 8) -> dict[str, object]:
    """Write the source and every edit as mp4 and GIF, and a summary JSON; returns the summary."""
    write_gif(out / "source.gif", result.source, fps)
    files = {}
    for caption, frames in result.edits.items():
        path = write_mp4(out / f"{slug(caption)}.mp4", frames, fps)
        write_gif(path.with_suffix(".gif"), frames, fps)
        files[caption] = str(path)
    summary = {
        "edits": files,
        "train_minutes": result.train_seconds / 60,
        "inference_minutes": result.inference_seconds / 60,
        "train_peak_gib": result.train_peak_gib,
        "inference_peak_gib": result.inference_peak_gib,
        "tuned_parameters": result.tuned_parameters,
    }
    with atomic_path(out / "summary.json") as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: list[str] | None = None) -> dict[str, object]:
    setup_logging()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    parser.add_argument("--video", type=Path, help="the source video (mp4); tiny preset: a synthetic clip")
    parser.add_argument("--prompt", help="caption of the source video")
    parser.add_argument("--edit", action="append", required=True, help="edited caption (repeatable)")
    parser.add_argument("--out", type=Path, default=Path("edits"))
    add_edit_arguments(parser)
    args = parser.parse_args(argv)
    settings = edit_settings(args)
    if args.video is None and args.preset != "tiny":
        raise SystemExit("pass --video the mp4 to edit (and --prompt its caption)")
    if args.video is not None and not args.video.is_file():
        raise SystemExit(f"video {args.video} not found; pass --video an existing mp4")
    loaded = load_model(args.preset, args.base, args.ckpt, args.device, args.dtype, seed=settings.seed)
    if loaded.base.random_weights:
        log.warning("random-weight base (%s): the edit proves the machinery, not the model", loaded.base.source)
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    with tempfile.TemporaryDirectory() as scratch:
        if args.video is None:
            video = tiny_source(Path(scratch), settings)
        else:
            if not args.prompt:
                raise SystemExit("pass --prompt, the caption of the source video, to tune on")
            video = CaptionedVideo(args.video.stem, args.video, args.prompt)
        result = edit_video(pipeline, video, args.edit, settings, Path(scratch) / "tuning", progress=True)
    summary = save_result(result, args.out)
    log.info("edited %s: %s", video.caption, json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
