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
from metrics.video_preprocess import preprocess_videos
from tests.metrics.random_i3d import calibrated_random_i3d

cdfvd = pytest.importorskip("cdfvd.fvd", reason="cd-fvd is a dev extra: pip install -e '.[dev]'")


def _videos(n: int, seed: int, h: int = 40, w: int = 56) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 9, h, w, 3), dtype=np.uint8)


def _both_on_one_weight_file(tmp_path, **options):
    """Our random I3D and cd-fvd's object loading the same weights from a file (so it downloads nothing)."""
    ours = calibrated_random_i3d()
    weights = tmp_path / "i3d_pretrained_400.pt"
    torch.save(ours.state_dict(), weights)
    return ours, cdfvd.cdfvd(model="i3d", ckpt_path=str(weights), device="cpu", n_fake="full", **options)


@pytest.mark.slow  # about 20 s on one CPU thread: four I3D passes at 224x224
def test_cd_fvd_protocol_reproduces_cd_fvd_features_and_value(tmp_path, no_network):
    protocol = get_protocol("cd-fvd")
    ours, theirs = _both_on_one_weight_file(tmp_path, compute_feats=True)
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


def _folder_loader_batch(videos: np.ndarray) -> list[dict[str, torch.Tensor]]:
    """What cd-fvd's ``load_videos(data_type='video_folder')`` yields for decoded clips: its own ``preprocess``
    (shorter side to 256 antialiased, centre crop, [0, 1]); only torchvision's file decoding is left out."""
    from cdfvd.utils.data_utils import preprocess

    return [{"video": torch.stack([preprocess(torch.from_numpy(v), 256)["video"] for v in videos])}]


@pytest.mark.parametrize("size", [(64, 64), (240, 320), (320, 240)])
@pytest.mark.parametrize("protocol", ["cd-fvd", "cd-fvd-folder"])
def test_detector_input_equals_cd_fvds(protocol, size):
    from cdfvd.third_party.i3d.utils import preprocess_i3d
    from einops import rearrange

    videos = _videos(2, 0, *size)
    if protocol == "cd-fvd-folder":  # compute_real_stats' own conversion of a loader batch to uint8
        arrays = rearrange(_folder_loader_batch(videos)[0]["video"] * 255, "b c t h w -> b t h w c").byte().numpy()
    else:
        arrays = videos
    theirs = preprocess_i3d(arrays)
    assert (preprocess_videos(videos, get_protocol(protocol)) - theirs).abs().max() < 1e-4


@pytest.mark.slow  # about 25 s on one CPU thread: four I3D passes at 224x224
def test_cd_fvd_folder_protocol_reproduces_cd_fvds_folder_path(tmp_path, no_network):
    protocol = get_protocol("cd-fvd-folder")
    ours, theirs = _both_on_one_weight_file(tmp_path)
    real, fake = _videos(2, 0, 48, 72), _videos(2, 1, 48, 72) // 2 + 60
    theirs.compute_real_stats(_folder_loader_batch(real))
    theirs.compute_fake_stats(_folder_loader_batch(fake))

    fvd = FVD(ours, protocol=protocol, batch_size=2)
    fvd.update(real, real=True)
    fvd.update(fake)
    with pytest.warns(SmallSampleWarning):
        value = fvd.compute().value
    assert value == pytest.approx(float(theirs.compute_fvd_from_stats()), rel=1e-5)
    assert value > 1.0
