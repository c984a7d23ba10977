"""VBench's prompt suite as a benchmark: its reader on a tiny file and on the real file's format, and a tiny run.

The per-dimension prompt counts of the real file are vbench 0.1.5's (``vbench/VBench_full_info.json``:
what ``VBench.build_full_info_json`` in standard mode and ``utils.load_dimension_info`` list per
dimension, five videos each); that check runs where a copy is given:

    SIMDA_VBENCH_FULL_INFO=/path/to/VBench_full_info.json pytest tests/benchmarks/test_vbench_suite.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks.vbench_scoring import load_dimension, state_path
from benchmarks.vbench_suite import (
    VBENCH_FULL_INFO_SHA256,
    SuiteRun,
    dimension_scores,
    read_suite,
    sample_prompts,
    suite_videos,
    write_synthetic,
)
from metrics.vbench.dimension import DimensionState
from simda.plumbing.errors import BadInputFile

EXCERPT = Path(__file__).with_name("data") / "vbench_full_info_excerpt.json"  # six entries of vbench 0.1.5's file
REAL_FILE = os.environ.get("SIMDA_VBENCH_FULL_INFO")
# vbench 0.1.5's VBench_full_info.json: prompts per quality dimension (x5 videos in vbench's lists).
VBENCH_PROMPTS_PER_DIMENSION = {
    "subject_consistency": 72,
    "background_consistency": 86,
    "temporal_flickering": 75,
    "motion_smoothness": 72,
    "dynamic_degree": 72,
    "aesthetic_quality": 93,
    "imaging_quality": 93,
}


def test_real_format_excerpt_merges_a_repeated_prompt_and_keeps_auxiliary_info():
    suite = read_suite(EXCERPT, dimensions=("imaging_quality", "appearance_style", "motion_smoothness", "color"))
    by_prompt = {p.prompt: p for p in suite.prompts}
    bund = by_prompt["The bund Shanghai, oil painting"]  # listed twice in vbench's file: one prompt, five videos
    assert bund.dimensions == ("appearance_style", "overall_consistency", "aesthetic_quality", "imaging_quality")
    assert bund.auxiliary_info == {"appearance_style": {"appearance_style": "oil painting"}}
    assert by_prompt["a red bicycle"].auxiliary_info == {"color": {"color": "red"}}
    assert "In a still frame, a stop sign" not in by_prompt  # serves only temporal flickering, not asked for
    assert not suite.is_vbench_release and len(suite.sha256) == 64


def test_videos_are_vbench_file_names_five_per_prompt():
    suite = read_suite(EXCERPT, dimensions=("motion_smoothness",))
    videos = suite_videos(suite.prompts)
    assert [v.id for v in videos] == [f"a person swimming in ocean-{i}" for i in range(5)]
    assert {v.dimensions for v in videos} == {("subject_consistency", "dynamic_degree", "motion_smoothness")}


def test_each_dimension_is_scored_over_its_own_prompts_only():
    suite = read_suite(EXCERPT, dimensions=("imaging_quality", "motion_smoothness"))
    videos = suite_videos(suite.prompts, videos_per_prompt=2)
    states = {
        "The bund Shanghai, oil painting-0": {"imaging_quality": DimensionState(0.4, 1)},
        "The bund Shanghai, oil painting-1": {"imaging_quality": DimensionState(0.6, 1)},
        "a person swimming in ocean-0": {"motion_smoothness": DimensionState(0.9, 1)},
        "a person swimming in ocean-1": {"motion_smoothness": DimensionState(0.95, 1)},
    }
    table = dimension_scores(videos, states, ("imaging_quality", "motion_smoothness"))
    assert table == pytest.approx({"imaging_quality": 0.5, "motion_smoothness": 0.925})
    del states["a person swimming in ocean-1"]
    with pytest.raises(ValueError, match="swimming in ocean-1"):
        dimension_scores(videos, states, ("motion_smoothness",))


def test_synthetic_tiny_suite_is_in_the_real_format(tmp_path):
    path = write_synthetic(tmp_path, 4)
    entries = json.loads(path.read_text())
    assert all(set(e) <= {"prompt_en", "dimension", "auxiliary_info"} for e in entries)
    assert len(entries) == 5 and entries[-1]["prompt_en"] == entries[-2]["prompt_en"]
    suite = read_suite(path)
    assert len(suite.prompts) == 4
    assert sample_prompts(suite.prompts, 2, seed=0) == sample_prompts(suite.prompts, 3, seed=0)[:2]


def test_custom_prompt_list_serves_every_requested_dimension(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("a cat on a sofa\n\na dog running\n", encoding="utf-8")
    suite = read_suite(path, dimensions=("imaging_quality", "motion_smoothness"))
    assert [p.prompt for p in suite.prompts] == ["a cat on a sofa", "a dog running"]
    assert {p.dimensions for p in suite.prompts} == {("imaging_quality", "motion_smoothness")}


@pytest.mark.parametrize(
    "content, message",
    [("{not json", "not a VBench prompt file"), ('[{"prompt_en": "x"}]', "KeyError"), ("[]", "none at all")],
)
def test_bad_suite_files_are_refused_with_the_file_named(tmp_path, content, message):
    path = tmp_path / "VBench_full_info.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInputFile, match=message):
        read_suite(path)


@pytest.mark.skipif(not REAL_FILE, reason="set SIMDA_VBENCH_FULL_INFO to vbench's VBench_full_info.json")
def test_real_file_has_vbench_counts_per_dimension():
    suite = read_suite(Path(REAL_FILE))
    assert suite.sha256 == VBENCH_FULL_INFO_SHA256 and suite.is_vbench_release
    assert len(suite.prompts) == 326  # distinct prompts serving any quality dimension
    videos = suite_videos(suite.prompts)
    for name, prompts in VBENCH_PROMPTS_PER_DIMENSION.items():
        assert sum(name in v.dimensions for v in videos) == 5 * prompts, name


@pytest.mark.slow
def test_tiny_run_end_to_end_and_resume_recomputes_nothing(tmp_path):
    from benchmarks.generators import SimDAGenerator
    from simda.model.loading import load_model
    from simda.pipeline import SimDAPipeline
    from simda.plumbing.distributed import ProcessLayout
    from simda.settings import TINY, ModelSettings

    suite = read_suite(write_synthetic(tmp_path / "data", 4), dimensions=("motion_smoothness", "imaging_quality"))
    videos = suite_videos(suite.prompts, videos_per_prompt=2)
    loaded = load_model(ModelSettings(preset="tiny", device="cpu"), device="cpu")
    generator = SimDAGenerator(SimDAPipeline.from_base(loaded.base, loaded.model), loaded.base, None, "fp32", True)
    settings = TINY.generation.__class__(num_frames=3, height=128, width=128, num_inference_steps=2)
    dims = [load_dimension(name, {}, "cpu", tiny=True, fps=8) for name in ("motion_smoothness", "imaging_quality")]
    run = SuiteRun(tmp_path / "run", generator, settings, seed=0, batch_size=2)
    table = run.score(suite, videos, dims, ProcessLayout())
    assert set(table) == {d.name for d in dims} and all(isinstance(v, float) for v in table.values())
    rows = [json.loads(run.row_path(v).read_text()) for v in videos]
    assert [row["id"] for row in rows] == [v.id for v in videos] and len({row["seed"] for row in rows}) == len(videos)
    folders = run.state_folders(dims)
    states = {(v.id, d.name): state_path(folders[d.name], v.id, d.name) for v in videos for d in dims}
    for (video_id, name), path in states.items():  # only the requested dimensions the prompt serves
        assert path.is_file() == (name in next(v for v in videos if v.id == video_id).dimensions)
    stamps = {key: path.stat().st_mtime_ns for key, path in states.items() if path.is_file()}
    resumed = SuiteRun(tmp_path / "run", generator, settings, seed=0, batch_size=2)
    resumed.generator.pipeline = None  # a resumed run must neither generate nor score again
    assert resumed.score(suite, videos, dims, ProcessLayout()) == table
    assert stamps == {key: path.stat().st_mtime_ns for key, path in states.items() if path.is_file()}


@pytest.mark.slow
def test_two_shards_of_a_videos_folder_give_the_one_process_table(tmp_path, monkeypatch):
    """Videos named as VBench names them are read in place; rank 1 then rank 0 of two add up to one process.

    The two ranks run one after the other here, so the process-group calls are no-ops; the sharding,
    the per-video files and the summing are the real ones.
    """
    import numpy as np

    from benchmarks.video_folder import VideoFolderGenerator
    from simda.plumbing.distributed import ProcessLayout
    from simda.settings import TINY
    from simda.video_io import write_mp4

    suite = read_suite(write_synthetic(tmp_path / "data", 3), dimensions=("imaging_quality",))
    videos = suite_videos(suite.prompts, videos_per_prompt=2)
    rng = np.random.default_rng(0)
    for video in videos:
        write_mp4(tmp_path / "made-elsewhere" / f"{video.id}.mp4", rng.integers(0, 256, (2, 48, 64, 3), np.uint8))
    folder = VideoFolderGenerator(tmp_path / "made-elsewhere", [v.id for v in videos])
    dims = [load_dimension("imaging_quality", {}, "cpu", tiny=True, fps=8)]

    def run(root: Path, layout: ProcessLayout):
        suite_run = SuiteRun(root, folder, TINY.generation, seed=0)
        return suite_run.score(suite, videos, dims, layout)

    alone = run(tmp_path / "one", ProcessLayout())
    monkeypatch.setattr(ProcessLayout, "barrier", lambda self: None)
    monkeypatch.setattr(ProcessLayout, "broadcast", lambda self, value: value)
    assert run(tmp_path / "two", ProcessLayout(rank=1, world_size=2)) is None
    assert run(tmp_path / "two", ProcessLayout(rank=0, world_size=2)) == alone
    assert not (tmp_path / "two" / "videos").exists()  # scored from the folder's own files, not copies
