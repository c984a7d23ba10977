"""Small synthetic video sets in the real published layouts, for tiny presets and tests.

Each clip is a coloured square moving across a coloured background, captioned with what it
shows, so generated and real sets differ in ways FVD and CLIPSIM can register, and a tiny model
can lower its loss on them in a few steps.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from simda.atomic import atomic_path
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


def write_webvid_set(root: str | Path, count: int, num_frames: int = 24, size: int = 64, first: int = 0) -> Path:
    """``count`` clips in WebVid's layout under ``root``; returns the CSV (videos under ``root/videos``)."""
    root = Path(root)
    rows = []
    for index in range(first, first + count):
        frames, caption = moving_square(index, num_frames, size, size)
        video_id, page_dir = str(1000000 + index), f"{index % 3:03d}_{index % 3:03d}"
        write_mp4(root / "videos" / page_dir / f"{video_id}.mp4", frames)
        rows.append(
            {
                "videoid": video_id,
                "name": caption,
                "page_dir": page_dir,
                "duration": f"PT00H00M{num_frames // 8:02d}S",
                "contentUrl": f"https://example.invalid/{video_id}.mp4",
            }
        )
    csv_path = root / "results_val.csv"
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return csv_path
