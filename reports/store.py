"""Runs read back through the MLflow tracking API: search, params, metrics, tags, tables and artifacts.

Only ``MlflowClient`` is used, never the run folders, so a report builds the same from a local
SQLite store, a file store or a remote tracking server.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from simda.plumbing.errors import MissingInput, UsageError
from simda.plumbing.tracking import require_tracking_server, sqlite_file


@dataclass(frozen=True)
class LoggedRun:
    """One MLflow run as the report needs it: identity, what was logged, where it sits in a sweep."""

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: int
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]

    @property
    def parent_id(self) -> str | None:
        return self.tags.get("mlflow.parentRunId")

    @property
    def random_weights(self) -> bool:
        """Every command tags its run ``random_weights``; an untagged run counts as random, never as real."""
        flag = self.tags.get("random_weights", self.params.get("random_weights", "true"))
        return flag.lower() != "false"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.run_id[:8]})"


class RunStore:
    """A tracking store, checked to answer before any run is read."""

    def __init__(self, tracking_uri: str) -> None:
        database = sqlite_file(tracking_uri)
        if database is not None and not database.is_file():  # MLflow would silently create a missing one
            raise MissingInput(f"tracking store {tracking_uri}: no such database file; pass --tracking-uri")
        require_tracking_server(tracking_uri)  # a dead server fails in seconds, not after minutes of retries
        self.uri = tracking_uri
        self.client = MlflowClient(tracking_uri)
        try:
            self._experiments = {exp.name: exp.experiment_id for exp in self.client.search_experiments()}
        except Exception as error:  # any failure here means the store cannot be read: say so in one line
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise UsageError(f"tracking store {tracking_uri} does not answer: {first_line}") from error
        self._listings: dict[tuple[str, str], set[str]] = {}

    def runs(self, experiments: Sequence[str] = (), run_ids: Sequence[str] = ()) -> list[LoggedRun]:
        """The named experiments' finished runs plus the named runs; with neither, every finished run.

        Unknown names and ids are refused before anything is downloaded.
        """
        unknown = [name for name in experiments if name not in self._experiments]
        if unknown:
            known = ", ".join(sorted(self._experiments)) or "none"
            raise MissingInput(f"--experiment {unknown[0]}: not in {self.uri} (experiments there: {known})")
        chosen = {}
        for run_id in run_ids:
            try:
                chosen[run_id] = self.client.get_run(run_id)
            except MlflowException as error:
                raise MissingInput(f"--runs {run_id}: no such run in {self.uri}") from error
        searched = list(experiments) if experiments or run_ids else list(self._experiments)
        if searched:
            ids = [self._experiments[name] for name in searched]
            for run in self.client.search_runs(ids, "attributes.status = 'FINISHED'", max_results=50_000):
                chosen.setdefault(run.info.run_id, run)
        names = {experiment_id: name for name, experiment_id in self._experiments.items()}
        logged = [
            LoggedRun(
                run_id=run.info.run_id,
                experiment=names.get(run.info.experiment_id, run.info.experiment_id),
                name=run.info.run_name or run.info.run_id,
                status=run.info.status,
                start_time=run.info.start_time or 0,
                params=dict(run.data.params),
                metrics=dict(run.data.metrics),
                tags=dict(run.data.tags),
            )
            for run in chosen.values()
        ]
        return sorted(logged, key=lambda run: (run.start_time, run.run_id))

    def artifact_files(self, run: LoggedRun, folder: str = "") -> set[str]:
        """Paths of the files directly inside ``folder`` of the run's artifacts (cached per folder)."""
        key = (run.run_id, folder)
        if key not in self._listings:
            entries = self.client.list_artifacts(run.run_id, folder or None)
            self._listings[key] = {entry.path for entry in entries if not entry.is_dir}
        return self._listings[key]

    def artifact_bytes(self, run: LoggedRun, path: str) -> bytes | None:
        """One artifact's bytes, downloaded through MLflow; ``None`` when the run has no such file."""
        if path not in self.artifact_files(run, str(Path(path).parent) if "/" in path else ""):
            return None
        with tempfile.TemporaryDirectory() as folder:
            local = self.client.download_artifacts(run.run_id, path, dst_path=folder)
            return Path(local).read_bytes()

    def table(self, run: LoggedRun, name: str) -> pd.DataFrame | None:
        """A table the commands log with ``log_table`` (always as ``tables/<name>.parquet``), or ``None``."""
        data = self.artifact_bytes(run, f"tables/{name}.parquet")
        return None if data is None else pd.read_parquet(io.BytesIO(data))

    def history(self, run: LoggedRun, metric: str) -> list[tuple[int, float]]:
        """Every logged value of ``metric`` as ``(step, value)``, in step order."""
        return sorted((item.step, item.value) for item in self.client.get_metric_history(run.run_id, metric))
