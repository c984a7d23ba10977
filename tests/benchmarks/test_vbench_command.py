"""``python -m benchmarks.vbench``: the tiny suite end to end, resumed, and re-scored from its own videos."""

from __future__ import annotations

import json

import pytest

from benchmarks import vbench
from benchmarks.vbench_suite import QUALITY_DIMENSIONS
from metrics.i3d import file_sha256
from simda.settings import TINY, TINY_SUITE_PROMPTS
from tests.benchmarks.conftest import FAST_ARGS, only_run, tracking_uri


@pytest.mark.slow  # about 40 s on a 2-core CPU: seven tiny networks and two runs
def test_tiny_suite_scores_every_dimension_resumes_and_reads_its_videos_back(no_network, tmp_path, capsys):
    uri = tracking_uri(tmp_path)
    out = tmp_path / "runs" / "made"
    assert vbench.main([*FAST_ARGS, "--out", str(out), "--tracking-uri", uri]) == 0
    table = capsys.readouterr().out
    result = json.loads((out / "result.json").read_text())
    assert set(result["metrics"]) == {f"vbench_{name}" for name in QUALITY_DIMENSIONS}
    assert all(f"{name} " in table for name in QUALITY_DIMENSIONS) and "RANDOM WEIGHTS" in table
    videos = sorted((out / "videos").glob("*.mp4"))
    assert len(videos) == TINY_SUITE_PROMPTS * TINY.vbench_suite.videos_per_prompt
    assert all(count >= TINY.vbench_suite.videos_per_prompt for count in result["videos"].values())
    suite_file = tmp_path / "cache" / "synthetic-data" / "vbench" / "VBench_full_info.json"
    run = only_run(uri, "vbench")
    assert run.data.params["suite_sha256"] == file_sha256(suite_file) == result["suite_sha256"]
    assert run.data.metrics == pytest.approx(result["metrics"])

    made = {path.name: path.stat().st_mtime_ns for path in videos}
    assert vbench.main([*FAST_ARGS, "--out", str(out), "--tracking-uri", uri]) == 0
    assert {path.name: path.stat().st_mtime_ns for path in (out / "videos").glob("*.mp4")} == made
    assert json.loads((out / "result.json").read_text())["metrics"] == result["metrics"]
    only_run(uri, "vbench")  # the rerun continued the same MLflow run

    # The same files as videos made elsewhere, VBench-named: read as they are, scored the same.
    read = tmp_path / "runs" / "read"
    argv = ["--generator", "videos", "--generated-videos", str(out / "videos"), "--full-info", str(suite_file)]
    assert vbench.main([*FAST_ARGS, *argv, "--out", str(read), "--tracking-uri", uri]) == 0
    assert not (read / "videos").exists() or not any((read / "videos").iterdir())
    assert json.loads((read / "result.json").read_text())["metrics"] == pytest.approx(result["metrics"], abs=1e-6)
