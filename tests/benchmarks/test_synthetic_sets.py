"""The tiny presets' synthetic sets are content-addressed: an identical rerun reads the same files."""

from __future__ import annotations

import pytest

from benchmarks.registry import BENCHMARKS, synthetic_set
from metrics.i3d import file_sha256
from simda.plumbing.errors import UsageError


def _files(folder):
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_an_identical_rerun_reuses_the_written_set_at_the_same_paths(tmp_path, name):
    spec = BENCHMARKS[name]
    annotations, videos = synthetic_set(spec, 2, tmp_path)
    assert spec.read(annotations, videos, caption_seed=0), "the set reads back with its own reader"
    written = _files(tmp_path)
    assert synthetic_set(spec, 2, tmp_path) == (annotations, videos)
    assert _files(tmp_path) == written, "nothing is written again"
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")], "no temporary folder is left"
    other_annotations, _ = synthetic_set(spec, 3, tmp_path)
    assert other_annotations.parent != annotations.parent and file_sha256(other_annotations) != file_sha256(annotations)


def test_an_unwritable_root_is_refused_naming_the_flag(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="SIMDA_CACHE_DIR"):
        synthetic_set(BENCHMARKS["msrvtt"], 2, tmp_path / "file" / "synthetic-data")


def test_the_learning_split_is_written_once_beside_the_sweep(tmp_path):
    from benchmarks import ablation
    from tests.command_helpers import job_of

    argv = ["--preset", "learn", "--train-clips", "2", "--heldout-clips", "1", "--frames", "2"]
    job = job_of(ablation, [*argv, "--output-dir", str(tmp_path / "runs" / "sweep")])
    data = ablation.learning_data(job, job.learning)
    assert data.train_csv.parent.parent == tmp_path / "cache" / "synthetic-data" and data.heldout_csv.is_file()
    written = _files(tmp_path)
    assert ablation.learning_data(job, job.learning) == data
    assert _files(tmp_path) == written, "nothing is written again"
