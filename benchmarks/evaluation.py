"""Per-video features and the final numbers: FVD from I3D logits, CLIPSIM and frame consistency from CLIP.

Generated videos are scored from the exact frames the pipeline returned, one video at a time, and
every video's features are cached in its own files. So a feature does not depend on which process
or resumed run produced it, and the final numbers, gathered in id order, are the same however the
run was split. The mp4 files are not the source: H.264 is lossy.

Real clips go through ``fit_real_clip`` before the shared FVD preprocessing: the same frame count as
the generated videos (by default consecutive frames at the generated clips' frame rate, see
:func:`real_frame_selection`) and the generated resolution, as StyleGAN-V does, so real and
generated videos meet I3D at the same detail, and are cached outside the run folder (:class:`RealFeatureCache`).

A cached real feature is only as good as the file it came from, so each one records its source
file's identity: size, modification time (ns) and SHA-256 of the bytes. The rule: a feature (or a
"could not be read" record) is reused only while the file at the clip's path has the recorded
SHA-256 (wherever the dataset folder now lives); a replaced, edited or newly appeared file is read
again, and a file that is gone is recorded as missing. Hashing every video on every run would cost
minutes at MSR-VTT size, so the hash is recomputed only when size or modification time differ from
the record: a copy that keeps both (``cp -p``, ``rsync -a``) of a different file of the same size
is the one change this misses; delete the cache folder after such a copy. The merged statistics
are keyed by the (id, SHA-256) pairs they were computed from, so they follow the same rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from benchmarks.datasets import Clip
from benchmarks.networks import MetricNetworks
from benchmarks.rundir import read_json, write_json
from metrics.frame_selection import SPREAD, FrameSelection
from metrics.frechet import GaussianStats
from metrics.fvd import extract_features
from metrics.fvd_protocols import FVDProtocol
from metrics.i3d import file_sha256
from metrics.strict_json import strict_dumps
from metrics.video_io import VideoDecodeError, read_video
from simda.data import resize_and_crop
from simda.plumbing.atomic import atomic_path
from simda.plumbing.distributed import ProcessLayout
from simda.plumbing.errors import BadInputFile, InvalidSetting, UsageError
from simda.plumbing.identity import identity_of
from simda.settings import EvaluationSettings

REAL_RESIZE = "centre crop to the generated aspect ratio, bilinear antialiased resize to the generated HxW, uint8"


@dataclass(frozen=True)
class Skipped:
    clip_id: str
    path: str
    reason: str


def real_frame_selection(evaluation: EvaluationSettings, protocol: FVDProtocol, generated_fps: float) -> FrameSelection:
    """The frames FVD takes from each real clip (``--fvd-frames`` and its overrides).

    The default compares like with like: a generated clip is ``num_frames`` consecutive frames at
    ``generated_fps``, so a real clip gives consecutive frames at the stride that matches its own
    frame rate to that one, starting where the protocol's tool starts (``--seed`` seeds a random
    start). ``spread`` is the old sampling over the whole clip, kept by name to compare with old runs.
    """
    stride, start = evaluation.fvd_frame_stride, evaluation.fvd_frame_start
    if evaluation.fvd_frames == "spread":
        if stride is not None or start is not None:
            raise InvalidSetting(
                "--fvd-frame-stride and --fvd-frame-start choose a window of consecutive frames; "
                "--fvd-frames spread takes none: drop them or choose --fvd-frames fps-matched or protocol"
            )
        return SPREAD
    selection = protocol.frame_selection()
    if evaluation.fvd_frames == "fps-matched":
        selection = FrameSelection(stride=None, start=selection.start, target_fps=generated_fps)
    return replace(selection, seed=evaluation.seed).with_overrides(stride=stride, start=start)


def fit_real_clip(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 ``[T, h, w, 3]`` -> ``[T, height, width, 3]`` exactly as training clips are fitted."""
    return resize_and_crop(torch.from_numpy(np.ascontiguousarray(frames)), height, width).numpy()


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.save(tmp, array)


def fake_done(folder: Path, clip_id: str) -> bool:
    """The scores file is written last, so its presence means every feature of the video is on disk."""
    return (folder / f"{clip_id}.json").exists()


def score_generated(video: np.ndarray, clip: Clip, nets: MetricNetworks, device: str, folder: Path) -> None:
    """Cache one generated uint8 ``[T, H, W, 3]`` video's I3D logits, CLIP frame embeddings, CLIPSIM and
    frame consistency."""
    logits = extract_features(video[None], nets.i3d, 1, device, nets.protocol, progress=False)[0]
    clip_scores = nets.clip.video_scores(video, clip.caption)  # each frame embedded once, for both scores
    _save_npy(folder / f"{clip.id}.i3d.npy", logits)
    _save_npy(folder / f"{clip.id}.clip.npy", clip_scores.image_embeddings.numpy())
    write_json(folder / f"{clip.id}.json", {"clipsim": clip_scores.clipsim, "consistency": clip_scores.consistency})


def load_generated(folder: Path, clip_ids: Sequence[str]) -> tuple[np.ndarray, list[dict[str, float]]]:
    """I3D logits ``[N, D]`` and score dicts of ``clip_ids``, in that order."""
    logits = np.stack([np.load(folder / f"{clip_id}.i3d.npy") for clip_id in clip_ids])
    scores = [json.loads((folder / f"{clip_id}.json").read_text()) for clip_id in clip_ids]
    return logits, scores


