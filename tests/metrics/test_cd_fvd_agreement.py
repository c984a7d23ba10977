"""Our ``cd-fvd`` protocol against cd-fvd 0.1.1's own code, on the same random I3D weights and videos.

cd-fvd is installed from the package index (dev extras). Its loader takes ``ckpt_path``, so it reads
our random state_dict and downloads nothing (the test blocks the network to prove it). Random
weights: the numbers prove that the two pipelines agree, not anything about a model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metrics.fvd import FVD, SmallSampleWarning, extract_features
from metrics.fvd_protocols import get_protocol
from tests.metrics.random_i3d import calibrated_random_i3d

cdfvd = pytest.importorskip("cdfvd.fvd", reason="cd-fvd is a dev extra: pip install -e '.[dev]'")


def _videos(n: int, seed: int, h: int = 40, w: int = 56) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 9, h, w, 3), dtype=np.uint8)


@pytest.mark.slow  # about 20 s on one CPU thread: four I3D passes at 224x224
def test_cd_fvd_protocol_reproduces_cd_fvd_features_and_value(tmp_path, no_network):
    protocol = get_protocol("cd-fvd")
    ours = calibrated_random_i3d()
    weights = tmp_path / "i3d_pretrained_400.pt"
    torch.save(ours.state_dict(), weights)
    theirs = cdfvd.cdfvd(model="i3d", ckpt_path=str(weights), device="cpu", n_fake="full", compute_feats=True)
    real, fake = _videos(2, 0), _videos(2, 1) // 2 + 60

    theirs.add_real_stats(real)
    theirs.add_fake_stats(fake)
    their_real, their_fake = theirs.real_stats.get_all(), theirs.fake_stats.get_all()
    our_real = extract_features(real, ours, batch_size=2, protocol=protocol)  # one batch, as cd-fvd's
    our_fake = extract_features(fake, ours, batch_size=2, protocol=protocol)
    for mine, reference in ((our_real, their_real), (our_fake, their_fake)):
        assert np.abs(mine - reference).max() / np.abs(reference).max() < 1e-5

    fvd = FVD(protocol=protocol)  # the metric object on the same features (what update() would feed it)
    fvd.update_features(our_real, real=True)
    fvd.update_features(our_fake)
    with pytest.warns(SmallSampleWarning):
        value = fvd.compute().value
    assert value == pytest.approx(float(theirs.compute_fvd_from_stats()), rel=1e-6)  # measured: 8e-8
    assert value > 1.0  # different sets: the agreement is not a trivial zero
