import numpy as np
import pytest

from metrics.frechet import (
    GaussianStats,
    frechet_distance,
    frechet_distance_from_features,
    frechet_distance_from_moments,
    trace_sqrt_product_eigh,
    trace_sqrt_product_sqrtm,
)

METHODS = ["eigh", "sqrtm"]


def _random_spd(rng: np.random.Generator, dim: int) -> np.ndarray:
    x = rng.normal(size=(3 * dim, dim))
    return x.T @ x / (3 * dim) + 0.1 * np.eye(dim)


@pytest.mark.parametrize("method", METHODS)
def test_one_dimensional_closed_form(method):
    # Two samples each with exact moments: N(1, 4) and N(3, 9) under ddof=0.
    # d^2 = (1 - 3)^2 + 4 + 9 - 2 * sqrt(4 * 9) = 5.
    a = GaussianStats.from_features(np.array([[-1.0], [3.0]]))
    b = GaussianStats.from_features(np.array([[0.0], [6.0]]))
    assert frechet_distance(a, b, ddof=0, method=method) == pytest.approx(5.0, abs=1e-12)
    # ddof=1 doubles both variances (8 and 18): 4 + 8 + 18 - 2 * 12 = 6.
    assert frechet_distance(a, b, ddof=1, method=method) == pytest.approx(6.0, abs=1e-12)
    assert frechet_distance_from_moments([1.0], [[4.0]], [3.0], [[9.0]], method=method) == pytest.approx(5.0)


@pytest.mark.parametrize("method", METHODS)
def test_diagonal_covariances(method):
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    a, b = rng.uniform(0.1, 4.0, size=6), rng.uniform(0.1, 4.0, size=6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet_distance_from_moments(mu1, np.diag(a), mu2, np.diag(b), method=method)
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_identical_feature_sets_give_zero(method):
    features = np.random.default_rng(2).normal(size=(300, 12)) * 5 + 3
    assert abs(frechet_distance_from_features(features, features, method=method)) < 1e-8


def test_shifted_set_gives_squared_shift():
    features = np.random.default_rng(3).normal(size=(200, 5))
    shift = np.array([1.0, -2.0, 0.0, 0.5, 3.0])
    assert frechet_distance_from_features(features, features + shift) == pytest.approx(shift @ shift, rel=1e-9)


def test_shard_merge_equals_whole_set():
    features = np.random.default_rng(4).normal(size=(101, 7))
    whole = GaussianStats.from_features(features)
    merged = GaussianStats(7)
    for shard in np.array_split(features, 4):
        merged = merged + GaussianStats.from_features(shard)
    assert merged.count == 101
    np.testing.assert_allclose(merged.mean(), whole.mean(), rtol=1e-12)
    np.testing.assert_allclose(merged.cov(), whole.cov(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(whole.cov(ddof=1), np.cov(features, rowvar=False), rtol=1e-10)
    np.testing.assert_allclose(whole.cov(ddof=0), np.cov(features, rowvar=False, bias=True), rtol=1e-10)


def test_update_and_merge_validate_dimensions():
    stats = GaussianStats(3)
    with pytest.raises(ValueError, match=r"\[N, 3\]"):
        stats.update(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="dimension"):
        stats.merge(GaussianStats(4))
    with pytest.raises(ValueError, match="empty"):
        stats.mean()


def test_save_load_roundtrip(tmp_path):
    stats = GaussianStats.from_features(np.random.default_rng(5).normal(size=(50, 4)))
    path = tmp_path / "real_stats.npz"
    stats.save(path)
    loaded = GaussianStats.load(path)
    assert loaded.count == stats.count and loaded.dim == stats.dim
    np.testing.assert_array_equal(loaded.sum, stats.sum)
    np.testing.assert_array_equal(loaded.outer, stats.outer)
    assert [p.name for p in tmp_path.iterdir()] == ["real_stats.npz"]  # no temp file left behind


def test_load_rejects_foreign_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="garbage.npz"):
        GaussianStats.load(garbage)
    other = tmp_path / "other.npz"
    np.savez(other, mu=np.zeros(3))
    with pytest.raises(ValueError, match="other.npz"):
        GaussianStats.load(other)
    with pytest.raises(FileNotFoundError):
        GaussianStats.load(tmp_path / "missing.npz")


def test_sqrt_methods_agree_on_random_spd():
    rng = np.random.default_rng(6)
    for dim in (2, 10, 40):
        s1, s2 = _random_spd(rng, dim), _random_spd(rng, dim)
        eigh, sqrtm = trace_sqrt_product_eigh(s1, s2), trace_sqrt_product_sqrtm(s1, s2)
        assert eigh == pytest.approx(sqrtm, rel=1e-9)


def test_eigh_handles_rank_deficient_covariances():
    # 5 samples in 20 dimensions: singular covariances, as FVD with few videos produces.
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(5, 20)), rng.normal(size=(5, 20)) + 1.0
    value = frechet_distance_from_features(a, b)
    assert np.isfinite(value) and value > 0
    # Round-off eigenvalues (~1e-16) must not leak in through their square roots (~1e-8 each).
    assert abs(frechet_distance_from_features(a, a)) < 1e-10


def test_unknown_method_and_shape_mismatch_raise():
    with pytest.raises(ValueError, match="unknown sqrtm method"):
        frechet_distance_from_moments([0.0], [[1.0]], [0.0], [[1.0]], method="svd")
    with pytest.raises(ValueError, match="shape mismatch"):
        frechet_distance_from_moments([0.0, 0.0], np.eye(2), [0.0], [[1.0]])
