"""The real-feature cache follows the files: a replaced real video is read again, an unchanged one never."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.datasets import read_msrvtt, write_msrvtt_set
from benchmarks.evaluation import NoUsableRealVideosError, RealFeatureCache
from benchmarks.networks import MetricNetworks
from metrics.frame_selection import SPREAD
from metrics.frechet import GaussianStats, frechet_distance
from simda.plumbing.distributed import ProcessLayout
from simda.synthetic import moving_square
from simda.video_io import write_mp4

FRAMES, SIZE = 9, (32, 32)
KEY = {"benchmark": "msrvtt", "test": "real-cache"}


def _real_stats(cache: RealFeatureCache, clips, nets: MetricNetworks) -> tuple[int, GaussianStats]:
    read = cache.compute(clips, ProcessLayout(), nets, FRAMES, SIZE, "cpu", SPREAD)
    return read, cache.statistics(clips)[0]


def test_a_replaced_real_video_gives_the_fresh_cache_fvd(tmp_path: Path, random_nets: MetricNetworks) -> None:
    annotations, videos = write_msrvtt_set(tmp_path / "msrvtt", num_test=3, num_train=0, num_frames=FRAMES)
    clips = read_msrvtt(annotations, videos)
    generated = GaussianStats.from_features(np.random.default_rng(0).normal(size=(6, 400)))
    cache = RealFeatureCache(tmp_path / "cache", KEY)
    read, before = _real_stats(cache, clips, random_nets)
    assert read == 3

    replaced = clips[1].real_path
    original = tmp_path / "original.mp4"
    shutil.copy2(replaced, original)
    write_mp4(replaced, moving_square(99, FRAMES, 64, 64)[0])  # same name, other content
    read, after = _real_stats(cache, clips, random_nets)
    _, fresh = _real_stats(RealFeatureCache(tmp_path / "fresh-cache", KEY), clips, random_nets)
    assert read == 1
    assert frechet_distance(after, generated) == frechet_distance(fresh, generated)
    assert frechet_distance(after, generated) != frechet_distance(before, generated)

    shutil.copy(original, replaced)  # the old file back: read again, and the first value returns
    read, restored = _real_stats(cache, clips, random_nets)
    assert read == 1 and frechet_distance(restored, generated) == frechet_distance(before, generated)
    stamp = replaced.stat().st_mtime_ns  # a new time stamp on the same bytes: hashed, matched, not decoded
    os.utime(replaced, ns=(stamp + 10**9, stamp + 10**9))
    assert _real_stats(cache, clips, random_nets)[0] == 0


def test_missing_and_reappearing_real_videos(tmp_path: Path, random_nets: MetricNetworks) -> None:
    annotations, videos = write_msrvtt_set(tmp_path / "msrvtt", num_test=3, num_train=0, num_frames=FRAMES)
    clips = read_msrvtt(annotations, videos)
    moved = tmp_path / "moved"
    shutil.move(videos, moved)
    cache = RealFeatureCache(tmp_path / "cache", KEY)
    assert cache.compute(clips, ProcessLayout(), random_nets, FRAMES, SIZE, "cpu", SPREAD) == 3
    with pytest.raises(NoUsableRealVideosError, match="none of the 3 real videos.*file not found.*--videos"):
        cache.statistics(clips)
    assert cache.compute(clips, ProcessLayout(), random_nets, FRAMES, SIZE, "cpu", SPREAD) == 0  # still missing: known
    shutil.move(moved, videos)
    read, stats = _real_stats(cache, clips, random_nets)
    assert read == 3 and stats.count == 3
