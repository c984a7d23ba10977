"""Checks that run before any model loads or video is generated, so a bad input costs seconds, not hours.

At paper scale one MSR-VTT run is 2,990 videos x 50 DDIM steps. Every input the run depends on
later is tried here first: the real videos exist and decode (every container opened and its frame
count read, a sample decoded as FVD will decode it), the run and cache folders take a file, the
metric networks load and run once on a tiny clip, and the tracking store answers.

Nothing here writes to the folders it checks except a probe file, removed at once (and nothing at
all into a folder that does not exist yet); only the tracking check may create the default
SQLite store, which the run would create a moment later anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from benchmarks.paper import RANDOM_WEIGHTS_NOTE
from metrics.video_io import VideoDecodeError, read_video
from simda.plumbing.atomic import require_writable_dir
from simda.plumbing.errors import UsageError

if TYPE_CHECKING:  # the folder check runs without torch or MLflow imported
    from benchmarks.datasets import Clip
    from benchmarks.networks import MetricNetworks

I3D_LOGITS = 400  # Kinetics-400 logits: the features every FVD protocol here is defined on
SAMPLE_SIZE = 8  # real videos fully decoded; the rest are opened and their frames counted


class PreflightError(UsageError):
    """An input that would make the run fail or mean nothing later; the message names the flag and the fix."""


@dataclass(frozen=True)
class RealVideoCheck:
    """What the real videos of an evaluation set look like before any work."""

    folder: Path
    listed: int
    present: int
    long_enough: int  # opened, with at least the frames FVD takes
    decoded: int  # of the sample decoded in full
    sampled: int
    problems: tuple[str, ...] = field(default=())  # "path: reason", the first few


@dataclass(frozen=True)
class NetworkCheck:
    """The metric networks ran once: I3D feature size and CLIP's score on a test clip."""

    i3d_features: int
    clipsim: float
    random_weights: bool


@dataclass(frozen=True)
class PreflightReport:
    """Every check's result, for the log (:meth:`format`) and for callers that act on the counts."""

    real_videos: RealVideoCheck | None
    writable: tuple[tuple[str, Path], ...]  # (flag, folder)
    networks: NetworkCheck
    tracking_uri: str

    def format(self) -> str:
        lines = ["preflight: every input answered; starting the run"]
        real = self.real_videos
        if real is not None:
            lines.append(
                f"real videos   {real.present}/{real.listed} present in {real.folder}, {real.long_enough} open with "
                f"enough frames, {real.decoded}/{real.sampled} sampled decode"
            )
            lines += [f"              unusable: {problem}" for problem in real.problems]
        lines += [f"writable      {flag} {folder}" for flag, folder in self.writable]
        weights = f" ({RANDOM_WEIGHTS_NOTE})" if self.networks.random_weights else ""
        lines.append(f"networks      I3D -> {self.networks.i3d_features} logits, CLIP scores a test clip{weights}")
        lines.append(f"tracking      {self.tracking_uri} answers")
        return "\n".join(lines)


def unusable_videos(paths: Sequence[Path], num_frames: int) -> dict[Path, str]:
    """Why each video is unusable, for every one whose header does not open or counts fewer than ``num_frames``
    frames (no decoding: seconds for thousands of files; the packets are counted when the header does not say)."""
    problems = {}
    for path in paths:
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                frames = int(stream.frames or sum(1 for packet in container.demux(stream) if packet.size))
        except (av.error.FFmpegError, IndexError, OSError) as exc:  # IndexError: no video stream
            problems[path] = f"cannot be opened ({type(exc).__name__}: {exc})"
            continue
        if frames < num_frames:
            problems[path] = f"has {frames} frames, fewer than the {num_frames} FVD takes"
    return problems


def _misplaced_hint(clips: Sequence[Clip], videos: Path, flag: str) -> str:
    """Where the videos are, when ``videos`` is one folder too high (the dataset's top folder) or too low."""
    relative = clips[0].real_path.relative_to(videos) if clips[0].real_path.is_relative_to(videos) else None
    if relative is None or not videos.is_dir():
        return f"{videos} is not a folder" if not videos.is_dir() else ""
    for child in sorted(path for path in videos.iterdir() if path.is_dir())[:100]:
        if (child / relative).is_file():
            return f"they are in {child}: pass {flag} {child}"
    if (videos.parent / relative).is_file():
        return f"they are in {videos.parent}: pass {flag} {videos.parent}"
    return f"{flag} must be the folder that holds {relative} (for MSR-VTT its videos/ folder, not the dataset's top)"


