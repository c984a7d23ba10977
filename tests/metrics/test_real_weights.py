"""Checks of the public I3D weights, run only where a file is on disk (no test downloads anything).

    SIMDA_I3D_WEIGHTS=/path/to/i3d_pretrained_400.pt pytest tests/metrics/test_real_weights.py

Any of the accepted files works (``i3d_pretrained_400.pt``, ``rgb_imagenet.pt``, ``i3d_torchscript.pt``).
The main risk they cover is layout: the real file must load through ``load_i3d`` (strictly, for state
dicts) and give finite logits that depend on the clip and not on its batch. Reference logits for a
fixed input would pin the numbers further; none could be computed here without the weights.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from metrics.i3d import load_i3d
from metrics.video_preprocess import preprocess_videos
from simda.synthetic import moving_square

WEIGHTS = os.environ.get("SIMDA_I3D_WEIGHTS")
pytestmark = pytest.mark.skipif(not WEIGHTS, reason="set SIMDA_I3D_WEIGHTS to a public I3D weight file")


def fixed_clips() -> torch.Tensor:
    """Three different 16-frame clips, the same on every machine, preprocessed as FVD does."""
    clips = np.stack([moving_square(index, 16, 224, 224)[0] for index in (0, 5, 10)])
    return preprocess_videos(clips)


def test_public_weights_load_and_give_logits_on_a_fixed_input():
    model = load_i3d(WEIGHTS)
    clips = fixed_clips()
    with torch.no_grad():
        together = model(clips)
        alone = torch.cat([model(clip[None]) for clip in clips])
    assert together.shape == (3, 400) and torch.isfinite(together).all()
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-4)  # eval-mode BatchNorm: no batch coupling
    assert (together[0] - together[1]).abs().max() > 0.1, "different clips must give different logits"
