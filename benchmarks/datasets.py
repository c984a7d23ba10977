"""Readers for the published evaluation sets (MSR-VTT's annotation json, WebVid's csv), and beside
each reader the writer of a tiny synthetic set in the same format, for ``--preset tiny`` and tests.

Every choice a reader makes (which caption a video gets, which pairs are sampled) is a pure function
of a seed and the clip's id, never of list order or of the process that reads it, so the same clip
gets the same caption and the same generation seed in every run, shard and resume.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simda.data import DuplicateIdError, read_webvid_csv, refuse_duplicates
from simda.plumbing.atomic import atomic_path
from simda.plumbing.errors import BadInputFile
from simda.plumbing.names import plain_name, read_text
from simda.synthetic import moving_square, write_webvid_clips
from simda.video_io import write_mp4


@dataclass(frozen=True)
class Clip:
    """One evaluation item: the real clip's id and file, and the caption its generated video gets."""

    id: str
    caption: str
    real_path: Path


def stable_int(*parts: object) -> int:
    """A 32-bit integer from ``parts`` that is the same in every process (unlike ``hash``)."""
    digest = hashlib.sha256("/".join(str(part) for part in parts).encode()).hexdigest()
    return int(digest[:8], 16)


def video_seed(seed: int, clip_id: str) -> int:
    """The generation seed of a clip: from its id and the run's seed, so sharding cannot change it."""
    return stable_int("video", seed, clip_id)


def sample_clips(clips: Sequence[Clip], count: int | None, seed: int) -> list[Clip]:
    """A fixed-seed sample of ``count`` clips (all when ``None``), sorted by id.

    Clips are ranked by a hash of (seed, id), so a larger sample contains every smaller one: raising
    ``--num-videos`` on a finished run only adds videos.
    """
    ranked = sorted(clips, key=lambda clip: (stable_int("sample", seed, clip.id), clip.id))
    return sorted(ranked if count is None else ranked[:count], key=lambda clip: clip.id)


def read_msrvtt(annotations: Path, videos: Path, split: str = "test", caption_seed: int = 0) -> list[Clip]:
    """One clip per video of ``split`` in MSR-VTT's ``test_videodatainfo.json``, with one caption each.

    The paper "randomly selects one text prompt per example"; ours is drawn from a hash of
    (caption_seed, video id), so it is reproducible and changes when the seed does.
    """
    try:
        data = json.loads(read_text(annotations, "--annotations"))
        split_ids = sorted(video["video_id"] for video in data["videos"] if video["split"] == split)
        captions: dict[str, list[str]] = defaultdict(list)
        for sentence in data["sentences"]:
            captions[sentence["video_id"]].append(sentence["caption"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise BadInputFile(
            f"{annotations} is not an MSR-VTT annotation file ({type(exc).__name__}: {exc}); "
            "pass --annotations the official test_videodatainfo.json"
        ) from exc
    for number, video in enumerate(data["videos"], start=1):
        plain_name(video["video_id"], annotations, f'{number} of "videos"', "video_id")
    refuse_duplicates((video["video_id"] for video in data["videos"]), annotations, "video_id")
    if not split_ids:
        raise BadInputFile(
            f"{annotations} lists no videos of split {split!r}; pass --annotations test_videodatainfo.json"
        )
    clips = []
    for video_id in split_ids:
        options = sorted(captions[video_id])
        if not options:
            raise BadInputFile(f"{annotations}: video {video_id} has no caption; the annotation file is incomplete")
        choice = options[stable_int("caption", caption_seed, video_id) % len(options)]
        clips.append(Clip(video_id, choice, Path(videos) / f"{video_id}.mp4"))
    return clips


def write_msrvtt_set(
    root: str | Path, num_test: int = 8, num_train: int = 2, num_frames: int = 24, size: int = 64
) -> tuple[Path, Path]:
    """MSR-VTT's layout: ``root/test_videodatainfo.json`` and ``root/videos/video<N>.mp4``;
    returns (annotations, video folder).

    Test ids start at video7010 as in the real set, and a few train videos check that readers
    filter by split. Each video gets three captions, as MSR-VTT gives each twenty.
    """
    videos = Path(root) / "videos"
    records, sentences = [], []
    for offset in range(num_train + num_test):
        number = offset if offset < num_train else 7010 + offset - num_train
        video_id = f"video{number}"
        frames, caption = moving_square(number, num_frames, size, size)
        write_mp4(videos / f"{video_id}.mp4", frames)
        records.append({"video_id": video_id, "split": "train" if offset < num_train else "test", "id": number})
        for variant, prefix in enumerate(("", "a video of ", "footage of ")):
            sentences.append({"video_id": video_id, "caption": prefix + caption, "sen_id": 3 * number + variant})
    annotations = Path(root) / "test_videodatainfo.json"
    with atomic_path(annotations) as tmp:
        Path(tmp).write_text(json.dumps({"info": {"year": 2016}, "videos": records, "sentences": sentences}))
    return annotations, videos


def read_webvid(csv: Path, videos: Path, caption_seed: int = 0) -> list[Clip]:
    """Every pair of WebVid's ``results_2M_val.csv``; videos at ``<videos>/<page_dir>/<videoid>.mp4``.

    Each pair has one caption, so there is nothing for ``caption_seed`` to choose: it is taken so that
    every benchmark reader is called alike (:class:`benchmarks.registry.BenchmarkSpec`)."""
    try:
        return [Clip(row.video_id, row.caption, row.path) for row in read_webvid_csv(csv, videos)]
    except DuplicateIdError:
        raise
    except (FileNotFoundError, ValueError) as exc:
        raise BadInputFile(str(exc)) from exc


def write_webvid_set(
    root: str | Path, count: int, num_frames: int = 24, size: int = 64, first: int = 0
) -> tuple[Path, Path]:
    """``count`` clips in WebVid's layout: ``root/results_2M_val.csv`` and
    ``root/videos/<page_dir>/<videoid>.mp4``; returns (csv, video folder)."""
    numbers = range(first, first + count)
    clips = (moving_square(index, num_frames, size, size) for index in numbers)
    return write_webvid_clips(Path(root), numbers, clips, "results_2M_val.csv"), Path(root) / "videos"
