"""The benchmark logs to a real ``mlflow server`` on loopback, as it would to a team's tracking server."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import webvid
from tests.benchmarks.conftest import FAST_ARGS, artifact_paths, free_port, only_run
from tests.command_helpers import run_argv

STARTUP_TIMEOUT_S = 120


@pytest.fixture()
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """``mlflow server`` with a SQLite store and proxied artifacts in ``tmp_path``; stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination", str(tmp_path / "server-artifacts"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mlflow server did not answer on {uri} within {STARTUP_TIMEOUT_S} s") from None
                time.sleep(0.5)
        yield uri
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.mark.slow
def test_tiny_webvid_logs_to_a_tracking_server(mlflow_server, tmp_path):
    argv = [*FAST_ARGS, "--num-videos", "3", "--out", str(tmp_path / "run"), "--tracking-uri", mlflow_server]
    metrics = run_argv(webvid, argv).metrics
    run = only_run(mlflow_server, "simda-webvid")
    assert run.data.metrics["fvd"] == pytest.approx(metrics["fvd"])
    assert run.data.metrics["clipsim"] == pytest.approx(metrics["clipsim"])
    assert run.data.tags["random_weights"] == "true"
    artifacts = artifact_paths(mlflow_server, run.info.run_id)
    assert {"per_video.json", "paper_comparison.json", "tables/per_video.parquet", "samples/samples.gif"} <= artifacts
    assert list((tmp_path / "server-artifacts").rglob("per_video.parquet")), "artifacts went through the server"
