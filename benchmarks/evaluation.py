"""Per-video features and the final numbers: FVD from I3D logits, CLIPSIM and frame consistency from CLIP.

Generated videos are scored from the exact frames the pipeline returned, one video at a time, and
every video's features are cached in its own files. So a feature does not depend on which process
or resumed run produced it, and the final numbers, gathered in id order, are the same however the
run was split. The mp4 files are not the source: H.264 is lossy.

Real clips go through ``fit_real_clip`` before the shared FVD preprocessing: the same frame count as
the generated videos (evenly sampled over the whole clip) and the generated resolution, as
StyleGAN-V does, so real and generated videos meet I3D at the same detail. Their per-video features
and the merged statistics are cached per dataset, protocol and detector, outside the run folder.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks.datasets import Clip
from benchmarks.networks import MetricNetworks
from benchmarks.rundir import config_hash, write_json
from metrics.frechet import GaussianStats
from metrics.fvd import SmallSampleWarning, extract_features
from metrics.video_io import VideoDecodeError, read_video
from simda.data import resize_and_crop
from simda.plumbing.atomic import atomic_path
from simda.plumbing.distributed import ProcessLayout
from simda.plumbing.errors import BadInputFile

REAL_RESIZE = "centre crop to the generated aspect ratio, bilinear antialiased resize to the generated HxW, uint8"


@dataclass(frozen=True)
class Skipped:
    clip_id: str
    path: str
    reason: str


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
    logits = extract_features(video[None], nets.i3d, batch_size=1, device=device, progress=False)[0]
    clipsim = nets.clip.clipsim(video[None], [clip.caption])
    _save_npy(folder / f"{clip.id}.i3d.npy", logits)
    _save_npy(folder / f"{clip.id}.clip.npy", clipsim.image_embeddings[0].numpy())
    scores = {"clipsim": float(clipsim.per_video[0]), "consistency": nets.clip.frame_consistency(video)}
    write_json(folder / f"{clip.id}.json", scores)


def load_generated(folder: Path, clip_ids: Sequence[str]) -> tuple[np.ndarray, list[dict[str, float]]]:
    """I3D logits ``[N, D]`` and score dicts of ``clip_ids``, in that order."""
    logits = np.stack([np.load(folder / f"{clip_id}.i3d.npy") for clip_id in clip_ids])
    scores = [json.loads((folder / f"{clip_id}.json").read_text()) for clip_id in clip_ids]
    return logits, scores


class RealFeatureCache:
    """Real-video I3D features, one file per clip, and the merged statistics of each clip set.

    Keyed by dataset, frame count, resolution, protocol and detector checksum: computed once, then
    reused by every run that shares them, whatever its checkpoint or seed.
    """

    def __init__(self, root: Path, key: dict[str, object]) -> None:
        self.folder = Path(root) / config_hash(key)
        self.key = key

    def compute(
        self,
        clips: Sequence[Clip],
        layout: ProcessLayout,
        nets: MetricNetworks,
        num_frames: int,
        size: tuple[int, int],
        device: str,
    ) -> None:
        """Features of this rank's slice of ``clips`` not cached yet; unusable videos get a reason file."""
        write_json(self.folder / "key.json", self.key)
        for clip in layout.take(clips):
            if (self.folder / f"{clip.id}.npy").exists():
                continue
            try:
                if not clip.real_path.is_file():
                    raise VideoDecodeError("file not found")
                frames = fit_real_clip(read_video(clip.real_path, num_frames), *size)
            except VideoDecodeError as exc:
                write_json(self.folder / f"{clip.id}.skip.json", {"path": str(clip.real_path), "reason": str(exc)})
                continue
            features = extract_features(frames[None], nets.i3d, batch_size=1, device=device, progress=False)
            _save_npy(self.folder / f"{clip.id}.npy", features[0])

    def statistics(self, clips: Sequence[Clip]) -> tuple[GaussianStats, list[Skipped]]:
        """Statistics of every usable clip in id order (cached per clip set) and the clips left out."""
        usable = [clip for clip in clips if (self.folder / f"{clip.id}.npy").exists()]
        stats_path = self.folder / f"stats-{config_hash({'ids': [clip.id for clip in usable]})}.npz"
        skipped = [
            Skipped(
                clip.id, str(clip.real_path), json.loads((self.folder / f"{clip.id}.skip.json").read_text())["reason"]
            )
            for clip in clips
            if not (self.folder / f"{clip.id}.npy").exists()
        ]
        if stats_path.exists():
            return GaussianStats.load(stats_path), skipped
        if not usable:
            raise BadInputFile(
                f"none of the {len(clips)} real videos could be read (see {self.folder}); check --videos"
            )
        stats = GaussianStats.from_features(np.stack([np.load(self.folder / f"{clip.id}.npy") for clip in usable]))
        stats.save(stats_path)
        return stats, skipped


def warn_if_small(name: str, stats: GaussianStats) -> None:
    """FVD from fewer videos than feature dimensions is biased and unstable: say so with the numbers."""
    if stats.count <= stats.dim:
        warnings.warn(
            f"FVD {name} set has {stats.count} videos <= feature dimension {stats.dim}: the value is biased and "
            f"unstable; use more than {stats.dim} videos (the paper uses thousands)",
            SmallSampleWarning,
            stacklevel=2,
        )
