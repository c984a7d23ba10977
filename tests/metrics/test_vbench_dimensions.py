"""Each VBench dimension equals vbench 0.1.5's own code on the same frames and the same random weights.

The figures were produced by vbench 0.1.5 (PyPI wheel), run in a scratch environment on
:func:`tests.metrics.vbench.fixture.fixture_videos` with the state dicts of our ``random(0)`` networks loaded into
vbench's networks (DINO's ``vision_transformer.VisionTransformer``, OpenAI ``clip.model.build_model``,
vbench's vendored RAFT). They are random-weight numbers: they pin the computation, not a model.
"""

from __future__ import annotations

import pytest
import torch

from metrics.vbench import dimension_class, expand_metrics
from metrics.vbench.aesthetic_quality import AestheticQuality
from metrics.vbench.background_consistency import BackgroundConsistency
from metrics.vbench.dynamic_degree import DynamicDegree, moves, pad_to_eight
from metrics.vbench.subject_consistency import SubjectConsistency
from metrics.vbench.temporal_flickering import TemporalFlickering
from tests.metrics.vbench.fixture import fixture_videos

# vbench 0.1.5, vbench/subject_consistency.py, subject_consistency(): per-video "video_results" and the total.
SUBJECT = {"moving": 0.9981700703501701, "still": 1.0, "all": 0.9990850351750851}
# vbench 0.1.5, vbench/background_consistency.py, background_consistency().
BACKGROUND = {"moving": 0.9977599531412125, "still": 1.0000000298023224, "all": 0.9988799914717674}
# vbench 0.1.5, vbench/aesthetic_quality.py, laion_aesthetic().
AESTHETIC = {"moving": -0.0017434200271964073, "still": -0.0018115636194124818, "all": -0.0017774918233044446}
# vbench 0.1.5, vbench/dynamic_degree.py, DynamicDegree.get_score() of each pair of the moving video's first
# 3 frames (vbench's vendored RAFT, raft_large's random(0) weights under the public file's keys); infer() -> True.
DYNAMIC_PAIR_SCORES = [9.85833740234375, 10.218761444091797]
# vbench 0.1.5, vbench/temporal_flickering.py, temporal_flickering() (cal_score per video).
FLICKERING = {"moving": 0.8899338965322457, "still": 1.0, "all": 0.9449669482661229}

CASES = [
    (SubjectConsistency, SUBJECT),
    (BackgroundConsistency, BACKGROUND),
    (AestheticQuality, AESTHETIC),
    (TemporalFlickering, FLICKERING),
]


@pytest.mark.slow  # about 5-10 s on two shared cores (three CLIP/DINO encoders)
@pytest.mark.parametrize(("dimension_type", "expected"), CASES, ids=[case[0].name for case in CASES])
def test_dimension_equals_vbench(dimension_type, expected) -> None:
    dimension = dimension_type.random(0)
    for name, frames in fixture_videos().items():
        state = dimension.update(frames)
        assert state.total / state.count == pytest.approx(expected[name], abs=1e-5), name
    assert dimension.compute() == pytest.approx(expected["all"], abs=1e-5)


@pytest.mark.slow  # the DINO encoder: about 5 s on two shared cores
def test_still_video_is_consistent_and_does_not_flicker() -> None:
    still = fixture_videos()["still"]
    assert SubjectConsistency.random(0).update(still).total / 4 == pytest.approx(1.0, abs=1e-6)
    assert TemporalFlickering().update(still).total == 1.0


def test_compute_refuses_an_empty_dimension() -> None:
    with pytest.raises(ValueError, match="no videos"):
        TemporalFlickering().compute()


def test_group_expands_to_the_seven_dimensions_and_unknown_names_are_refused() -> None:
    assert expand_metrics(["fvd", "clipsim", "vbench-quality"]) == [
        "subject_consistency",
        "background_consistency",
        "temporal_flickering",
        "motion_smoothness",
        "dynamic_degree",
        "aesthetic_quality",
        "imaging_quality",
    ]
    assert expand_metrics(["dynamic_degree", "vbench-quality"])[0] == "dynamic_degree"
    with pytest.raises(ValueError, match="unknown metric 'fvdd'"):
        expand_metrics(["fvdd"])


def test_registry_builds_each_dimension_class() -> None:
    assert dimension_class("aesthetic_quality") is AestheticQuality
    with pytest.raises(ValueError, match="unknown VBench dimension"):
        dimension_class("colour")


@pytest.mark.slow  # RAFT's 20 updates at 128x136: tens of seconds on two shared cores
def test_dynamic_degree_pair_scores_equal_vbench() -> None:
    dimension = DynamicDegree.random(0)
    frames = fixture_videos()["moving"][:3]
    assert dimension.pair_scores(frames) == pytest.approx(DYNAMIC_PAIR_SCORES, abs=1e-5)
    assert dimension.update(frames).total == 1.0


def test_dynamic_degree_threshold_and_count_follow_vbench() -> None:
    # 256 px: threshold 6.0; 16 frames need round(4 * 16 / 16) = 4 pairs above it, checked in order.
    assert moves([7.0, 7.0, 7.0, 5.0], 256, 300, 16) is False
    assert moves([7.0, 7.0, 7.0, 6.5], 256, 300, 16) is True
    # 128 px halves the threshold to 3.0; 8 frames need 2 pairs.
    assert moves([3.5, 0.0, 3.1], 128, 128, 8) is True
    assert moves([2.9, 2.9, 3.0], 128, 128, 8) is False


def test_padding_is_raft_input_padder() -> None:
    pixels = torch.arange(2 * 3 * 5 * 6, dtype=torch.float32).reshape(2, 3, 5, 6)
    padded = pad_to_eight(pixels)
    assert padded.shape[-2:] == (8, 8)
    # 3 extra rows: 1 above, 2 below; 2 extra columns: 1 each side; edges replicated.
    assert torch.equal(padded[..., 1:6, 1:7], pixels)
    assert torch.equal(padded[..., 0, 1:7], pixels[..., 0, :])
    assert torch.equal(padded[..., 7, 1:7], pixels[..., 4, :])
