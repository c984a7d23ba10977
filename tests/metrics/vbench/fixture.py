"""The small videos the VBench dimensions are pinned on, in two sets, each matching the figures pinned from it.

* :func:`fixture_videos` (subject and background consistency, temporal flickering, dynamic degree,
  aesthetic quality): drawn from formulas, no random numbers, so vbench's code in a scratch
  environment and ours read the very same uint8 frames. ``moving``: a bright square sliding right by
  6 pixels a frame over a diagonal gradient, with a brightness ripple; ``still``: its first frame
  repeated. 128x136 pixels (RAFT in torchvision needs at least 128), 5 frames.
* :func:`load_videos` (motion smoothness, imaging quality): read from the committed ``fixture.npz``,
  which ``make_videos`` wrote (``python -m tests.metrics.vbench.fixture``); the pinned figures were
  produced by vbench 0.1.5's own code from the saved file, so tests read the file, not the function.
  Frames are 120 x 136: not a multiple of 16 (AMT's padding is exercised) and large enough for AMT-S's
  four correlation levels (1/8 resolution pooled three times must keep at least 2 x 2 cells).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

FIXTURE = Path(__file__).with_name("fixture.npz")
HEIGHT, WIDTH = 120, 136
FORMULA_HEIGHT, FORMULA_WIDTH, FORMULA_FRAMES = 128, 136, 5


def _formula_frame(step: int) -> np.ndarray:
    rows, cols = np.mgrid[0:FORMULA_HEIGHT, 0:FORMULA_WIDTH]
    red = (rows * 255) // FORMULA_HEIGHT
    green = (cols * 255) // FORMULA_WIDTH
    blue = ((rows + cols + 17 * step) * 3) % 256
    frame = np.stack([red, green, blue], axis=-1)
    top, left = 40, 20 + 6 * step
    frame[top : top + 40, left : left + 40] = (250, 240 - 10 * step, 30)
    return frame.astype(np.uint8)


def fixture_videos() -> dict[str, torch.Tensor]:
    """The formula set: name -> uint8 ``[T, H, W, 3]``."""
    moving = np.stack([_formula_frame(step) for step in range(FORMULA_FRAMES)])
    still = np.repeat(moving[:1], FORMULA_FRAMES, axis=0)
    return {"moving": torch.from_numpy(moving), "still": torch.from_numpy(still)}


def _moving_disc(frames: int) -> np.ndarray:
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    background = np.stack([xs // 8 * 8 / WIDTH, ys // 8 * 8 / HEIGHT, 0.5 * np.ones_like(xs)], axis=-1) * 200
    video = []
    for t in range(frames):
        cx, cy = 30 + 10 * t, 40 + 4 * t
        disc = ((xs - cx) ** 2 + (ys - cy) ** 2 < 18**2)[..., None] * np.array([250.0, 60.0, 30.0])
        frame = np.where(disc > 0, disc, background)
        video.append(frame)
    return np.clip(np.rint(video), 0, 255).astype(np.uint8)


def _panning_texture(frames: int, rng: np.random.Generator) -> np.ndarray:
    texture = rng.uniform(0, 255, (HEIGHT // 8 + 1, WIDTH // 8 + 4, 3))
    texture = np.kron(texture, np.ones((8, 8, 1)))
    return np.stack([texture[:HEIGHT, 3 * t : 3 * t + WIDTH] for t in range(frames)]).astype(np.uint8)


def make_videos(seed: int = 0) -> dict[str, np.ndarray]:
    """What the file stores: a smooth motion, a pan (even T) and the shuffle order of the smooth one."""
    rng = np.random.default_rng(seed)
    smooth = _moving_disc(7)
    order = rng.permutation(7)
    return {"smooth": smooth, "pan": _panning_texture(8, rng), "shuffle_order": order}


def load_videos() -> dict[str, torch.Tensor]:
    """The file's set, four uint8 [T, H, W, 3] videos: smooth motion, the same shuffled, a pan and a still frame."""
    with np.load(FIXTURE) as data:
        smooth, pan, order = data["smooth"], data["pan"], data["shuffle_order"]
    videos = {"smooth": smooth, "shuffled": smooth[order], "pan": pan, "still": np.repeat(smooth[:1], 5, axis=0)}
    return {name: torch.from_numpy(np.ascontiguousarray(video)) for name, video in videos.items()}


if __name__ == "__main__":
    np.savez_compressed(FIXTURE, **make_videos())
