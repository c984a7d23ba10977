"""The small fixed clips on which the public FVD tools' own code was run (figures in ``tool_figures.json``).

Regenerated from fixed seeds rather than stored: ``numpy.random.default_rng`` streams are stable across
NumPy versions, so the clips are the same bytes on every machine.
"""

from __future__ import annotations

import numpy as np

#: Clips per set and frames per clip: common_metrics needs at least 10 frames.
NUM_CLIPS, NUM_FRAMES = 3, 10
#: Detector input ``[NUM_CLIPS, 3, NUM_FRAMES, 224, 224]`` is compared at these many flat positions.
NUM_PROBES = 64


def fixture_clips(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Real and fake uint8 ``[NUM_CLIPS, NUM_FRAMES, height, width, 3]`` sets; the fake set is darker."""
    rng = np.random.default_rng(2026)
    shape = (NUM_CLIPS, NUM_FRAMES, height, width, 3)
    real = rng.integers(0, 256, size=shape, dtype=np.uint8)
    fake = rng.integers(0, 160, size=shape, dtype=np.uint8)
    return real, fake


def probe_indices() -> np.ndarray:
    """Flat positions in the detector input at which the tools' values were recorded."""
    return np.random.default_rng(7).choice(NUM_CLIPS * 3 * NUM_FRAMES * 224 * 224, size=NUM_PROBES, replace=False)
