"""One random-weight I3D shared by the metric tests (building and calibrating it takes seconds)."""

from functools import lru_cache

from metrics.i3d import InceptionI3d, random_i3d


@lru_cache(maxsize=1)
def calibrated_random_i3d(seed: int = 0) -> InceptionI3d:
    """Callers must not modify the shared model."""
    return random_i3d(seed)