@dataclass(frozen=True)
class SourceIdentity:
    """What a cached real feature came from: the file's size, modification time and content hash."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path, recorded: SourceIdentity | None = None) -> SourceIdentity | None:
        """The identity of ``path`` (``None`` when it does not exist); the SHA-256 of ``recorded`` is
        reused when size and modification time still match it, so an unchanged file is not read."""
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        if recorded is not None and (recorded.size, recorded.mtime_ns) == (status.st_size, status.st_mtime_ns):
            return recorded
        return cls(status.st_size, status.st_mtime_ns, file_sha256(path))


def _content(source: SourceIdentity | None) -> str | None:
    return None if source is None else source.sha256


@dataclass(frozen=True)
class CacheEntry:
    """A clip's cached outcome: its feature, or why its video is unusable, and the file it came from."""

    status: str  # "feature" or "skipped"
    source: SourceIdentity | None  # None: there was no file
    reason: str = ""


class NoUsableRealVideosError(BadInputFile):
    """Not one real video of the evaluation set could be read, so there is no real FVD statistic."""


class RealFeatureCache:
    """Real-video I3D features, one file per clip, and the merged statistics of each clip set.

    Keyed by dataset, frame count and selection, resolution, protocol and detector checksum (``key.json``):
    computed once, then reused by every run that shares them, whatever its checkpoint or seed. Per clip the
    folder holds ``<id>.npy`` (the feature, when the video is usable) and ``<id>.source.json``, the outcome with
    the identity of the file it came from (see the module docstring for the rule). The record is written last,
    so a feature without a matching record is computed again.
    """

    def __init__(self, root: Path, key: dict[str, object]) -> None:
        self.folder = Path(root) / identity_of(key)
        self.key = key
        recorded, wanted = read_json(self.folder / "key.json"), json.loads(strict_dumps(key))
        if recorded and recorded != wanted:
            raise UsageError(
                f"real-feature cache {self.folder} holds features of other settings (its key.json differs); "
                "delete that folder or pass --cache-dir another folder"
            )
        write_json(self.folder / "key.json", key)  # once per process, not per round of real clips

    def _record_path(self, clip: Clip) -> Path:
        return self.folder / f"{clip.id}.source.json"

    def current(self, clip: Clip) -> CacheEntry | None:
        """The cached entry of ``clip`` if it was made from the file now at its path, else ``None``: a file
        that changed, appeared or vanished since it was cached counts as not cached."""
        record = read_json(self._record_path(clip))
        if not record:
            return None
        recorded = None if record["source"] is None else SourceIdentity(**record["source"])
        now = SourceIdentity.of(clip.real_path, recorded)
        if _content(now) != _content(recorded):
            return None
        entry = CacheEntry(record["status"], now, record["reason"])
        if now != recorded or record["path"] != str(clip.real_path):  # same bytes, new place or time stamp
            self._write_record(clip, entry)
        return entry

    def compute(
        self,
        clips: Sequence[Clip],
        layout: ProcessLayout,
        nets: MetricNetworks,
        num_frames: int,
        size: tuple[int, int],
        device: str,
        selection: FrameSelection,
    ) -> int:
        """Features of this rank's slice of ``clips`` not cached for their current files, and the reason for
        every unusable video; ``selection`` (part of the cache key) picks each clip's frames. Returns how
        many videos were read."""
        read = 0
        for clip in layout.take(clips):
            if self.current(clip) is not None:
                continue
            read += 1
            source = SourceIdentity.of(clip.real_path)
            try:
                if source is None:
                    raise VideoDecodeError("file not found")
                frames = fit_real_clip(read_video(clip.real_path, num_frames, selection, key=clip.id), *size)
            except VideoDecodeError as exc:
                (self.folder / f"{clip.id}.npy").unlink(missing_ok=True)
                self._write_record(clip, CacheEntry("skipped", source, str(exc)))
                continue
            features = extract_features(frames[None], nets.i3d, 1, device, nets.protocol, progress=False)
            _save_npy(self.folder / f"{clip.id}.npy", features[0])
            self._write_record(clip, CacheEntry("feature", source))
        return read

    def _write_record(self, clip: Clip, entry: CacheEntry) -> None:
        write_json(self._record_path(clip), {"path": str(clip.real_path), **asdict(entry)})

    def statistics(self, clips: Sequence[Clip]) -> tuple[GaussianStats, list[Skipped]]:
        """Statistics of every usable clip in id order (cached per clip set and file contents) and the clips
        left out. Every clip must have been computed for its current file (:meth:`compute`)."""
        cached = {clip.id: self.current(clip) for clip in clips}
        stale = sorted(clip_id for clip_id, entry in cached.items() if entry is None)
        if stale:
            raise RuntimeError(
                f"real features of {len(stale)} clips are not cached for their current files ({stale[:5]}); "
                "call compute first"
            )
        usable = [clip for clip in clips if cached[clip.id].status == "feature"]
        skipped = [
            Skipped(clip.id, str(clip.real_path), cached[clip.id].reason)
            for clip in clips
            if cached[clip.id].status == "skipped"
        ]
        if not usable:
            raise NoUsableRealVideosError(
                f"none of the {len(clips)} real videos could be read (first reason: {skipped[0].reason}); "
                "check that --videos is the folder that holds the video files"
            )
        sources = [[clip.id, _content(cached[clip.id].source)] for clip in usable]
        stats_path = self.folder / f"stats-{identity_of({'sources': sources})}.npz"
        if stats_path.exists():
            return GaussianStats.load(stats_path), skipped
        stats = GaussianStats.from_features(np.stack([np.load(self.folder / f"{clip.id}.npy") for clip in usable]))
        stats.save(stats_path)
        return stats, skipped
