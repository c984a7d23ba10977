"""Videos made elsewhere as a benchmark generator (``--generator videos --generated-videos PATH``).

``PATH`` is a folder holding ``<clip id>.mp4`` for every evaluated clip, or a CSV with columns ``id``
and ``path`` (relative paths count from the CSV's folder), so any model or service can be scored
under the same protocol, captions and real set as our own runs. The benchmark's ``captions.csv``
lists the ids and captions to generate.

Every evaluated id must have a video: the missing ones are listed and the run refused before any
network loads or any video is scored. Each video is decoded with the project's reader to the
requested frame count (evenly sampled) and fitted to the requested size exactly as real clips are
(centre crop to the aspect ratio, antialiased resize; a video already at that size is untouched).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.evaluation import fit_real_clip
from benchmarks.preflight import unusable_videos
from metrics.i3d import file_sha256
from metrics.video_io import VideoDecodeError, read_video
from simda.plumbing.errors import BadInputFile, MissingInput
from simda.plumbing.names import plain_name
from simda.settings import GenerationSettings

MISSING_SHOWN = 20


def video_paths(source: Path) -> dict[str, Path]:
    """Clip id -> video file, from a folder of ``<id>.mp4`` or a CSV with ``id`` and ``path`` columns."""
    source = Path(source)
    if source.is_dir():
        return {path.stem: path for path in sorted(source.glob("*.mp4"))}
    try:
        table = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise BadInputFile(f"--generated-videos {source}: not a readable CSV ({exc})") from exc
    if not {"id", "path"} <= set(table.columns):
        raise BadInputFile(
            f"--generated-videos {source}: needs columns id and path, found {list(table.columns)}; "
            "or pass a folder of <id>.mp4 files"
        )
    repeated = sorted(set(table["id"][table["id"].duplicated()]))
    if repeated:
        raise BadInputFile(f"--generated-videos {source}: ids listed more than once: {repeated[:MISSING_SHOWN]}")
    return {
        plain_name(row.id, source, number, "id"): (source.parent / row.path)
        for number, row in enumerate(table.itertuples(), start=2)  # the header is line 1
    }


class VideoFolderGenerator:
    """Looks each clip's video up by id instead of generating it; prompts and seeds play no part."""

    random_weights = False

    def __init__(self, source: Path, clip_ids: Sequence[str], num_frames: int = 1) -> None:
        """Refuses (:class:`MissingInput`) unless every id in ``clip_ids`` has an existing file, and
        (:class:`BadInputFile`, listing them all) files whose header does not open with ``num_frames`` frames."""
        self.source = Path(source).resolve()
        listed = video_paths(self.source)
        missing = [clip_id for clip_id in clip_ids if clip_id not in listed or not listed[clip_id].is_file()]
        if missing:
            shown = ", ".join(missing[:MISSING_SHOWN]) + (" ..." if len(missing) > MISSING_SHOWN else "")
            raise MissingInput(
                f"--generated-videos {source}: no video for {len(missing)} of the {len(clip_ids)} evaluated clips "
                f"({shown}); name each <id>.mp4 (ids in the run's captions.csv) or list it in an id,path CSV"
            )
        self.paths = {clip_id: listed[clip_id] for clip_id in clip_ids}
        problems = unusable_videos(list(self.paths.values()), num_frames)
        if problems:
            raise BadInputFile(
                f"--generated-videos {source}: {len(problems)} of the {len(clip_ids)} videos are unusable: "
                + "; ".join(f"{path}: {reason}" for path, reason in problems.items())
                + "; replace them (or generate them again) before evaluating"
            )

    def identity(self) -> dict[str, Any]:
        """The folder and the SHA-256 of every evaluated file: other bytes make another run folder."""
        return {
            "kind": "videos",
            "label": f"videos ({self.source.name})",
            "source": str(self.source),
            "videos_sha256": {clip_id: file_sha256(path) for clip_id, path in sorted(self.paths.items())},
        }

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], settings: GenerationSettings, ids: Sequence[str]
    ) -> np.ndarray:
        """Each clip's video as uint8 ``(f, H, W, 3)`` at the requested frame count and size."""
        videos = []
        for clip_id in ids:
            path = self.paths[clip_id]
            try:
                frames = read_video(path, settings.num_frames)
            except VideoDecodeError as exc:
                raise BadInputFile(f"--generated-videos: {path} (clip {clip_id}): {exc}") from exc
            size = (settings.height, settings.width)
            videos.append(frames if frames.shape[1:3] == size else fit_real_clip(frames, *size))
        return np.stack(videos)
