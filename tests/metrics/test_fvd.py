import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from metrics.frechet import GaussianStats, frechet_distance_from_features
from metrics.fvd import FVD, SmallSampleWarning, extract_features
from metrics.fvd_protocols import get_protocol
from tests.metrics.random_i3d import calibrated_random_i3d

DIM = 8


class TinyDetector(nn.Module):
    """Random stand-in for I3D with the same contract ([B, 3, T, 224, 224] -> [B, D]) but cheap."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.proj = nn.Parameter(torch.randn(3 * 4 * 4, DIM, generator=generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1:] == (3, x.shape[2], 224, 224)
        pooled = F.adaptive_avg_pool2d(x.mean(dim=2), 4).flatten(1)
        return torch.tanh(pooled @ self.proj)


def _videos(n: int, seed: int, brightness: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    videos = rng.uniform(0, 1, size=(n, 4, 16, 16, 3)) * (1 - brightness) + brightness
    return (videos * 255).astype(np.uint8)


REAL, FAKE_SAME_DIST, FAKE_BRIGHT = _videos(24, 0), _videos(24, 1), _videos(24, 2, brightness=0.4)


def test_identical_sets_give_zero_and_different_sets_positive():
    fvd = FVD(TinyDetector())
    fvd.update(REAL, real=True)
    fvd.update(REAL)
    assert abs(fvd.compute().value) < 1e-8
    fvd.reset()
    fvd.update(FAKE_BRIGHT)
    bright = fvd.compute().value
    fvd.reset()
    fvd.update(FAKE_SAME_DIST)
    same = fvd.compute().value
    assert bright > 10 * same > 0


def test_value_matches_frechet_distance_of_extracted_features():
    detector = TinyDetector()
    real, fake = extract_features(REAL, detector), extract_features(FAKE_BRIGHT, detector)
    assert real.dtype == np.float64 and real.shape == (24, DIM)
    for name in ("cd-fvd", "tf"):  # covariance by N with scipy's sqrtm; by N - 1 with the eigenvalue route
        protocol = get_protocol(name)
        fvd = FVD(detector, protocol=protocol)
        fvd.update(REAL, real=True)
        fvd.update(FAKE_BRIGHT)
        result = fvd.compute()
        real, fake = (extract_features(v, detector, protocol=protocol) for v in (REAL, FAKE_BRIGHT))
        expected = frechet_distance_from_features(real, fake, protocol.ddof, protocol.sqrtm_method)
        assert result.value == pytest.approx(expected, rel=1e-9)
        assert result.protocol.name == name and result.protocol.num_frames == 4
        assert (result.num_real, result.num_fake) == (24, 24)


def test_batch_size_and_update_chunking_do_not_change_the_value():
    values = []
    for batch_size, chunks in ((1, 1), (7, 3), (64, 5)):
        fvd = FVD(TinyDetector(), batch_size=batch_size)
        fvd.update(REAL, real=True)
        for chunk in np.array_split(FAKE_BRIGHT, chunks):
            fvd.update(chunk)
        values.append(fvd.compute().value)
    np.testing.assert_allclose(values, values[0], rtol=1e-6)


def test_cached_real_stats_give_the_same_value(tmp_path):
    detector = TinyDetector()
    path = tmp_path / "real.npz"
    GaussianStats.from_features(extract_features(REAL, detector)).save(path)
    cached = FVD(detector, real_stats=GaussianStats.load(path))
    cached.update(FAKE_BRIGHT)
    fresh = FVD(detector)
    fresh.update(REAL, real=True)
    fresh.update(FAKE_BRIGHT)
    assert cached.compute().value == pytest.approx(fresh.compute().value, rel=1e-12)
    cached.reset(real=True)  # cached statistics survive a full reset
    cached.update(FAKE_BRIGHT)
    assert cached.compute().num_real == 24


def test_warns_when_samples_do_not_exceed_feature_dimension():
    fvd = FVD(TinyDetector())
    fvd.update(REAL, real=True)
    fvd.update(FAKE_BRIGHT[:DIM])
    with pytest.warns(SmallSampleWarning, match=f"fake set has {DIM} videos <= feature dimension {DIM}"):
        fvd.compute()
    fvd.update(FAKE_BRIGHT[DIM : DIM + 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fvd.compute()


def test_interval_contains_the_point_and_is_reproducible():
    def run(seed: int):
        fvd = FVD(TinyDetector(), interval=6, seed=seed)
        fvd.update(REAL, real=True)
        fvd.update(FAKE_BRIGHT)
        return fvd.compute()

    first, again, other = run(0), run(0), run(1)
    assert first.interval_replicates == 6 and first.confidence == 0.95 and first.interval_method == "jackknife"
    assert first.ci_low < first.value < first.ci_high
    assert first.value - first.ci_low == pytest.approx(first.ci_high - first.value)  # centred on the point
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.value == other.value
    params = first.as_dict()
    assert params["fvd.ddof"] == "0" and params["ci_low"] == first.ci_low and params["fvd.protocol"] == "cd-fvd"


def test_precomputed_features_and_real_stats_give_the_same_value_and_interval():
    detector = TinyDetector()
    from_videos = FVD(detector, interval=5)
    from_videos.update(REAL, real=True)
    from_videos.update(FAKE_BRIGHT)
    real, fake = extract_features(REAL, detector), extract_features(FAKE_BRIGHT, detector)
    from_rows = FVD(interval=5)  # no detector: cached features only
    from_rows.update_features(real, real=True)
    for chunk in np.array_split(fake, 3):
        from_rows.update_features(chunk, num_frames=4)
    from_stats = FVD(real_stats=GaussianStats.from_features(real), interval=5)
    from_stats.update_features(fake)
    expected = from_videos.compute()
    for result in (from_rows.compute(), from_stats.compute()):
        assert result.value == pytest.approx(expected.value, rel=1e-12)
        assert (result.ci_low, result.ci_high) == pytest.approx((expected.ci_low, expected.ci_high), rel=1e-9)
    assert from_rows.compute().protocol.num_frames == 4
    with pytest.raises(ValueError, match="no detector"):
        from_rows.update(REAL)
    with pytest.raises(ValueError, match="not finite"):
        from_rows.update_features(np.full((2, DIM), np.nan))
    with pytest.raises(ValueError, match="same number of frames"):
        from_rows.update_features(fake, num_frames=9)


def test_detector_with_the_wrong_batch_norm_eps_is_refused():
    videos = np.zeros((1, 9, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="eps 0.001"):
        FVD(calibrated_random_i3d(), protocol=get_protocol("tf"))
    with pytest.raises(ValueError, match="eps 0.001"):
        extract_features(videos, calibrated_random_i3d(), protocol=get_protocol("tf"))


def test_state_errors():
    fvd = FVD(TinyDetector())
    with pytest.raises(ValueError, match="no real statistics"):
        fvd.compute()
    fvd.update(REAL, real=True)
    with pytest.raises(ValueError, match="no generated videos"):
        fvd.compute()
    with pytest.raises(ValueError, match="same number of frames"):
        fvd.update(np.zeros((2, 5, 16, 16, 3), dtype=np.uint8))


def test_accepts_a_list_of_videos_of_different_sizes():
    detector = TinyDetector()
    mixed = [REAL[0], np.ascontiguousarray(REAL[1][:, :8, :12])]
    features = extract_features(mixed, detector, batch_size=2)
    np.testing.assert_allclose(features[0], extract_features(REAL[:1], detector)[0], rtol=1e-6)
    assert features.shape == (2, DIM)


def test_fvd_with_random_i3d_detector():
    # Random (calibrated) weights: only the zero for identical sets and the ordering are meaningful.
    videos = np.random.default_rng(0).integers(0, 256, size=(3, 9, 32, 32, 3), dtype=np.uint8)
    fvd = FVD(calibrated_random_i3d(), batch_size=2)
    fvd.update(videos, real=True)
    fvd.update(videos)
    with pytest.warns(SmallSampleWarning):  # scipy's sqrtm (cd-fvd's) of rank-2 covariances: ~1e-5 round-off
        assert abs(fvd.compute().value) < 1e-4
    fvd.reset()
    fvd.update(videos // 4)
    with pytest.warns(SmallSampleWarning):
        assert fvd.compute().value > 0.01


def test_a_jackknife_of_fewer_videos_than_groups_uses_one_group_per_video():
    rng = np.random.default_rng(3)
    fvd = FVD(real_stats=GaussianStats.from_features(rng.normal(size=(50, 4))), interval=40)
    fvd.update_features(rng.normal(size=(7, 4)))
    result = fvd.compute()
    assert result.interval_replicates == 7 and result.ci_low <= result.value <= result.ci_high
    fvd.reset()
    fvd.update_features(rng.normal(size=(1, 4)))
    assert fvd.compute().ci_low is None, "one video has no spread to estimate"
