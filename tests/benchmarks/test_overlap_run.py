"""A run that scores and encodes beside generation writes exactly the files and numbers of a sequential run."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import msrvtt
from tests.benchmarks.conftest import FAST_ARGS, only_run, tracking_uri
from tests.command_helpers import run_argv


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file of the run folder and the real-feature cache under ``folder`` by relative path, with its bytes
    (the MLflow store is left out: its run ids and times differ; its metrics are compared on their own)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for part in ("run", "real-cache")
        for path in sorted((folder / part).rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow  # two end-to-end runs of four videos: over 5 s on two cores
def test_overlapped_run_writes_the_sequential_runs_files_and_numbers(tmp_path, monkeypatch):
    runs = {}
    for workers in ("0", "2"):  # two workers: batches are also scored side by side
        folder = tmp_path / f"workers-{workers}"
        folder.mkdir()
        monkeypatch.chdir(folder)  # relative paths, so the files that name them can be compared byte for byte
        argv = [*FAST_ARGS, "--num-videos", "4", "--out", "run", "--tracking-uri", tracking_uri(folder)]
        argv += ["--metrics", "fvd,clipsim,temporal_flickering,subject_consistency", "--overlap-workers", workers]
        run_argv(msrvtt, argv)
        runs[workers] = files_of(folder)
    sequential, overlapped = runs["0"], runs["2"]
    assert sorted(sequential) == sorted(overlapped)
    assert len([name for name in sequential if name.endswith(".mp4")]) == 4
    assert [name for name in sequential if sequential[name] != overlapped[name]] == []
    metrics = [only_run(tracking_uri(tmp_path / f"workers-{n}"), "simda-msrvtt").data.metrics for n in ("0", "2")]
    assert metrics[0] == metrics[1]
    assert "overlap_workers" not in only_run(tracking_uri(tmp_path / "workers-2"), "simda-msrvtt").data.params
