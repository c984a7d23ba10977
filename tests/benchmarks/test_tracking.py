"""The tracking store is checked and made before any work, and a rerun continues its MLflow run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest

from simda.plumbing.atomic import claim_folder
from simda.plumbing.tracking import TrackingUnreachableError, configure_tracking, log_table, tracked_run
from tests.benchmarks.conftest import free_port, tracking_uri


def test_an_http_uri_with_nothing_listening_is_refused_with_the_flag_named() -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TrackingUnreachableError, match=rf"{uri} does not answer.*--tracking-uri / MLFLOW_TRACKING_URI"):
        configure_tracking(uri, timeout_s=2)
    with pytest.raises(TrackingUnreachableError), tracked_run("x", "y", {}, tracking_uri=uri):
        pytest.fail("the run must not start")


def test_a_web_server_that_is_not_mlflow_is_refused_in_seconds() -> None:
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>hello</html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    started = time.monotonic()
    try:
        with pytest.raises(TrackingUnreachableError, match=rf"{uri} answers HTTP but not as an MLflow tracking server"):
            configure_tracking(uri, timeout_s=2)
    finally:
        server.shutdown()
    assert time.monotonic() - started < 20


# Each process imports MLflow, says it is ready, and waits for "go", so both reach the fresh store together.
START_TOGETHER = """
import sys, time
from pathlib import Path
import mlflow
from simda.plumbing.tracking import tracked_run
folder, name = Path(sys.argv[1]), sys.argv[2]
(folder / f"ready-{name}").touch()
while not (folder / "go").exists():
    time.sleep(0.01)
with tracked_run("simda-race", name, {"name": name}, tracking_uri=sys.argv[3], system_metrics=False):
    mlflow.log_metric("done", 1.0)
"""


@pytest.mark.slow  # two fresh interpreters with MLflow: about half a minute on 2 cores
def test_two_commands_started_together_on_a_fresh_store_both_log(tmp_path: Path) -> None:
    uri = tracking_uri(tmp_path)
    names = ["webvid", "msrvtt"]
    processes = [
        subprocess.Popen([sys.executable, "-c", START_TOGETHER, str(tmp_path), name, uri], stderr=subprocess.PIPE)
        for name in names
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{name}").exists() for name in names):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), "a process died on start"
        time.sleep(0.05)
    (tmp_path / "go").touch()
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()[-2000:]
    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("simda-race").experiment_id])
    assert sorted(run.info.run_name for run in runs) == sorted(names)
    assert all(run.info.status == "FINISHED" and run.data.metrics["done"] == 1.0 for run in runs)


class Interrupted(RuntimeError):
    pass


def test_a_rerun_with_the_same_resume_key_continues_the_run(tmp_path: Path) -> None:
    uri, key = tracking_uri(tmp_path), str(tmp_path / "runs" / "train")
    with (
        pytest.raises(Interrupted),
        tracked_run(
            "simda-train", "train", {"lr": 1, "world_size": 1}, tracking_uri=uri, resume_key=key, system_metrics=False
        ),
    ):
        for step in (1, 2, 3):
            mlflow.log_metric("loss", 1.0 / step, step=step)
        log_table(pd.DataFrame({"step": [3]}), "table")
        raise Interrupted
    with tracked_run(
        "simda-train",
        "train",
        {"lr": 1, "world_size": 2, "new": "x"},
        tracking_uri=uri,
        resume_key=key,
        system_metrics=False,
    ):
        for step in (4, 5):
            mlflow.log_metric("loss", 1.0 / step, step=step)
        log_table(pd.DataFrame({"step": [5]}), "table")
    with tracked_run("simda-train", "other", {}, tracking_uri=uri, resume_key=key + "-other", system_metrics=False):
        pass
    client = mlflow.MlflowClient(uri)
    runs = client.search_runs(
        [client.get_experiment_by_name("simda-train").experiment_id], "attributes.run_name = 'train'"
    )
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert [point.step for point in client.get_metric_history(run.info.run_id, "loss")] == [1, 2, 3, 4, 5]
    assert run.data.params == {"lr": "1", "world_size": "1", "new": "x"}
    assert run.data.tags["simda.params_changed_on_resume"] == "world_size"
    table = pd.read_json(client.download_artifacts(run.info.run_id, "table.json", str(tmp_path)), orient="split")
    assert table["step"].tolist() == [5]  # replaced, not appended to


def test_a_finished_run_is_reused_unchanged_and_another_identity_gets_a_new_run(tmp_path: Path) -> None:
    uri, key = tracking_uri(tmp_path), str(tmp_path / "runs" / "sweep")

    def sweep(name: str, value: int, identity: str) -> Any:
        tags = {"stage": identity}
        return tracked_run(
            "simda-x",
            name,
            {"a": value},
            tags,
            tracking_uri=uri,
            resume_key=key,
            identity=identity,
            system_metrics=False,
        )

    with sweep("first", 1, "one") as first:
        mlflow.log_metric("score", 1.0)
    client = mlflow.MlflowClient(uri)
    before = client.get_run(first.info.run_id)
    with pytest.raises(Interrupted), sweep("again", 1, "one") as again:
        raise Interrupted  # a failing rerun of the same identity must not turn the finished run FAILED
    assert again.info.run_id == first.info.run_id
    with sweep("other", 2, "two") as other:
        with tracked_run("simda-x", "child", {}, resume_key=key + "/child", system_metrics=False) as child:
            pass
    assert other.info.run_id != first.info.run_id
    after = client.get_run(first.info.run_id)
    assert (after.info.status, after.info.end_time) == ("FINISHED", before.info.end_time)
    assert after.data.tags["stage"] == "one" and after.data.params == {"a": "1"}
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == other.info.run_id


# A command (the real command layer) holding its folder and a nested MLflow run when the signal comes.
STOPPED_COMMAND = """
import sys, time
from pathlib import Path
from simda.plumbing.atomic import claim_folder
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.tracking import tracked_run
folder, uri = Path(sys.argv[1]), sys.argv[2]
def run(job):
    with claim_folder(folder, "--output-dir"):
        with tracked_run("simda-stop", "outer", {}, tracking_uri=uri, resume_key=str(folder), system_metrics=False):
            with tracked_run("simda-stop", "inner", {}, system_metrics=False):
                (folder / "ready").touch()
                time.sleep(300)
raise SystemExit(run_command(new_parser("stopped", None), lambda args: None, run, []))
"""


@pytest.mark.slow  # a fresh interpreter with MLflow per signal: about 45 s on 2 shared cores
@pytest.mark.parametrize(("signal_number", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_command_ends_its_runs_killed_and_lets_its_folder_go(tmp_path, signal_number, status) -> None:
    uri, folder = tracking_uri(tmp_path), tmp_path / "run"
    folder.mkdir()
    command = subprocess.Popen([sys.executable, "-c", STOPPED_COMMAND, str(folder), uri], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (folder / "ready").exists():
        assert command.poll() is None and time.monotonic() < deadline, "the command died before it was ready"
        time.sleep(0.1)
    command.send_signal(signal_number)
    _, errors = command.communicate(timeout=60)
    assert command.returncode == status, errors.decode()[-2000:]
    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("simda-stop").experiment_id])
    assert sorted((run.info.run_name, run.info.status) for run in runs) == [("inner", "KILLED"), ("outer", "KILLED")]
    with claim_folder(folder, "--output-dir"):  # the lock was let go
        pass
