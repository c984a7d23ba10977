"""Helpers for the benchmark tests: small, fast tiny-preset runs and reading back their MLflow run."""

from __future__ import annotations

import socket
from pathlib import Path

import mlflow
import pytest
from mlflow.entities import Run

from benchmarks.networks import MetricNetworks, load_metric_networks

# Small enough for the default test run on a 2-core CPU: 9 frames is I3D's minimum.
FAST_ARGS = [
    "--preset",
    "tiny",
    "--frames",
    "9",
    "--height",
    "32",
    "--width",
    "32",
    "--steps",
    "2",
    "--batch-size",
    "2",
]


def free_port() -> int:
    """A loopback port nothing listens on now (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tracking_uri(folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}"


def only_run(uri: str, experiment: str) -> Run:
    """The single MLflow run of ``experiment`` at ``uri`` (a test fails if there are more)."""
    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert len(runs) == 1, f"expected one run in {experiment}, found {len(runs)}"
    return runs[0]


def artifact_paths(uri: str, run_id: str, path: str | None = None) -> set[str]:
    """Every artifact file of a run, recursively."""
    client = mlflow.MlflowClient(uri)
    found: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        found |= artifact_paths(uri, run_id, item.path) if item.is_dir else {item.path}
    return found


def mlflow_artifact(uri: str, run: Run, path: str) -> str:
    """A local copy of one artifact of ``run``."""
    return mlflow.MlflowClient(uri).download_artifacts(run.info.run_id, path)


@pytest.fixture()
def isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Commands write ./runs and ./mlflow.db by default: keep them in the test's folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def random_nets() -> MetricNetworks:
    """The tiny preset's metric networks (random weights: what they measure proves the machinery only)."""
    return load_metric_networks(None, None, "ViT-B-32", "cpu")
