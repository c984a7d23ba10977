"""Motion smoothness (AMT-S) against vbench 0.1.5's own code on the committed fixture.

Pinned figures: vbench 0.1.5, ``vbench/motion_smoothness.py``, ``MotionSmoothness.motion_score``
(device "cpu", its AMT-S from ``vbench/third_party/amt/networks/AMT-S.py`` built from
``cfgs/AMT-S.yaml``), loading ``{"state_dict": AMTS.random(0).state_dict()}``, each fixture video
written as a PNG folder (lossless) and read by vbench's ``get_frames_from_img_folder``. They are
random-weight numbers: they pin the computation, not a model's quality.

    SIMDA_AMT_WEIGHTS=/path/to/amt-s.pth pytest tests/metrics/vbench/test_motion_smoothness.py -m "slow or not slow"
"""

from __future__ import annotations

import os

import pytest
import torch

from metrics.vbench.amt import AMTS
from metrics.vbench.dimension import DimensionState
from metrics.vbench.motion_smoothness import MotionSmoothness
from tests.metrics.vbench.fixture import load_videos

VBENCH_MOTION_SMOOTHNESS = {  # vbench 0.1.5 motion_smoothness.py MotionSmoothness.motion_score, AMTS.random(0)
    "smooth": 0.5802621320859499,
    "shuffled": 0.5731015314622581,
    "pan": 0.5720043305993422,
    "still": 0.5762403883121876,
}
VBENCH_SMOOTH_FIRST_THREE_FRAMES = 0.5769502915545303  # the same, on fixture "smooth" frames 0-2
REAL_WEIGHTS = os.environ.get("SIMDA_AMT_WEIGHTS")


def test_amt_s_has_the_public_checkpoint_layout(tmp_path):
    """213 tensors, 2,990,543 parameters (vbench's AMT-S counts); a strict load refuses any other layout."""
    state = AMTS.random(0).state_dict()
    assert len(state) == 213 and sum(tensor.numel() for tensor in state.values()) == 2_990_543
    path = tmp_path / "amt-s.pth"
    torch.save({"state_dict": state}, path)
    loaded = AMTS.from_pretrained(path).state_dict()
    assert all(torch.equal(loaded[key], state[key]) for key in state)
    del state["comb_block.0.bias"]
    torch.save({"state_dict": state}, path)
    with pytest.raises(RuntimeError, match="comb_block.0.bias"):
        AMTS.from_pretrained(path)


@pytest.mark.slow  # one AMT-S pass at 128 x 144: ~5 s of CPU
def test_three_frames_equal_vbench():
    metric = MotionSmoothness.random(0)
    state = metric.update(load_videos()["smooth"][:3])
    assert state.count == 1
    assert state.total == pytest.approx(VBENCH_SMOOTH_FIRST_THREE_FRAMES, abs=1e-5)


def test_too_few_frames_are_refused():
    with pytest.raises(ValueError, match="at least 3 frames"):
        MotionSmoothness.random(0).update(load_videos()["smooth"][:2])


@pytest.mark.slow
def test_fixture_videos_and_dimension_equal_vbench():
    metric = MotionSmoothness.random(0)
    states = {name: metric.update(video) for name, video in load_videos().items()}
    for name, expected in VBENCH_MOTION_SMOOTHNESS.items():
        assert states[name].total == pytest.approx(expected, abs=1e-5), name
    # vbench's dimension: the plain mean of the per-video scores
    mean = sum(VBENCH_MOTION_SMOOTHNESS.values()) / len(VBENCH_MOTION_SMOOTHNESS)
    assert metric.compute() == pytest.approx(mean, abs=1e-5)
    resumed = MotionSmoothness.random(0)
    for state in states.values():
        resumed.update_state(DimensionState(state.total, state.count))
    assert resumed.compute() == metric.compute()


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WEIGHTS, reason="set SIMDA_AMT_WEIGHTS to the public amt-s.pth")
def test_real_weights_score_shuffled_frames_below_ordered_ones():
    """A trained interpolator re-creates a smooth trajectory well and a shuffled one badly."""
    metric = MotionSmoothness.from_pretrained(REAL_WEIGHTS)
    videos = load_videos()
    ordered = metric.update(videos["smooth"]).total
    shuffled = metric.update(videos["shuffled"]).total
    assert ordered > shuffled
    assert ordered > 0.9


def test_frames_too_small_for_amt_s_are_refused():
    small = load_videos()["smooth"][:3, :112, :112]
    with pytest.raises(ValueError, match="over 112 pixels a side"):
        MotionSmoothness.random(0).update(small)
