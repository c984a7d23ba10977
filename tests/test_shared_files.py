"""Files a user shares (statistics, results, reports) follow the umask, as a plain ``open`` would."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from metrics.frechet import GaussianStats
from simda.plumbing.atomic import atomic_path


@pytest.fixture()
def group_readable_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_statistics_and_atomic_writes_are_readable_by_others_under_umask_022(tmp_path, group_readable_umask) -> None:
    stats = GaussianStats.from_features(np.random.default_rng(0).standard_normal((8, 3)))
    stats.save(tmp_path / "real.npz")
    with atomic_path(tmp_path / "report.md") as tmp:
        Path(tmp).write_text("# report")
    assert mode(tmp_path / "real.npz") == 0o644 and mode(tmp_path / "report.md") == 0o644
