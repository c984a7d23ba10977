"""VBench dimensions with the public weight files: a still video does not move and keeps its subject.

Skipped unless the files are named: ``SIMDA_DINO_WEIGHTS`` (``dino_vitbase16_pretrain.pth``) and
``SIMDA_RAFT_WEIGHTS`` (``raft-things.pth``).
"""

from __future__ import annotations

import os

import pytest

from metrics.vbench.dynamic_degree import DynamicDegree
from metrics.vbench.subject_consistency import SubjectConsistency
from tests.metrics.vbench.fixture import fixture_videos

DINO = os.environ.get("SIMDA_DINO_WEIGHTS")
RAFT = os.environ.get("SIMDA_RAFT_WEIGHTS")


@pytest.mark.slow
@pytest.mark.skipif(not DINO, reason="set SIMDA_DINO_WEIGHTS to dino_vitbase16_pretrain.pth")
def test_still_video_keeps_its_subject_and_a_moving_square_less_so() -> None:
    dimension = SubjectConsistency.from_pretrained(DINO)
    videos = fixture_videos()
    still, moving = dimension.update(videos["still"]), dimension.update(videos["moving"])
    assert still.total / still.count == pytest.approx(1.0, abs=1e-5)
    assert moving.total / moving.count < still.total / still.count


@pytest.mark.slow
@pytest.mark.skipif(not RAFT, reason="set SIMDA_RAFT_WEIGHTS to raft-things.pth")
def test_still_video_has_dynamic_degree_zero() -> None:
    dimension = DynamicDegree.from_pretrained(RAFT)
    dimension.update(fixture_videos()["still"])
    assert dimension.compute() == 0.0
