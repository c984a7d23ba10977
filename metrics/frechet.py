"""Fréchet distance between Gaussians fitted to feature sets (the core of FID and FVD).

d^2 = ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^{1/2})

Statistics are float64 raw moments (count, sum, sum of outer products), not features: they sum exactly
across shards, batches and processes, so a sharded evaluation gives one pass's number and real-set
statistics cache in a small file.

Covariance: ``ddof=0`` (divide by N, as StyleGAN-V's FVD, the most used today) by default; ``ddof=1``
(N - 1) reproduces the original TF FVD / FID code. It matters for small N only; every result's protocol
records it.

Square root: ``"eigh"`` (the default) sums the square roots of the eigenvalues of the symmetric PSD
S1^{1/2} S2 S1^{1/2}, which has the spectrum of S1 S2: exact up to round-off, real by construction and
stable for the rank-deficient covariances of small sets. ``"sqrtm"`` follows the reference FID code
(``scipy.linalg.sqrtm``, an eps*I retry, tiny imaginary parts dropped) for bit-level comparisons with it;
both agree on well-conditioned inputs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.linalg

from metrics.file_modes import share_like_open

SqrtmMethod = Literal["eigh", "sqrtm"]
DEFAULT_DDOF = 0
DEFAULT_SQRTM_METHOD: SqrtmMethod = "eigh"
_FORMAT = "metrics.GaussianStats/1"


class GaussianStats:
    """Running first and second raw moments of a feature distribution, in float64."""

    def __init__(
        self, dim: int, count: int = 0, total: np.ndarray | None = None, outer: np.ndarray | None = None
    ) -> None:
        """Empty statistics of ``dim`` features, or the given count, sum and sum of outer products."""
        self.dim = dim
        self.count = count
        self.sum = np.zeros(dim, dtype=np.float64) if total is None else total
        self.outer = np.zeros((dim, dim), dtype=np.float64) if outer is None else outer

    @classmethod
    def from_features(cls, features: np.ndarray) -> GaussianStats:
        features = np.asarray(features)
        if features.ndim != 2:
            raise ValueError(f"features must be [N, D], got shape {features.shape}")
        stats = cls(features.shape[1])
        stats.update(features)
        return stats

    def update(self, features: np.ndarray) -> None:
        """Add a ``[N, D]`` batch of features."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != self.dim:
            raise ValueError(f"features must be [N, {self.dim}], got shape {features.shape}")
        self.count += features.shape[0]
        self.sum += features.sum(axis=0)
        self.outer += features.T @ features

    def merge(self, other: GaussianStats) -> GaussianStats:
        """Statistics of the union of both feature sets (neither operand is modified)."""
        if other.dim != self.dim:
            raise ValueError(f"cannot merge statistics of dimension {self.dim} and {other.dim}")
        return GaussianStats(self.dim, self.count + other.count, self.sum + other.sum, self.outer + other.outer)

    __add__ = merge

    def mean(self) -> np.ndarray:
        if self.count == 0:
            raise ValueError("mean of empty statistics")
        return self.sum / self.count

    def cov(self, ddof: int = DEFAULT_DDOF) -> np.ndarray:
        """Covariance dividing by ``count - ddof`` (see the module docstring for the convention)."""
        if self.count - ddof <= 0:
            raise ValueError(f"covariance with ddof={ddof} needs more than {ddof} samples, have {self.count}")
        mu = self.mean()
        # Raw-moment form; float64 keeps the cancellation error far below FVD's
        # noise for logit-scale features.  Symmetrise to remove round-off asymmetry.
        cov = (self.outer - self.count * np.outer(mu, mu)) / (self.count - ddof)
        return (cov + cov.T) / 2

    def save(self, path: str | Path) -> None:
        """Write an .npz atomically (temp file + rename) so an interrupted run never leaves a torn cache."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, format=_FORMAT, count=np.int64(self.count), sum=self.sum, outer=self.outer)
            share_like_open(tmp)  # mkstemp made it 0600: statistics are shared like any written file
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> GaussianStats:
        """Read a file written by :meth:`save`; anything else raises ``ValueError`` naming the file."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                fmt = str(data["format"])
                count, total, outer = int(data["count"]), data["sum"], data["outer"]
        except FileNotFoundError:
            raise
        except Exception as exc:  # zip, pickle and key errors all mean "not our file"
            raise ValueError(
                f"{path} is not a GaussianStats file saved by metrics.frechet "
                f"({type(exc).__name__}: {exc}); recompute the statistics"
            ) from exc
        if fmt != _FORMAT or total.ndim != 1 or outer.shape != (total.shape[0], total.shape[0]) or count < 0:
            raise ValueError(
                f"{path} has an unexpected GaussianStats layout (format {fmt!r}, sum {total.shape}, "
                f"outer {outer.shape}); recompute the statistics"
            )
        return cls(total.shape[0], count, total.astype(np.float64), outer.astype(np.float64))


