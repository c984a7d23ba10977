"""The tiny preset's random-weight networks score the tiny preset's 32x32 frames; the full-size ones refuse them.

RAFT (dynamic degree) and AMT-S (motion smoothness) pool a 1/8-resolution correlation volume into a
pyramid: four levels need 128-pixel frames. ``tiny()`` builds the same classes with two levels, and
MUSIQ (imaging quality) with one small resized scale instead of pyiqa's 224 and 384.
"""

from __future__ import annotations

import math

import pytest
import torch

from metrics.vbench.dynamic_degree import DynamicDegree
from metrics.vbench.imaging_quality import ImagingQuality
from metrics.vbench.motion_smoothness import MotionSmoothness


def tiny_video() -> torch.Tensor:
    """Three 32x32 frames of a bright square moving 4 pixels a frame over noise (uint8 [T, H, W, 3])."""
    generator = torch.Generator().manual_seed(0)
    video = torch.randint(0, 100, (3, 32, 32, 3), dtype=torch.uint8, generator=generator)
    for t in range(3):
        video[t, 8:20, 4 + 4 * t : 16 + 4 * t] = 250
    return video


@pytest.mark.parametrize("dimension_type", [DynamicDegree, MotionSmoothness, ImagingQuality])
def test_tiny_networks_score_tiny_frames(dimension_type) -> None:
    state = dimension_type.tiny(0).video_state(tiny_video())
    assert state.count == 1.0 and math.isfinite(state.total) and -1.0 <= state.total <= 1.0


def test_tiny_networks_are_the_same_classes_in_small_configurations() -> None:
    raft = DynamicDegree.tiny(0).model
    assert type(raft) is type(DynamicDegree.random(0).model) and raft.corr_block.num_levels == 2
    amt = MotionSmoothness.tiny(0).model
    assert type(amt) is type(MotionSmoothness.random(0).model) and amt.corr_levels == 2
    musiq = ImagingQuality.tiny(0).model
    assert type(musiq) is type(ImagingQuality.random(0).model) and musiq.longer_sides == (64,)


def test_full_size_networks_refuse_tiny_frames() -> None:
    with pytest.raises(ValueError, match="over 112 pixels a side"):
        MotionSmoothness.random(0).video_state(tiny_video())
    with pytest.raises(ValueError, match=r"at least 8 \* 16 = 128"):
        DynamicDegree.random(0).video_state(tiny_video())
