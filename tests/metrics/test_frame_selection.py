import numpy as np
import pytest

from metrics.frame_selection import SPREAD, ClipTooShortError, FrameSelection


def test_consecutive_windows_at_a_stride():
    np.testing.assert_array_equal(FrameSelection().indices(30, 4), [0, 1, 2, 3])
    np.testing.assert_array_equal(FrameSelection(stride=3).indices(30, 4), [0, 3, 6, 9])
    np.testing.assert_array_equal(FrameSelection(stride=2, start="centre").indices(11, 3), [3, 5, 7])
    with pytest.raises(ClipTooShortError, match="10 that 4 frames at stride 3 span"):
        FrameSelection(stride=3).indices(9, 4)


def test_frame_rate_matched_stride():
    matched = FrameSelection(stride=None, target_fps=8)
    assert [matched.stride_for(fps) for fps in (30, 29.97, 24, 8, 5)] == [4, 4, 3, 1, 1]
    np.testing.assert_array_equal(matched.indices(100, 3, source_fps=30), [0, 4, 8])
    with pytest.raises(ValueError, match="target_fps"):
        FrameSelection(stride=None)


def test_random_start_is_seeded_per_clip_and_stable():
    selection = FrameSelection(start="random", seed=3)
    starts = {int(selection.indices(1000, 4, key=f"clip{i}")[0]) for i in range(20)}
    assert len(starts) > 10  # clips get different windows
    first = selection.indices(1000, 4, key="clip0")
    np.testing.assert_array_equal(first, selection.indices(1000, 4, key="clip0"))
    np.testing.assert_array_equal(np.diff(first), [1, 1, 1])
    assert not np.array_equal(first, FrameSelection(start="random", seed=4).indices(1000, 4, key="clip0"))


def test_descriptions_differ_whenever_the_frames_can():
    selections = [
        SPREAD,
        FrameSelection(),
        FrameSelection(stride=2),
        FrameSelection(start="centre"),
        FrameSelection(start="random"),
        FrameSelection(start="random", seed=1),
        FrameSelection(stride=None, target_fps=8),
        FrameSelection(stride=None, target_fps=10),
    ]
    assert len({s.describe() for s in selections}) == len(selections)
    assert FrameSelection().with_overrides(stride=4, start="centre") == FrameSelection(stride=4, start="centre")
    assert FrameSelection(stride=2).with_overrides() == FrameSelection(stride=2)
