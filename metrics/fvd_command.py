"""``python -m metrics.fvd``: FVD (and CLIPSIM where captions exist) between two sets of videos.

    python -m metrics.fvd --real real/ --fake fake/ --i3d i3d_pretrained_400.pt
    python -m metrics.fvd --real real/ --fake fake.csv --i3d i3d_pretrained_400.pt --clip-ckpt vit-b-32.bin
    python -m metrics.fvd --preset tiny --real real/ --fake fake/      # random I3D: proves the machinery only

A set is a folder of .mp4 files (hidden and temporary files are ignored) or a .csv/.jsonl index with a
``path`` and an optional ``caption`` column. ``--fvd-protocol`` picks the public tool whose
conventions the number reproduces (docs/metrics.md); every convention is printed with the
result and written to ``result.json`` in ``--output-dir``. The metric is :mod:`metrics.fvd`, which hands
``python -m metrics.fvd`` to this module.

Exit status: 0 on success, 2 for bad input (a missing path, an invalid value), 1 when a set has no
usable video. Heavy libraries load after the arguments are checked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.command_line import CommandParser
from metrics.protocol_names import DEFAULT_PROTOCOL_NAME, RANDOM_WEIGHTS_BANNER
from metrics.strict_json import strict_dumps
from simda.plumbing.options import add_options, construct, values
from simda.settings import (
    FVD_COMMAND_EVALUATION_FIELDS,
    EvaluationSettings,
    FVDCommandSettings,
    MetricWeightSettings,
)

if TYPE_CHECKING:  # the heavy modules load in run(), after the flags are checked
    from metrics.frame_selection import FrameSelection
    from metrics.fvd_protocols import FVDProtocol


class NoUsableVideos(RuntimeError):
    """A whole set decoded to nothing: there is no statistic to compare."""


@dataclass(frozen=True, kw_only=True)
class FVDJob(FVDCommandSettings, MetricWeightSettings):
    """One comparison of two video sets, validated before anything heavy is imported.

    The command's own settings (which check the numbers and hold every default) and its weight files,
    with the :data:`simda.settings.FVD_COMMAND_EVALUATION_FIELDS` of the benchmarks' settings.
    """

    fvd_protocol: str
    fvd_frame_stride: int | None
    fvd_frame_start: str | None
    clip_model: str
    clip_pretrained: str

    def __post_init__(self) -> None:
        super().__post_init__()  # the settings' own checks of each value
        if (self.i3d is None) == (self.preset is None):
            raise ValueError("pass --i3d the I3D weight file, or --preset tiny for a random I3D (machinery only)")
        for flag, path, what in (
            ("--real", self.real, "a folder of .mp4 files or a .csv/.jsonl index"),
            ("--fake", self.fake, "a folder of .mp4 files or a .csv/.jsonl index"),
            ("--i3d", self.i3d, "the I3D weights file"),
            ("--clip-ckpt", self.clip_ckpt, "a local open_clip checkpoint file"),
            ("--captions", self.captions, "a .csv/.jsonl file with path and caption columns"),
        ):
            if path is not None and not Path(path).exists():
                raise FileNotFoundError(f"{flag} {path}: not found; pass {what}")
        if self.openai is not None and self.clip_pretrained not in ("openai", self.pretrained):
            raise ValueError(
                f"--{'' if self.openai else 'no-'}openai contradicts --clip-pretrained {self.clip_pretrained}; "
                "pass one of them"
            )
        if self.fvd_frames == "spread" and (self.fvd_frame_stride is not None or self.fvd_frame_start is not None):
            raise ValueError(
                "--fvd-frame-stride and --fvd-frame-start choose a window of consecutive frames; "
                "--fvd-frames spread takes none: drop them or choose --fvd-frames protocol"
            )
        if self.output_dir is not None and self.output_dir.exists() and not self.output_dir.is_dir():
            raise ValueError(f"--output-dir {self.output_dir}: exists and is not a folder")

    @property
    def pretrained(self) -> str:
        """open_clip's tag of ``--clip-ckpt``'s weights: ``--openai``/``--no-openai`` spell openai/none."""
        return {None: self.clip_pretrained, True: "openai", False: "none"}[self.openai]

    def frame_selection(self, protocol: FVDProtocol) -> FrameSelection:
        """The frames read from each video of both sets: the protocol's window (with the user's stride and
        start), or the spread over the whole clip."""
        from metrics.frame_selection import SPREAD

        if self.fvd_frames == "spread":
            return SPREAD
        return protocol.frame_selection().with_overrides(stride=self.fvd_frame_stride, start=self.fvd_frame_start)


@dataclass
class FVDCommandResult:
    fvd: dict[str, Any]  # FVDResult.as_dict(): value, counts, interval and every protocol convention
    clipsim: float | None
    clipsim_videos: int
    skipped: list[tuple[str, str]]
    random_weights: bool
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"FVD: {self.fvd['value']:.4f}"]
        if self.fvd["ci_low"] is not None:
            lines.append(
                f"FVD {self.fvd['confidence']:.0%} interval ({self.fvd['interval_method']}, "
                f"{self.fvd['interval_replicates']} groups of the fake set): "
                f"[{self.fvd['ci_low']:.4f}, {self.fvd['ci_high']:.4f}]"
            )
        lines.append(f"videos: real {self.fvd['num_real']}, fake {self.fvd['num_fake']}, skipped {len(self.skipped)}")
        if self.clipsim is not None:
            lines.append(f"CLIPSIM: {self.clipsim:.4f} (raw cosine, mean over {self.clipsim_videos} captioned videos)")
        lines += self.notes
        lines += ["protocol:", *(f"  {key}: {value}" for key, value in self.fvd.items() if key.startswith("fvd."))]
        if self.skipped:
            lines += [f"skipped {len(self.skipped)} videos:", *(f"  {path}: {reason}" for path, reason in self.skipped)]
        if self.random_weights:
            lines.append(f"{RANDOM_WEIGHTS_BANNER} (--preset tiny: a random I3D)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "notes"}


def run(job: FVDJob) -> FVDCommandResult:
    """Decode both sets chunk by chunk into one FVD (and CLIPSIM for captioned fake videos)."""
    import torch

    from metrics.clip import ClipScorer, ClipSimAccumulator
    from metrics.fvd import FVD
    from metrics.fvd_protocols import get_protocol
    from metrics.i3d import file_sha256
    from metrics.progress import progress_bar
    from metrics.video_io import VideoDecodeError, list_videos, read_video

    device = ("cuda" if torch.cuda.is_available() else "cpu") if job.device == "auto" else job.device
    protocol = get_protocol(job.fvd_protocol)
    selection = job.frame_selection(protocol)  # the tool's frames of a longer clip (first or random window)
    if job.i3d is None:  # --preset tiny
        detector, detector_sha256 = protocol.random_detector(0), "random-calibrated-seed0"
    else:
        detector, detector_sha256 = protocol.load_detector(job.i3d, device), file_sha256(job.i3d)
    fvd = FVD(
        detector,
        protocol=protocol,
        batch_size=job.batch_size,
        device=device,
        interval=job.interval,
        detector_sha256=detector_sha256,
        frame_sampling=selection.describe(),
        progress=False,
    )
    captions = {}
    if job.captions is not None:
        captions = {e.path.name: e.caption for e in list_videos(job.captions) if e.caption is not None}
    scorer, clipsim = None, ClipSimAccumulator()
    if job.clip_ckpt is not None:
        # none (--no-openai): the model config as written (GELU for ViT-B-32); openai: OpenAI's weights, QuickGELU
        scorer = ClipScorer.from_pretrained(job.clip_model, job.clip_ckpt, pretrained=job.pretrained, device=device)
    elif job.preset == "tiny":
        scorer = ClipScorer.random(0, device=device)
    skipped: list[tuple[str, str]] = []
    for name, source in (("real", job.real), ("fake", job.fake)):
        entries, count = list_videos(source), 0
        for start in progress_bar(range(0, len(entries), job.batch_size), desc=name, unit="batch"):
            read = []  # (entry, frames) of each decodable video; the others go to skipped with the reason
            for entry in entries[start : start + job.batch_size]:
                try:
                    read.append((entry, read_video(entry.path, job.frames, selection)))
                except VideoDecodeError as exc:
                    skipped.append((str(entry.path), str(exc)))
            if not read:
                continue
            fvd.update([frames for _, frames in read], real=name == "real")
            count += len(read)
            if name == "fake" and scorer is not None:
                # CLIPSIM of each video with a caption: --captions' (by file name), else its index's
                texts = [captions.get(entry.path.name, entry.caption) for entry, _ in read]
                if videos := [frames for (_, frames), text in zip(read, texts, strict=True) if text is not None]:
                    clipsim.update(scorer.clipsim(videos, [text for text in texts if text is not None]).per_video)
        if count == 0:
            reasons = "; ".join(f"{path}: {reason}" for path, reason in skipped[:5])
            raise NoUsableVideos(
                f"no usable {name} videos in {source} (--{name}); unreadable: {reasons or 'none found'}"
            )
    result, notes = fvd.compute(), []  # notes: where a number is not what the flags asked for
    if 0 < (groups := result.interval_replicates) < job.interval:
        notes.append(f"interval: {groups} jackknife groups (one per fake video; asked for {job.interval})")
    if scorer is not None and not clipsim.count:
        notes.append("CLIPSIM: not computed (no captions for the fake videos; pass --captions or a 'caption' column)")
    return FVDCommandResult(
        fvd=result.as_dict(),
        clipsim=clipsim.compute() if clipsim.count else None,
        clipsim_videos=clipsim.count,
        skipped=skipped,
        random_weights=job.preset == "tiny" or (scorer is not None and job.clip_ckpt is None),
        notes=notes,
    )


def build_parser() -> argparse.ArgumentParser:
    """The flags are settings fields (:class:`simda.settings.FVDCommandSettings` and the groups it names)."""
    parser = CommandParser(
        prog="python -m metrics.fvd",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    add_options(parser, FVDCommandSettings, {})
    add_options(
        parser,
        MetricWeightSettings,
        {},
        override={"clip_ckpt": {"help": "local open_clip checkpoint; enables CLIPSIM"}},
    )
    add_options(
        parser,
        EvaluationSettings,
        {},
        only=FVD_COMMAND_EVALUATION_FIELDS,
        override={
            "fvd_protocol": {
                "help": f"the public FVD tool to reproduce (default {DEFAULT_PROTOCOL_NAME}); it fixes "
                "preprocessing, BatchNorm eps, covariance divisor and square root (docs/metrics.md)"
            },
            "fvd_frame_stride": {"help": "stride between the frames taken from each video (unset: the protocol's)"},
            "fvd_frame_start": {
                "help": "where each video's window starts: first, centre or random (seed 0 and the file name); "
                "unset: the FVD protocol's convention"
            },
        },
    )
    return parser


def make_job(args: argparse.Namespace) -> FVDJob:
    """The job of the flags the user gave, every other field at its settings default (checked there)."""
    evaluation = construct(EvaluationSettings, args)
    shared = {name: getattr(evaluation, name) for name in FVD_COMMAND_EVALUATION_FIELDS}
    return FVDJob(**values(args, FVDCommandSettings, MetricWeightSettings), **shared)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) and argparse's usage errors (2, already printed)
        return int(stop.code or 0)
    try:
        job = make_job(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = run(job)
    except NoUsableVideos as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    if job.output_dir is not None:
        job.output_dir.mkdir(parents=True, exist_ok=True)
        (job.output_dir / "result.json").write_text(strict_dumps(result.to_dict(), indent=2))
        print(f"files: {job.output_dir / 'result.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
