"""Small synthetic video sets in the real published layouts, for tiny presets and tests.

Each clip is a coloured square moving across a coloured background, captioned with what it
shows, so generated and real sets differ in ways FVD and CLIPSIM can register, and a tiny model
can lower its loss on them in a few steps.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from simda.plumbing.atomic import atomic_path
from simda.video_io import write_mp4

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (50, 80, 230), "yellow": (230, 210, 40)}
DIRECTIONS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}


def moving_square(index: int, num_frames: int = 24, height: int = 64, width: int = 64) -> tuple[np.ndarray, str]:
    """Clip ``index`` (uint8 ``[T, H, W, 3]``) and its caption; the same index gives the same clip."""
    rng = np.random.default_rng(index)
    colour_name = list(COLOURS)[index % len(COLOURS)]
    direction_name = list(DIRECTIONS)[(index // len(COLOURS)) % len(DIRECTIONS)]
    background = rng.integers(0, 120, size=3)
    side = max(4, min(height, width) // 4)
    dy, dx = DIRECTIONS[direction_name]
    y0, x0 = rng.integers(0, height - side), rng.integers(0, width - side)
    frames = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    frames[:] = background
    for t in range(num_frames):
        y = (y0 + dy * t * 2) % (height - side)
        x = (x0 + dx * t * 2) % (width - side)
        frames[t, y : y + side, x : x + side] = COLOURS[colour_name]
    return frames, f"a {colour_name} square moving {direction_name} on a dark background"


def write_webvid_set(
    root: str | Path, count: int, num_frames: int = 24, size: int = 64, first: int = 0
) -> tuple[Path, Path]:
    """``count`` clips in WebVid's layout: ``root/results_2M_val.csv`` and
    ``root/videos/<page_dir>/<videoid>.mp4``; returns (csv, video folder)."""
    root = Path(root)
    rows = []
    for index in range(first, first + count):
        frames, caption = moving_square(index, num_frames, size, size)
        video_id, page_dir = str(1000000 + index), f"{index % 3:03d}001_{index % 3:03d}050"
        write_mp4(root / "videos" / page_dir / f"{video_id}.mp4", frames)
        rows.append(
            {
                "videoid": video_id,
                "contentUrl": f"https://example.invalid/{video_id}.mp4",
                "duration": f"PT00H00M{num_frames // 8:02d}S",
                "page_dir": page_dir,
                "name": caption,
            }
        )
    csv_path = root / "results_2M_val.csv"
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return csv_path, root / "videos"


def write_msrvtt_set(
    root: str | Path, num_test: int = 8, num_train: int = 2, num_frames: int = 24, size: int = 64
) -> tuple[Path, Path]:
    """MSR-VTT's layout: ``root/test_videodatainfo.json`` and ``root/videos/video<N>.mp4``;
    returns (annotations, video folder).

    Test ids start at video7010 as in the real set, and a few train videos check that readers
    filter by split. Each video gets three captions, as MSR-VTT gives each twenty.
    """
    videos = Path(root) / "videos"
    records, sentences = [], []
    for offset in range(num_train + num_test):
        number = offset if offset < num_train else 7010 + offset - num_train
        video_id = f"video{number}"
        frames, caption = moving_square(number, num_frames, size, size)
        write_mp4(videos / f"{video_id}.mp4", frames)
        records.append({"video_id": video_id, "split": "train" if offset < num_train else "test", "id": number})
        for variant, prefix in enumerate(("", "a video of ", "footage of ")):
            sentences.append({"video_id": video_id, "caption": prefix + caption, "sen_id": 3 * number + variant})
    annotations = Path(root) / "test_videodatainfo.json"
    with atomic_path(annotations) as tmp:
        Path(tmp).write_text(json.dumps({"info": {"year": 2016}, "videos": records, "sentences": sentences}))
    return annotations, videos
