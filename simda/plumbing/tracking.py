"""MLflow for every command: one place that decides where runs go and how tables are logged.

The default backend is a SQLite file in the working directory (``./mlflow.db``, artifacts in
``./mlruns``), which needs no server; ``MLFLOW_TRACKING_URI`` (or ``--tracking-uri``) points it
at a tracking server instead. In a sharded run only rank 0 talks to MLflow: the others get
``None`` from :func:`tracked_run` and log nothing, so a run on 8 GPUs is one MLflow run.

Before any work the store is made ready (:func:`configure_tracking`): a tracking server must answer
within a few seconds (MLflow's own client retries for minutes, which looks like a hang), and a
SQLite store is created or upgraded under a file lock (``<db>.lock``), because two commands that
start together in a folder without ``mlflow.db`` otherwise race in MLflow's schema migration.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import torch

from simda.plumbing.atomic import file_lock
from simda.plumbing.errors import UsageError

log = logging.getLogger("simda.tracking")
TABLE_ROWS_INLINE = 1000  # above this, tables go out as Parquet: log_table keeps its index in a capped tag
REACHABLE_TIMEOUT_S = 5.0
RUN_KEY_TAG = "simda.run_key"
IDENTITY_TAG = "simda.identity"


class TrackingUnreachableError(UsageError, ConnectionError):
    """The tracking server named by ``--tracking-uri`` / ``MLFLOW_TRACKING_URI`` does not answer."""


def resolve_tracking_uri(uri: str | None = None) -> str:
    return uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path('mlflow.db').resolve()}"


@contextlib.contextmanager
def quick_requests(timeout_s: float) -> Iterator[None]:
    """MLflow's HTTP client without its retries (minutes against a dead server) and with a short timeout."""
    wanted = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": str(math.ceil(timeout_s))}
    saved = {name: os.environ[name] for name in wanted if name in os.environ}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name in wanted:
            os.environ.pop(name, None)
        os.environ.update(saved)


def require_tracking_server(uri: str, timeout_s: float = REACHABLE_TIMEOUT_S) -> None:
    """An HTTP(S) ``uri`` must answer at all (a 401 behind authentication counts), then as MLflow, not any web page."""
    if not uri.startswith(("http://", "https://")):
        return
    try:
        urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout_s).close()
    except urllib.error.HTTPError:
        pass  # it answered
    except (OSError, ValueError) as exc:  # URLError, refused, timed out, bad host
        reason = getattr(exc, "reason", exc)
        raise TrackingUnreachableError(
            f"MLflow tracking server {uri} does not answer within {timeout_s:g} s ({reason}); start it, or point "
            "--tracking-uri / MLFLOW_TRACKING_URI at a running server (unset both to log to ./mlflow.db)"
        ) from None
    try:
        with quick_requests(timeout_s):
            mlflow.MlflowClient(uri).search_experiments(max_results=1)
    except Exception as exc:  # MlflowException, a JSON error, a refused request: all mean "not a usable MLflow"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise TrackingUnreachableError(
            f"{uri} answers HTTP but not as an MLflow tracking server ({reason}); point --tracking-uri / "
            "MLFLOW_TRACKING_URI at a running `mlflow server` (unset both to log to ./mlflow.db)"
        ) from None


def sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URI; ``None`` for other stores."""
    return Path(uri.removeprefix("sqlite:///").split("?")[0]) if uri.startswith("sqlite:///") else None


def store_lock(uri: str) -> contextlib.AbstractContextManager:
    """The SQLite store's lock (module docstring); other stores' servers serialise this themselves."""
    database = sqlite_file(uri)
    return contextlib.nullcontext() if database is None else file_lock(database.with_name(database.name + ".lock"))


def configure_tracking(uri: str | None = None, timeout_s: float = REACHABLE_TIMEOUT_S) -> str:
    """Select and ready the tracking backend (module docstring); returns the URI."""
    chosen = resolve_tracking_uri(uri)
    require_tracking_server(chosen, timeout_s)
    database = sqlite_file(chosen)
    if database is not None:
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PermissionError(
                f"cannot create the MLflow store folder {database.parent} ({exc}); pass "
                "--tracking-uri or MLFLOW_TRACKING_URI a writable place"
            ) from None
        with store_lock(chosen):
            mlflow.MlflowClient(chosen).search_experiments(max_results=1)  # creates or migrates the schema
    mlflow.set_tracking_uri(chosen)
    return chosen


def find_resumable_run(experiment_id: str, key_tag: str, identity: str, parent_id: str | None) -> Any:
    """The newest run of ``experiment_id`` tagged ``key_tag`` and ``identity`` (under ``parent_id`` when nested)."""
    filters = [f"tags.`{RUN_KEY_TAG}` = '{key_tag}'", f"tags.`{IDENTITY_TAG}` = '{identity}'"]
    if parent_id is not None:
        filters.append(f"tags.`mlflow.parentRunId` = '{parent_id}'")
    found = mlflow.search_runs(
        [experiment_id],
        filter_string=" and ".join(filters),
        order_by=["attributes.start_time DESC"],
        max_results=1,
        output_format="list",
    )
    return found[0] if found else None


@contextlib.contextmanager
def keep_finished(previous: Any) -> Iterator[None]:
    """Reuse a FINISHED run without changing its record: whatever happens in the block, it ends
    FINISHED again at its first end time (a rerun that fails does not turn a finished result FAILED)."""
    try:
        yield
    finally:
        if mlflow.active_run() is not None and mlflow.active_run().info.run_id == previous.info.run_id:
            mlflow.end_run()
        mlflow.MlflowClient().set_terminated(previous.info.run_id, "FINISHED", end_time=previous.info.end_time)


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
    resume_key: str | None = None,
    identity: str | None = None,
) -> Iterator[mlflow.ActiveRun | None]:
    """An MLflow run with ``params`` logged before any work (an interrupted run still says what it was); ``None``,
    and no MLflow calls, when disabled. Inside an active run (a sweep calling a command) it nests. System metrics
    are sampled when a GPU is present unless ``system_metrics`` is False (timing benchmarks: the sampling thread
    would disturb what they measure). Ctrl-C or SIGTERM ends the run KILLED, never RUNNING.

    With ``resume_key`` (the run folder) the newest run of the same key, ``identity`` (:mod:`simda.plumbing.identity`;
    default the key) and parent is continued, so a resumed training run holds its whole loss curve; a FINISHED
    one stays FINISHED (:func:`keep_finished`). MLflow keeps a parameter's first value: changed ones are listed in
    the tag ``simda.params_changed_on_resume``."""
    if not enabled:
        yield None
        return
    parent = mlflow.active_run()
    nested = nested or parent is not None
    if nested:
        experiment_id = None if parent is None else parent.info.experiment_id
    else:
        uri = configure_tracking(tracking_uri)
        with store_lock(uri):  # two commands creating one experiment at once: one would fail
            experiment_id = mlflow.set_experiment(experiment).experiment_id
    all_tags = dict(tags or {})
    previous = None
    if resume_key is not None:
        key_tag = hashlib.sha256(resume_key.encode()).hexdigest()[:32]
        identity = identity or key_tag
        parent_id = None if parent is None else parent.info.run_id
        if experiment_id is not None:
            previous = find_resumable_run(experiment_id, key_tag, identity, parent_id)
        all_tags |= {RUN_KEY_TAG: key_tag, "simda.run_key_source": resume_key[:5000], IDENTITY_TAG: identity}
    finished = previous is not None and previous.info.status == "FINISHED"
    with (
        keep_finished(previous) if finished else contextlib.nullcontext(),
        mlflow.start_run(
            run_id=None if previous is None else previous.info.run_id,
            run_name=None if previous else run_name,
            nested=nested,
            tags=all_tags,
            log_system_metrics=torch.cuda.is_available() if system_metrics is None else system_metrics,
        ) as run,
    ):
        flat = flatten_params(params)
        if previous is not None:
            run_id, logged = previous.info.run_id, previous.data.params
            changed = sorted(key for key, value in flat.items() if key in logged and logged[key] != value)
            if changed:
                log.info("resumed MLflow run %s keeps the first value of the changed parameters %s", run_id, changed)
                mlflow.set_tag("simda.params_changed_on_resume", ",".join(changed)[:5000])
            flat = {key: value for key, value in flat.items() if key not in logged}
            log.info("continuing MLflow run %s (resume key %s)", run_id, resume_key)
        items = list(flat.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            mlflow.log_params(dict(items[start : start + 100]))
        try:
            yield run
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (plumbing.cli): the run was stopped, it did not fail
            mlflow.end_run("KILLED")
            raise


def log_table(table: pd.DataFrame, name: str) -> None:
    """Log ``table`` as a Parquet artifact, and as an MLflow table (shown in the UI) up to :data:`TABLE_ROWS_INLINE`."""
    if len(table) <= TABLE_ROWS_INLINE:
        inline = f"{name}.json"
        run_id = mlflow.active_run().info.run_id  # type: ignore[union-attr]
        if inline in {item.path for item in mlflow.MlflowClient().list_artifacts(run_id)}:
            # A resumed run logs its tables again; mlflow.log_table would append the rows to the old ones.
            mlflow.log_text(table.to_json(orient="split", index=False, date_format="iso"), inline)
        else:
            mlflow.log_table(table, artifact_file=inline)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, f"{name}.parquet")
        table.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path="tables")


def report_command(run: mlflow.ActiveRun | None) -> str | None:
    """The command that builds the report of ``run`` (printed by every command that logs one)."""
    if run is None:
        return None
    return f"python -m reports.build --runs {run.info.run_id} --tracking-uri {mlflow.get_tracking_uri()}"
