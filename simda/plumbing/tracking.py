"""MLflow for every command: one place that decides where runs go and how tables are logged.

The default backend is a SQLite file in the working directory (``./mlflow.db``, artifacts in
``./mlruns``), which needs no server; ``MLFLOW_TRACKING_URI`` (or ``--tracking-uri``) points it
at a tracking server instead. In a sharded run only rank 0 talks to MLflow: the others get
``None`` from :func:`tracked_run` and log nothing, so a run on 8 GPUs is one MLflow run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import torch

DEFAULT_URI = "sqlite:///mlflow.db"
TABLE_ROWS_INLINE = 1000  # above this, tables go out as Parquet: log_table keeps its index in a capped tag


def configure_tracking(uri: str | None = None) -> str:
    """Select the tracking backend: ``uri``, else ``$MLFLOW_TRACKING_URI``, else ``./mlflow.db``."""
    chosen = uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path('mlflow.db').resolve()}"
    mlflow.set_tracking_uri(chosen)
    return chosen


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested settings as ``a.b`` keys with string values, cut to MLflow's value limit."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, f"{name}."))
        else:
            flat[name] = str(value)[:6000]
    return flat


@contextlib.contextmanager
def tracked_run(
    experiment: str,
    run_name: str,
    params: Mapping[str, Any],
    tags: Mapping[str, str] | None = None,
    enabled: bool = True,
    nested: bool = False,
    tracking_uri: str | None = None,
    system_metrics: bool | None = None,
) -> Iterator[mlflow.ActiveRun | None]:
    """An MLflow run with ``params`` logged up front; ``None`` (and no MLflow calls) when disabled.

    Parameters are logged before any work, so an interrupted run still says what it was. Inside
    an active run (a sweep calling a command) the new run nests under it. System metrics (GPU
    utilisation and memory, CPU, disk) are sampled by default when a GPU is present; timing
    benchmarks switch them off so the sampling thread does not disturb what they measure.
    """
    if not enabled:
        yield None
        return
    nested = nested or mlflow.active_run() is not None
    if not nested:
        configure_tracking(tracking_uri)
        mlflow.set_experiment(experiment)
    if system_metrics is None:
        system_metrics = torch.cuda.is_available()
    with mlflow.start_run(
        run_name=run_name, nested=nested, tags=dict(tags or {}), log_system_metrics=system_metrics
    ) as run:
        flat = flatten_params(params)
        items = list(flat.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            mlflow.log_params(dict(items[start : start + 100]))
        yield run


def log_table(table: pd.DataFrame, name: str) -> None:
    """Log ``table`` as an MLflow table when small, and as a Parquet artifact always.

    ``mlflow.log_table`` shows tables in the UI but keeps an index in a size-capped tag, so
    per-video tables that can grow to thousands of rows go out as Parquet only.
    """
    if len(table) <= TABLE_ROWS_INLINE:
        mlflow.log_table(table, artifact_file=f"{name}.json")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, f"{name}.parquet")
        table.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path="tables")
