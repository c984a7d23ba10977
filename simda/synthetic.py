"""Small synthetic clips, and the learning set in WebVid's layout, for tiny presets and tests (the benchmarks' tiny
MSR-VTT and WebVid sets, written beside their readers in :mod:`benchmarks.datasets`, use the same clips).

Each clip is a coloured square moving across a coloured background, captioned with what it shows, so generated and
real sets differ in ways FVD and CLIPSIM can register, and a tiny model can lower its loss on them in a few steps.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simda.plumbing.atomic import atomic_path
from simda.video_io import write_mp4

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (50, 80, 230), "yellow": (230, 210, 40)}
DIRECTIONS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
#: Raise it when a synthetic writer changes what it writes for the same count, so no cached copy is reused.
SYNTHETIC_VERSION = 1


def moving_square(index: int, num_frames: int = 24, height: int = 64, width: int = 64) -> tuple[np.ndarray, str]:
    """Clip ``index`` (uint8 ``[T, H, W, 3]``) and its caption; the same index gives the same clip."""
    rng = np.random.default_rng(index)
    colour_name = list(COLOURS)[index % len(COLOURS)]
    direction_name = list(DIRECTIONS)[(index // len(COLOURS)) % len(DIRECTIONS)]
    background = rng.integers(0, 120, size=3)
    side = max(4, min(height, width) // 4)
    dy, dx = DIRECTIONS[direction_name]
    y0, x0 = rng.integers(0, height - side), rng.integers(0, width - side)
    frames = np.full((num_frames, height, width, 3), background, dtype=np.uint8)
    for t in range(num_frames):
        y = (y0 + dy * t * 2) % (height - side)
        x = (x0 + dx * t * 2) % (width - side)
        frames[t, y : y + side, x : x + side] = COLOURS[colour_name]
    return frames, f"a {colour_name} square moving {direction_name} on a dark background"


SHAPES = ("square", "disc")
#: Pixels per frame of each speed word in a caption.
SPEEDS = {"slowly": 1, "steadily": 2, "quickly": 3}
OCCLUDER = (128, 128, 128)


@dataclass(frozen=True)
class ShapeMotion:
    """What one learning clip shows, and what its caption says about it."""

    colour: str
    shape: str
    direction: str
    speed: str

    @property
    def caption(self) -> str:
        return f"a {self.colour} {self.shape} moving {self.direction} {self.speed} behind a grey bar"


def shape_motion(index: int) -> ShapeMotion:
    """The colour, shape, direction and speed of learning clip ``index`` (cycled, so every
    combination appears among any 96 consecutive clips; the seed moves only positions, background,
    bar and pulse)."""
    combinations = list(itertools.product(SPEEDS, DIRECTIONS, SHAPES, COLOURS))  # the colour changes fastest
    speed, direction, shape, colour = combinations[index % len(combinations)]
    return ShapeMotion(colour, shape, direction, speed)


def moving_shape(index: int, seed: int = 0, num_frames: int = 16, size: int = 32) -> tuple[np.ndarray, ShapeMotion]:
    """Learning clip ``index``: a shape gliding at its own speed and direction (wrapping at the
    edges) behind a fixed grey bar, its brightness pulsing with a per-clip phase.

    Where the shape is in a frame, and how bright, follows from the other frames (it moved by a
    constant step and passed behind the bar) but not from the caption alone, which names neither
    the start position nor the phase: this is what a temporal model can learn and an image model
    cannot. The same ``(index, seed)`` gives the same clip.
    """
    motion = shape_motion(index)
    rng = np.random.default_rng([seed, index])
    side = max(4, size // 4)
    dy, dx = DIRECTIONS[motion.direction]
    step = SPEEDS[motion.speed]
    y0, x0 = rng.integers(0, size, size=2)
    phase = rng.uniform(0, 2 * np.pi)
    background = rng.integers(0, 60, size=3)
    bar_vertical, bar_at = bool(rng.integers(0, 2)), int(rng.integers(side, size - 2 * side))
    yy, xx = np.mgrid[:size, :size]
    frames = np.empty((num_frames, size, size, 3), dtype=np.uint8)
    for t in range(num_frames):
        y, x = (y0 + dy * step * t) % size, (x0 + dx * step * t) % size
        # distances on the torus, so the shape wraps smoothly across the edges
        ry, rx = (yy - y + size // 2) % size - size // 2, (xx - x + size // 2) % size - size // 2
        if motion.shape == "square":
            inside = (np.abs(ry) <= side // 2) & (np.abs(rx) <= side // 2)
        else:
            inside = ry**2 + rx**2 <= (side // 2 + 1) ** 2
        brightness = 0.7 + 0.3 * np.cos(2 * np.pi * t / 8 + phase)
        frame = np.broadcast_to(background, (size, size, 3)).copy()
        frame[inside] = np.asarray(COLOURS[motion.colour]) * brightness
        bar = (xx if bar_vertical else yy) - bar_at
        frame[(bar >= 0) & (bar < side // 2 + 2)] = OCCLUDER
        frames[t] = frame
    return frames, motion


@dataclass(frozen=True)
class LearningSet:
    """Training and held-out clips of the learning benchmark, both in WebVid's layout."""

    train_csv: Path
    heldout_csv: Path
    videos: Path


def write_learning_set(
    root: str | Path, num_train: int, num_heldout: int, num_frames: int = 16, size: int = 32, seed: int = 0
) -> LearningSet:
    """``num_train`` training clips (indices ``0..num_train-1``) and ``num_heldout`` held-out clips
    (the indices after them), disjoint by construction, in one video folder with two CSVs."""
    root = Path(root)

    def clips(indices: range) -> Iterable[tuple[np.ndarray, str]]:
        for index in indices:
            frames, motion = moving_shape(index, seed, num_frames, size)
            yield frames, motion.caption

    train, heldout = range(num_train), range(num_train, num_train + num_heldout)
    return LearningSet(
        train_csv=write_webvid_clips(root, train, clips(train), "learn_train.csv"),
        heldout_csv=write_webvid_clips(root, heldout, clips(heldout), "learn_heldout.csv"),
        videos=root / "videos",
    )


def write_webvid_clips(
    root: Path, indices: Iterable[int], clips: Iterable[tuple[np.ndarray, str]], csv_name: str
) -> Path:
    """Write each ``(frames, caption)`` as ``root/videos/<page_dir>/<videoid>.mp4`` and list them all in
    ``root/<csv_name>`` (WebVid's columns); the video id is 1000000 + index. Returns the CSV path."""
    rows = []
    for index, (frames, caption) in zip(indices, clips, strict=True):
        video_id, page_dir = str(1000000 + index), f"{index % 3:03d}001_{index % 3:03d}050"
        write_mp4(root / "videos" / page_dir / f"{video_id}.mp4", frames)
        rows.append(
            {
                "videoid": video_id,
                "contentUrl": f"https://example.invalid/{video_id}.mp4",
                "duration": f"PT00H00M{len(frames) // 8:02d}S",
                "page_dir": page_dir,
                "name": caption,
            }
        )
    csv_path = root / csv_name
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return csv_path
