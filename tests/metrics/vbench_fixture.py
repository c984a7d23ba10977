"""The VBench agreement fixture: small videos drawn from formulas (no random numbers), so vbench's code in a
scratch environment and ours read the very same uint8 frames.

``moving``: a bright square sliding right by 6 pixels a frame over a diagonal gradient, with a
brightness ripple; ``still``: its first frame repeated. 128x136 pixels (RAFT in torchvision needs
at least 128), 5 frames.
"""

from __future__ import annotations

import numpy as np
import torch

HEIGHT, WIDTH, FRAMES = 128, 136, 5


def _frame(step: int) -> np.ndarray:
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    red = (rows * 255) // HEIGHT
    green = (cols * 255) // WIDTH
    blue = ((rows + cols + 17 * step) * 3) % 256
    frame = np.stack([red, green, blue], axis=-1)
    top, left = 40, 20 + 6 * step
    frame[top : top + 40, left : left + 40] = (250, 240 - 10 * step, 30)
    return frame.astype(np.uint8)


def fixture_videos() -> dict[str, torch.Tensor]:
    """name -> uint8 ``[T, H, W, 3]``."""
    moving = np.stack([_frame(step) for step in range(FRAMES)])
    still = np.repeat(moving[:1], FRAMES, axis=0)
    return {"moving": torch.from_numpy(moving), "still": torch.from_numpy(still)}
