"""Our protocols against figures the public FVD tools' own code produced (``tool_figures.json``).

VideoGPT and common_metrics_on_video_quality cannot be installed from the package index, so their code
was run from their repositories (commits in the JSON) on the clips of ``tool_fixture.py`` with the
random-weight I3D of ``random_i3d.py``; the figures it printed are pinned here. A test that encoded our
reading of a tool could not catch a misreading (VideoGPT's ``fvd.py`` doubling ``data.py``'s
[-0.5, 0.5] was missed that way); only the tool's output can. StyleGAN-V's statistics and distance were run
the same way on the same logits (its detector, a TorchScript file, was not). The TF original
(google-research ``frechet_video_distance``) was run in a scratch TensorFlow 2.21 venv: its ``preprocess``
(TF1 ``resize_bilinear`` through ``tf.compat.v1``) and TF-GAN 2.1.0's distance on the same logits (its TF-hub
detector was not). Random weights: the FVDs describe no model.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from metrics.fvd import FVD, SmallSampleWarning, extract_features
from metrics.fvd_protocols import get_protocol
from metrics.video_preprocess import preprocess_videos
from tests.metrics.random_i3d import calibrated_random_i3d
from tests.metrics.tool_fixture import fixture_clips, probe_indices

FIGURES = json.loads((Path(__file__).parent / "tool_figures.json").read_text())
SIZES = {"64x64": (64, 64), "240x320": (240, 320)}
PROTOCOLS = tuple(FIGURES["tools"])
#: StyleGAN-V's detector preprocesses inside its TorchScript file, which was not run: no input figures.
WITH_INPUT = tuple(name for name in PROTOCOLS if "input_probe" in FIGURES["figures"]["64x64"][name])


def test_every_figure_names_its_tool_file_and_commit():
    for name, tool in FIGURES["tools"].items():
        assert len(tool["commit"]) == 40 and tool["repository"].startswith("github.com/") and tool["code"], name
        assert all(name in by_protocol for by_protocol in FIGURES["figures"].values())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("protocol", WITH_INPUT)
def test_detector_input_equals_the_tools(protocol, size):
    real, _ = fixture_clips(*SIZES[size])
    ours = preprocess_videos(real, get_protocol(protocol)).numpy().ravel()[probe_indices()]
    theirs = np.array(FIGURES["figures"][size][protocol]["input_probe"])
    assert np.abs(ours - theirs).max() < 1e-6  # float32 round-off (TF1 resize positions in float64 gave 5e-6 to 1.4e-5)


@lru_cache(maxsize=2)
def _random_i3d_features(size: str) -> tuple[np.ndarray, np.ndarray]:
    """Random-I3D logits of the fixture's real and fake sets (detector input checked equal above)."""
    real, fake = fixture_clips(*SIZES[size])
    detector, protocol = calibrated_random_i3d(), get_protocol("videogpt")
    return tuple(extract_features(v, detector, batch_size=3, protocol=protocol) for v in (real, fake))


@pytest.mark.slow  # about 30 s on one CPU thread: twelve I3D passes at 224x224
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_fvd_equals_the_tools(protocol, size):
    real, fake = _random_i3d_features(size)
    fvd = FVD(protocol=get_protocol(protocol))
    fvd.update_features(real, real=True)
    fvd.update_features(fake)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)  # 3 clips against 400 logits, on purpose
        value = fvd.compute().value
    assert value == pytest.approx(FIGURES["figures"][size][protocol]["fvd"], rel=1e-5)