def check_real_videos(clips: Sequence[Clip], videos: Path, num_frames: int, flag: str = "--videos") -> RealVideoCheck:
    """Count the real videos that exist and open with at least ``num_frames`` frames, decode a sample in full.

    Refuses when none exists (with a hint when ``videos`` is one folder off), when none opens with
    enough frames, or when none of the sample decodes. Unusable videos beyond that are the run's
    business: it skips, counts and lists them.
    """
    if not clips:
        raise PreflightError("the annotation file lists no clips to evaluate")
    videos = Path(videos)
    present = [clip for clip in clips if clip.real_path.is_file()]
    if not present:
        raise PreflightError(
            f"none of the {len(clips)} real videos exists (the first would be {clips[0].real_path}); "
            + _misplaced_hint(clips, videos, flag)
        )
    unusable = unusable_videos([clip.real_path for clip in present], num_frames)
    problems = [f"{path}: {reason}" for path, reason in unusable.items()]
    usable = [clip for clip in present if clip.real_path not in unusable]
    if not usable:
        raise PreflightError(
            f"none of the {len(clips)} real videos in {videos} opens with {num_frames} frames or more, "
            f"e.g. {problems[:3]}; check {flag}"
        )
    step = max(1, math.ceil(len(usable) / SAMPLE_SIZE))
    sample = usable[::step][:SAMPLE_SIZE]
    decoded = 0
    for clip in sample:
        try:
            read_video(clip.real_path, num_frames)
            decoded += 1
        except VideoDecodeError as exc:
            problems.append(f"{clip.real_path}: {exc}")
    if not decoded:
        raise PreflightError(
            f"none of the {len(sample)} sampled real videos in {videos} decodes, e.g. {problems[-1]}; check {flag}"
        )
    return RealVideoCheck(videos, len(clips), len(present), len(usable), decoded, len(sample), tuple(problems[:5]))


def check_writable(folder: Path, flag: str) -> Path:
    """:func:`~simda.plumbing.atomic.require_writable_dir`, its refusal reported as a preflight failure."""
    try:
        return require_writable_dir(folder, flag)
    except UsageError as exc:
        raise PreflightError(str(exc)) from None


def check_metric_networks(
    nets: MetricNetworks, num_frames: int, size: tuple[int, int], device: str, i3d_source: str
) -> NetworkCheck:
    """Run I3D and CLIP once on a small clip of the run's shape; refuse a network that fails or answers
    with the wrong shape (a TorchScript file that loads but is not an I3D)."""
    from metrics.fvd import extract_features

    clip = np.random.default_rng(0).integers(0, 256, size=(1, num_frames, *size, 3), dtype=np.uint8)
    fix = "pass --i3d an I3D weight file (i3d_pretrained_400.pt or StyleGAN-V's i3d_torchscript.pt)"
    try:
        features = extract_features(clip, nets.i3d, 1, device, nets.protocol, progress=False)
    except Exception as exc:  # whatever a foreign network raises on I3D's input, it is not an I3D
        first_line = next((line for line in str(exc).splitlines() if line.strip()), "")[:300]
        raise PreflightError(
            f"--i3d {i3d_source} does not run as an I3D on a {num_frames}-frame clip ({type(exc).__name__}: "
            f"{first_line}); {fix}"
        ) from exc
    if features.shape != (1, I3D_LOGITS) or not np.isfinite(features).all():
        raise PreflightError(
            f"--i3d {i3d_source} answers a {num_frames}-frame clip with features of shape {features.shape[1:]}"
            f"{'' if np.isfinite(features).all() else ' and non-finite values'}, not the {I3D_LOGITS} "
            f"Kinetics logits FVD is defined on; {fix}"
        )
    clipsim = float(nets.clip.clipsim(clip, ["a test clip"]).per_video[0])
    if not math.isfinite(clipsim):
        raise PreflightError(f"the CLIP scorer ({nets.clip_params}) gives a non-finite score; check --clip-ckpt")
    return NetworkCheck(I3D_LOGITS, clipsim, nets.random_weights)


def run_preflight(
    clips: Sequence[Clip] | None,
    videos: Path | None,
    num_frames: int,
    size: tuple[int, int],
    folders: Sequence[tuple[str, Path]],
    nets: MetricNetworks,
    device: str,
    i3d_source: str,
    tracking_uri: str | None,
) -> PreflightReport:
    """Every check of a generate-then-evaluate command, cheapest first; the first failure raises.

    ``clips``/``videos`` ``None`` skips the real-video check (precomputed real statistics); ``folders`` are
    ``(flag, folder)`` pairs that must take files. The tracking store must answer (a server within seconds;
    the default SQLite store is created), else :class:`simda.plumbing.tracking.TrackingUnreachableError`
    names ``--tracking-uri`` or ``MLFLOW_TRACKING_URI``.
    """
    from simda.plumbing.tracking import configure_tracking

    writable = tuple((flag, check_writable(folder, flag)) for flag, folder in folders)
    real = None if clips is None or videos is None else check_real_videos(clips, videos, num_frames)
    uri = configure_tracking(tracking_uri)
    networks = check_metric_networks(nets, num_frames, size, device, i3d_source)
    return PreflightReport(real, writable, networks, uri)
