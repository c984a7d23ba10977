import pytest

from benchmarks.evaluation import real_frame_selection
from metrics.frame_selection import SPREAD, FrameSelection
from metrics.fvd_protocols import get_protocol
from simda.plumbing.errors import InvalidSetting
from simda.settings import EvaluationSettings


def test_real_clips_default_to_windows_at_the_generated_frame_rate():
    selection = real_frame_selection(EvaluationSettings(seed=5), get_protocol("cd-fvd"), 8)
    assert selection == FrameSelection(stride=None, start="first", target_fps=8, seed=5)
    assert selection.stride_for(30) == 4  # a 30 fps MSR-VTT clip: every fourth frame
    stylegan_v = real_frame_selection(EvaluationSettings(), get_protocol("stylegan-v"), 8)
    assert stylegan_v.start == "random"  # where the protocol's tool starts


def test_protocol_and_spread_selections_and_overrides():
    evaluation = EvaluationSettings(fvd_frames="protocol", fvd_frame_stride=3, fvd_frame_start="centre")
    assert real_frame_selection(evaluation, get_protocol("cd-fvd"), 8) == FrameSelection(stride=3, start="centre")
    assert real_frame_selection(EvaluationSettings(fvd_frames="spread"), get_protocol("cd-fvd"), 8) == SPREAD
    with pytest.raises(InvalidSetting, match="--fvd-frames spread takes none"):
        real_frame_selection(EvaluationSettings(fvd_frames="spread", fvd_frame_start="first"), get_protocol("tf"), 8)
