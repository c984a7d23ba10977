import json

import numpy as np
import pytest

from metrics.frame_selection import SPREAD, ClipTooShortError, FrameSelection
from metrics.video_io import VideoDecodeError, list_videos, read_video
from simda.video_io import write_mp4


def test_spread_frame_sampling_rule():
    np.testing.assert_array_equal(SPREAD.indices(9, 9), np.arange(9))
    np.testing.assert_array_equal(SPREAD.indices(20, 4), [2, 7, 12, 17])
    np.testing.assert_array_equal(SPREAD.indices(10, 3), [1, 5, 8])
    with pytest.raises(ClipTooShortError, match="fewer than the 16 requested"):
        SPREAD.indices(15, 16)


def test_read_video_returns_the_sampled_frames(tmp_path):
    # Each frame is a flat grey level 20 * i, which survives H.264 at high quality almost exactly.
    frames = np.repeat(np.arange(12, dtype=np.uint8)[:, None, None, None] * 20, 3, axis=3)
    frames = np.ascontiguousarray(np.broadcast_to(frames, (12, 24, 32, 3)))
    path = tmp_path / "ramp.mp4"
    write_mp4(path, frames)
    video = read_video(path, 4)
    assert video.shape == (4, 24, 32, 3) and video.dtype == np.uint8
    np.testing.assert_allclose(video[:, 12, 16, 0], frames[[1, 4, 7, 10], 12, 16, 0], atol=3)
    with pytest.raises(VideoDecodeError, match="fewer than"):
        read_video(path, 13)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0" * 100)
    with pytest.raises(VideoDecodeError, match="cannot be decoded"):
        read_video(broken, 4)


def test_list_videos_folder_and_index_files(tmp_path):
    for name in ("b.mp4", "a.mp4", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [e.path.name for e in list_videos(tmp_path)] == ["a.mp4", "b.mp4"]

    (tmp_path / "index.csv").write_text("path,caption\na.mp4,a cat\n/abs/b.mp4,\n")
    entries = list_videos(tmp_path / "index.csv")
    assert entries[0].path == tmp_path / "a.mp4" and entries[0].caption == "a cat"
    assert str(entries[1].path) == "/abs/b.mp4" and entries[1].caption is None

    rows = [{"path": "clips/a.mp4", "caption": "x"}, {"path": "b.mp4"}]
    (tmp_path / "index.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    entries = list_videos(tmp_path / "index.jsonl")
    assert entries[0].path == tmp_path / "clips" / "a.mp4" and entries[1].caption is None

    (tmp_path / "bad.csv").write_text("file\na.mp4\n")
    with pytest.raises(ValueError, match="no 'path' column"):
        list_videos(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="neither a folder"):
        list_videos(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError):
        list_videos(tmp_path / "absent")


def test_list_videos_skips_hidden_and_interrupted_files(tmp_path):
    for name in ("a.mp4", ".a.k3j9x_2q.mp4", ".hidden.mp4"):
        (tmp_path / name).write_bytes(b"")
    assert [e.path.name for e in list_videos(tmp_path)] == ["a.mp4"]


def test_read_video_matches_the_generated_frame_rate(tmp_path):
    # A 24 fps source read for 8 fps clips: every third frame, from the first.
    frames = np.repeat(np.arange(12, dtype=np.uint8)[:, None, None, None] * 20, 3, axis=3)
    path = tmp_path / "ramp24.mp4"
    write_mp4(path, np.ascontiguousarray(np.broadcast_to(frames, (12, 24, 32, 3))), fps=24)
    video = read_video(path, 4, FrameSelection(stride=None, target_fps=8))
    np.testing.assert_allclose(video[:, 12, 16, 0], frames[[0, 3, 6, 9], 0, 0, 0], atol=3)
    with pytest.raises(VideoDecodeError, match="at stride 3"):
        read_video(path, 5, FrameSelection(stride=None, target_fps=8))
