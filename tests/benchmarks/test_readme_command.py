"""The README's main-job command, exactly as a user types it, offline, with its defaults."""

from __future__ import annotations

import pytest

from benchmarks import msrvtt
from tests.benchmarks.conftest import artifact_paths, only_run
from tests.command_helpers import run_argv


@pytest.mark.slow
def test_tiny_preset_defaults_run_offline(no_network, isolated_cwd, caplog):
    metrics = run_argv(msrvtt, ["--preset", "tiny"]).metrics
    assert metrics["num_videos"] == 8 and metrics["num_real"] == 8 and metrics["num_real_skipped"] == 0
    (run_dir,) = (isolated_cwd / "runs").glob("msrvtt-*")
    assert len(list((run_dir / "videos").glob("*.mp4"))) == 8
    uri = f"sqlite:///{isolated_cwd / 'mlflow.db'}"
    run = only_run(uri, "simda-msrvtt")
    assert run.data.params["num_frames"] == "16" and run.data.params["num_inference_steps"] == "10"
    assert {"fvd", "clipsim", "frame_consistency"} <= run.data.metrics.keys()
    assert {"per_video.json", "paper_comparison.json"} <= artifact_paths(uri, run.info.run_id)
    assert "prove the machinery, not the model" in caplog.text
