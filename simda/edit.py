"""``python -m simda.edit``: one-shot text-guided editing of a video (Tune-A-Video protocol).

    python -m simda.edit --preset tiny --edit "a blue square moving right"      # synthetic clip, CPU
    python -m simda.edit --base ./stable-diffusion-v1-4 --video car-turn.mp4 \\
        --prompt "a jeep car is moving on the road" --edit "a Porsche car is moving on the beach" --output-dir edits/

The adapters are tuned on the one video with its caption, the video is inverted with DDIM, and each
``--edit`` caption is generated from the inverted latents: mp4 and GIF per edit, and summary.json.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import BadInputFile, InvalidSetting, MissingInput
from simda.plumbing.identity import claim_record, default_folder, identity_of, settings_of
from simda.plumbing.options import add_group, construct, from_args, values
from simda.settings import EditSettings, EditSourceSettings, ModelSettings, preset_defaults, preset_for


@dataclass(frozen=True, kw_only=True)
class EditJob(EditSourceSettings):
    """The source video, its caption, the edits and the folder (checked as settings), the model and the editing."""

    model: ModelSettings
    editing: EditSettings

    def __post_init__(self) -> None:
        super().__post_init__()
        self.model.require_model()
        if not self.edits or any(not edit.strip() for edit in self.edits):
            raise InvalidSetting("--edit: give at least one non-empty edited caption")
        if self.video is None and not self.model.tiny:
            raise InvalidSetting("--video: pass the mp4 to edit (and --prompt, its caption)")
        if self.video is not None:
            if not Path(self.video).is_file():
                raise MissingInput(f"--video {self.video}: not found; pass an existing mp4")
            if not self.prompt:
                raise InvalidSetting("--prompt: pass the caption of the source video, to tune on")

    def identity(self) -> str:
        """What the edit computes from: the settings and the source video's bytes, not the folder or device."""
        return identity_of(settings_of(self, ("output_dir", "device")))


@dataclass
class EditCommandResult:
    output_dir: Path
    caption: str
    summary_data: dict[str, Any]
    random_weights: bool

    def summary(self) -> str:
        data = self.summary_data
        note = f" ({RANDOM_WEIGHTS_BANNER})" if self.random_weights else ""
        lines = [f"edited {self.caption!r}{note}"]
        lines += [f"  {caption!r}: {path}" for caption, path in data["edits"].items()]
        lines.append(
            f"tuning {data['train_minutes']:.2f} min, inference {data['inference_minutes']:.2f} min per edit, "
            f"{data['tuned_parameters']:,} tuned parameters"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"source_caption": self.caption, "random_weights": self.random_weights, **self.summary_data}


def check_source_video(path: Path, settings: EditSettings) -> None:
    """The source video decodes and holds the frames tuning reads (``--num-frames`` at ``--frame-stride``),
    checked before the model loads; raises :class:`BadInputFile` naming ``--video``."""
    from metrics.video_io import VideoDecodeError, read_video

    span = (settings.num_frames - 1) * settings.frame_stride + 1
    try:
        read_video(path, span)
    except VideoDecodeError as exc:
        raise BadInputFile(
            f"--video {path}: {exc} (tuning reads {settings.num_frames} frames every {settings.frame_stride}); "
            "pass a longer mp4 that decodes, or lower --num-frames / --frame-stride"
        ) from None


def run(job: EditJob) -> EditCommandResult:
    job.model.require_files()  # a missing --base or --ckpt: said at once, not after the imports
    if job.video is not None:
        check_source_video(job.video, job.editing)  # before torch and the model load
    claim_record(job.output_dir, "edit", job.identity())  # another edit's results are never overwritten
    import logging
    import tempfile

    from simda.data import CaptionedVideo
    from simda.editor import edit_video, save_result, synthetic_source
    from simda.model.loading import load_model
    from simda.pipeline import SimDAPipeline
    from simda.plumbing.atomic import require_writable_dir

    log = logging.getLogger("simda.edit")
    require_writable_dir(job.output_dir, "--output-dir")
    loaded = load_model(job.model, seed=job.editing.seed)
    if loaded.base.random_weights:
        log.warning("%s (random-weight base %s)", RANDOM_WEIGHTS_BANNER, loaded.base.source)
    pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
    with tempfile.TemporaryDirectory() as scratch:
        if job.video is None:
            video = synthetic_source(Path(scratch), job.editing)
        else:
            video = CaptionedVideo(job.video.stem, job.video, job.prompt or "")
        result = edit_video(pipeline, video, list(job.edits), job.editing, Path(scratch) / "tuning", progress=True)
    summary = save_result(result, job.output_dir)
    return EditCommandResult(job.output_dir, video.caption, summary, loaded.base.random_weights)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m simda.edit", __doc__)
    add_group(parser, "model", ModelSettings)
    add_group(parser, "source and edits", EditSourceSettings)
    add_group(parser, "editing", EditSettings, presets=preset_defaults("editing"))
    return parser


def make_job(args: argparse.Namespace) -> EditJob:
    model = construct(ModelSettings, args)
    editing = from_args(preset_for(model).editing, args)
    job = EditJob(model=model, editing=editing, **values(args, EditSourceSettings))
    return job if job.output_dir else replace(job, output_dir=default_folder("edit", job.identity()))


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
