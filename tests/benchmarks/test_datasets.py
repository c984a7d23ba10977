"""Readers of the real MSR-VTT / WebVid formats, the fixed-seed choices, and how real clips are fitted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.datasets import read_msrvtt, read_webvid, sample_clips, video_seed, write_msrvtt_set, write_webvid_set
from benchmarks.evaluation import fit_real_clip
from metrics.video_io import read_video
from simda.data import DuplicateIdError, read_caption_folder
from simda.plumbing.errors import BadInputFile
from simda.synthetic import moving_square
from simda.video_io import write_mp4


@pytest.fixture(scope="module")
def msrvtt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_msrvtt_set(tmp_path_factory.mktemp("msrvtt"), num_test=6, num_train=2, num_frames=12)


@pytest.fixture(scope="module")
def webvid(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_webvid_set(tmp_path_factory.mktemp("webvid"), 5, num_frames=12)


def test_msrvtt_reads_the_test_split_only(msrvtt):
    annotations, videos = msrvtt
    clips = read_msrvtt(annotations, videos)
    assert [clip.id for clip in clips] == [f"video{n}" for n in range(7010, 7016)]
    assert all(clip.real_path == videos / f"{clip.id}.mp4" and clip.real_path.is_file() for clip in clips)
    train = read_msrvtt(annotations, videos, split="train")
    assert [clip.id for clip in train] == ["video0", "video1"]


def test_msrvtt_caption_choice_is_seeded(msrvtt):
    annotations, videos = msrvtt
    sentences = json.loads(annotations.read_text())["sentences"]
    options = {clip_id: {s["caption"] for s in sentences if s["video_id"] == clip_id} for clip_id in ("video7010",)}
    first = read_msrvtt(annotations, videos, caption_seed=0)
    assert first == read_msrvtt(annotations, videos, caption_seed=0)
    assert first[0].caption in options["video7010"]
    other = read_msrvtt(annotations, videos, caption_seed=1)
    assert [c.caption for c in first] != [c.caption for c in other]
    assert [c.id for c in first] == [c.id for c in other]


def test_msrvtt_rejects_a_file_of_another_format(tmp_path):
    wrong = tmp_path / "test_videodatainfo.json"
    wrong.write_text(json.dumps({"annotations": []}))
    with pytest.raises(BadInputFile, match="--annotations"):
        read_msrvtt(wrong, tmp_path)


def test_webvid_paths_follow_page_dir_layout(webvid):
    csv, videos = webvid
    clips = read_webvid(csv, videos)
    assert len(clips) == 5
    for clip in clips:
        assert clip.real_path.parent.parent == videos
        assert clip.real_path.name == f"{clip.id}.mp4" and clip.real_path.is_file()
    assert clips[0].caption.startswith("a ") and "square" in clips[0].caption


def test_webvid_rejects_a_csv_without_its_columns(tmp_path):
    bad = tmp_path / "results_2M_val.csv"
    bad.write_text("videoid,caption\n1,hello\n")
    with pytest.raises(BadInputFile, match="page_dir.*--csv"):
        read_webvid(bad, tmp_path)


def test_sample_is_fixed_nested_and_seed_dependent(webvid):
    clips = read_webvid(*webvid)
    three = sample_clips(clips, 3, seed=0)
    assert three == sample_clips(list(reversed(clips)), 3, seed=0)
    assert [c.id for c in three] == sorted(c.id for c in three)
    assert set(three) <= set(sample_clips(clips, 4, seed=0))
    assert {c.id for c in sample_clips(clips, 3, seed=1)} != {c.id for c in three}
    assert sample_clips(clips, None, seed=0) == sorted(clips, key=lambda c: c.id)


def test_video_seed_depends_on_id_and_global_seed_only():
    assert video_seed(0, "video7010") == video_seed(0, "video7010")
    assert len({video_seed(0, f"video{n}") for n in range(100)}) == 100
    assert video_seed(0, "video7010") != video_seed(1, "video7010")


def test_synthetic_videos_decode_and_move(msrvtt):
    _, videos = msrvtt
    clip = read_video(videos / "video7010.mp4", 12)
    assert clip.shape == (12, 64, 64, 3)
    assert np.abs(clip[0].astype(int) - clip[-1].astype(int)).mean() > 5


def test_real_clips_are_centre_cropped_then_resized():
    frames = np.zeros((2, 30, 40, 3), np.uint8)
    frames[:, :, 5:35] = 200  # the central 30x30 square; the side bands are black
    fitted = fit_real_clip(frames, 15, 15)
    assert fitted.shape == (2, 15, 15, 3) and fitted.dtype == np.uint8
    assert (fitted == 200).all()
    assert fit_real_clip(frames, 30, 40) is not frames and (fit_real_clip(frames, 30, 40) == frames).all()
    assert fit_real_clip(frames, 20, 40).shape == (2, 20, 40, 3)


def test_a_repeated_video_id_is_refused_with_the_ids_listed(tmp_path):
    csv, videos = write_webvid_set(tmp_path / "webvid", 3, num_frames=4)
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([*lines, lines[2], lines[1]]) + "\n")  # two ids, each one more time
    repeated = sorted(line.split(",")[0] for line in lines[1:3])
    with pytest.raises(DuplicateIdError, match=rf"results_2M_val.csv lists 2 videoid.*{repeated[0]}, {repeated[1]}"):
        read_webvid(csv, videos)

    annotations, videos = write_msrvtt_set(tmp_path / "msrvtt", num_test=2, num_train=0, num_frames=4)
    data = json.loads(annotations.read_text())
    data["videos"].append(data["videos"][0])
    annotations.write_text(json.dumps(data))
    with pytest.raises(DuplicateIdError, match=r"test_videodatainfo.json lists 1 video_id.*video7010"):
        read_msrvtt(annotations, videos)


def test_training_readers_refuse_repeats_and_skip_hidden_files(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("a", "b"):
        write_mp4(folder / f"{name}.mp4", moving_square(0, 4, 16, 16)[0])
        (folder / f"{name}.txt").write_text(f"clip {name}")
    write_mp4(folder / ".a.x1y2z3w4.mp4", moving_square(1, 4, 16, 16)[0])  # an interrupted atomic write
    assert [video.video_id for video in read_caption_folder(folder)] == ["a", "b"]
    (folder / "captions.jsonl").write_text(
        "".join(json.dumps({"path": name, "caption": "x"}) + "\n" for name in ("a.mp4", "b.mp4", "a.mp4"))
    )
    with pytest.raises(DuplicateIdError, match=r"captions.jsonl lists 1 .*: a;"):
        read_caption_folder(folder)


def test_a_traversal_id_is_refused_by_every_reader_naming_the_file_and_row(tmp_path):
    """Clip ids name the files a benchmark writes: ``../x`` would write outside its output folder."""
    from benchmarks.editing import read_cases
    from benchmarks.video_folder import video_paths

    csv, videos = write_webvid_set(tmp_path / "webvid", 2, num_frames=4)
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([lines[0], lines[1], "../../../../x," + lines[2].split(",", 1)[1]]) + "\n")
    with pytest.raises(BadInputFile, match=r"results_2M_val.csv row 3: videoid '../../../../x' is not a plain"):
        read_webvid(csv, videos)

    annotations, videos = write_msrvtt_set(tmp_path / "msrvtt", num_test=2, num_train=0, num_frames=4)
    data = json.loads(annotations.read_text())
    data["videos"][1]["video_id"] = "../escape"
    annotations.write_text(json.dumps(data))
    with pytest.raises(BadInputFile, match=r"test_videodatainfo.json row 2 of \"videos\": video_id '../escape'"):
        read_msrvtt(annotations, videos)

    listing = tmp_path / "generated.csv"
    listing.write_text("id,path\nvideo1,a.mp4\n/abs/path,b.mp4\n")
    with pytest.raises(BadInputFile, match=r"generated.csv row 3: id '/abs/path' is not a plain"):
        video_paths(listing)

    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "captions.jsonl").write_text(json.dumps({"path": "sub/.hidden.mp4", "caption": "x"}) + "\n")
    with pytest.raises(BadInputFile, match=r"captions.jsonl row 1: path '.hidden'"):
        read_caption_folder(folder)

    write_mp4(tmp_path / ".dot.mp4", moving_square(0, 4, 16, 16)[0])
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"video": ".dot.mp4", "prompt": "p", "edits": ["e"]}) + "\n")
    with pytest.raises(BadInputFile, match=r"cases.jsonl row 1: video '.dot'"):
        read_cases(cases)
