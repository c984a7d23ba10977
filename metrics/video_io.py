"""Listing and decoding evaluation videos for the command-line tools.

A video set is either a folder of ``.mp4`` files (sorted by name) or an index
file (``.csv`` or ``.jsonl``) with a ``path`` column and an optional
``caption`` column; relative paths in an index are resolved against the index
file's folder so that a dataset directory can be moved as a whole.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metrics.frame_selection import SPREAD, ClipTooShortError, FrameSelection


@dataclass(frozen=True)
class VideoEntry:
    path: Path
    caption: str | None = None


class VideoDecodeError(Exception):
    """A video that cannot be used (unreadable, or shorter than requested); callers skip and report it."""


def list_videos(source: str | Path) -> list[VideoEntry]:
    """Entries of a folder of ``.mp4`` files or of a ``.csv`` / ``.jsonl`` index file.

    Hidden files are skipped: an interrupted atomic write leaves ``.<name>.<random>.mp4``, and a
    complete one counted as a video would change the FVD.
    """
    source = Path(source)
    if source.is_dir():
        return [
            VideoEntry(p)
            for p in sorted(source.iterdir())
            if p.suffix.lower() == ".mp4" and p.is_file() and not p.name.startswith(".")
        ]
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist")
    if source.suffix not in (".csv", ".jsonl"):
        raise ValueError(f"{source} is neither a folder of .mp4 files nor a .csv/.jsonl index file")
    with open(source, newline="", encoding="utf-8") as handle:  # newline="" as csv needs; JSON lines ignore it
        rows = list(csv.DictReader(handle)) if source.suffix == ".csv" else [json.loads(x) for x in handle if x.strip()]
    if rows and "path" not in rows[0]:
        raise ValueError(f"index file {source} has no 'path' column (columns: {sorted(rows[0])})")
    # source.parent / path is path itself when path is absolute; an empty caption is no caption
    return [
        VideoEntry(source.parent / row["path"], None if row.get("caption") in (None, "") else str(row["caption"]))
        for row in rows
    ]


def read_video(
    path: str | Path, num_frames: int, selection: FrameSelection = SPREAD, key: str | None = None
) -> np.ndarray:
    """Decode ``num_frames`` frames chosen by ``selection`` as uint8 ``[T, H, W, 3]`` (the default spread takes
    every frame of a clip of exactly ``num_frames``, a generated one). ``key`` seeds a random window (the file
    name when None); the clip's own frame rate sets a frame-rate-matched stride."""
    import decord  # imported lazily: only the CLI needs a video decoder

    try:
        reader = decord.VideoReader(str(path), ctx=decord.cpu(0))
        indices = selection.indices(
            len(reader), num_frames, reader.get_avg_fps(), Path(path).name if key is None else key
        )
        return reader.get_batch(indices.tolist()).asnumpy()
    except ClipTooShortError as exc:
        raise VideoDecodeError(str(exc)) from None
    except Exception as exc:  # decord raises its own DECORDError and RuntimeError subclasses
        raise VideoDecodeError(f"cannot be decoded ({type(exc).__name__}: {exc})") from exc