def _zero_noise_eigenvalues(eig: np.ndarray) -> np.ndarray:
    """Set eigenvalues below round-off level (the tolerance of ``numpy.linalg.matrix_rank``) to 0.

    A rank-deficient covariance has exact zeros that eigh returns as +-1e-16-ish
    noise; their square roots (~1e-8 each, hundreds of them) would otherwise
    add up to a visible bias, e.g. a non-zero FVD between identical small sets.
    """
    tol = max(float(eig.max(initial=0.0)), 0.0) * eig.size * np.finfo(np.float64).eps
    return np.where(eig > tol, eig, 0.0)


def trace_sqrt_product_eigh(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((S1 S2)^{1/2}) via the symmetric similar matrix S1^{1/2} S2 S1^{1/2}."""
    w, v = np.linalg.eigh(sigma1)
    sqrt1 = (v * np.sqrt(_zero_noise_eigenvalues(w))) @ v.T
    m = sqrt1 @ sigma2 @ sqrt1
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(_zero_noise_eigenvalues(eig)).sum())


def trace_sqrt_product_sqrtm(sigma1: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6) -> float:
    """tr((S1 S2)^{1/2}) via ``scipy.linalg.sqrtm``, with the reference FID code's eps retry."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        max_imag = np.max(np.abs(np.diagonal(covmean).imag))
        if max_imag > 1e-3:
            raise ValueError(f"sqrtm produced a significant imaginary component ({max_imag:.3g})")
        covmean = covmean.real
    return float(np.trace(covmean))


def frechet_distance_from_moments(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    method: SqrtmMethod = DEFAULT_SQRTM_METHOD,
) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), computed in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = (np.atleast_2d(np.asarray(sigma, np.float64)) for sigma in (sigma1, sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}")
    trace_sqrt = {"eigh": trace_sqrt_product_eigh, "sqrtm": trace_sqrt_product_sqrtm}.get(method)
    if trace_sqrt is None:
        raise ValueError(f"unknown sqrtm method {method!r}; use 'eigh' or 'sqrtm'")
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt(sigma1, sigma2))


def frechet_distance(
    stats_a: GaussianStats,
    stats_b: GaussianStats,
    ddof: int = DEFAULT_DDOF,
    method: SqrtmMethod = DEFAULT_SQRTM_METHOD,
) -> float:
    """Fréchet distance between the Gaussians fitted to two accumulated feature sets."""
    return frechet_distance_from_moments(stats_a.mean(), stats_a.cov(ddof), stats_b.mean(), stats_b.cov(ddof), method)


def frechet_distance_from_features(
    features_a: np.ndarray,
    features_b: np.ndarray,
    ddof: int = DEFAULT_DDOF,
    method: SqrtmMethod = DEFAULT_SQRTM_METHOD,
) -> float:
    """Convenience wrapper for two ``[N, D]`` feature arrays."""
    return frechet_distance(
        GaussianStats.from_features(features_a), GaussianStats.from_features(features_b), ddof, method
    )


class FrechetToReference:
    """Fréchet distances from many Gaussians to one fixed reference by the module docstring's ``"eigh"`` route:
    S_ref^{1/2} is computed once, so each distance costs one symmetric eigenvalue problem (the resampled fake
    sets of an FVD interval).
    """

    def __init__(self, stats: GaussianStats, ddof: int = DEFAULT_DDOF) -> None:
        self.mean = stats.mean()
        cov = stats.cov(ddof)
        w, v = np.linalg.eigh(cov)
        self._sqrt = (v * np.sqrt(_zero_noise_eigenvalues(w))) @ v.T
        self._trace = float(np.trace(cov))
        self.ddof = ddof

    def distance(self, stats: GaussianStats) -> float:
        """Fréchet distance between the reference and the Gaussian fitted to ``stats``."""
        cov = stats.cov(self.ddof)
        m = self._sqrt @ cov @ self._sqrt
        eig = np.linalg.eigvalsh((m + m.T) / 2)
        diff = self.mean - stats.mean()
        return float(diff @ diff + self._trace + np.trace(cov) - 2.0 * np.sqrt(_zero_noise_eigenvalues(eig)).sum())

    def covariance_gradient(self, cov: np.ndarray) -> np.ndarray:
        """d/dS of the distance at covariance S: ``I - A (A S A)^{-1/2} A`` with ``A = S_ref^{1/2}``.

        From d tr((A S A)^{1/2}) = tr((A S A)^{-1/2} A dS A) / 2; directions outside the support of
        ``A S A`` get the pseudo-inverse (zero), as for rank-deficient covariances.
        """
        m = self._sqrt @ cov @ self._sqrt
        w, v = np.linalg.eigh((m + m.T) / 2)
        w = _zero_noise_eigenvalues(w)
        inv_sqrt = (v * np.where(w > 0, 1.0 / np.sqrt(np.where(w > 0, w, 1.0)), 0.0)) @ v.T
        return np.eye(cov.shape[0]) - self._sqrt @ inv_sqrt @ self._sqrt
