"""``python -m reports.build`` as a command: bad input, real-weight runs, and who may import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from reports import build

ROOT = Path(__file__).resolve().parents[2]


def log_msrvtt_run(uri: str, name: str, random_weights: bool, metrics: dict[str, float]) -> str:
    """A run shaped like an MSR-VTT benchmark run (tags, FVD protocol, metrics), logged through MLflow."""
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("simda-msrvtt")
    experiment_id = experiment.experiment_id if experiment else client.create_experiment("simda-msrvtt")
    tags = {"benchmark": "msrvtt", "random_weights": str(random_weights).lower(), "mlflow.runName": name}
    run_id = client.create_run(experiment_id, tags=tags).info.run_id
    client.log_param(run_id, "fvd.ddof", "0")
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    client.set_terminated(run_id)
    return run_id


@pytest.fixture()
def hand_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # MLflow keeps the artifacts of a SQLite store under ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    log_msrvtt_run(uri, "real", False, {"fvd": 470.5, "clipsim": 0.29, "fvd_ci_low": 455.0, "fvd_ci_high": 490.0})
    log_msrvtt_run(uri, "tiny", True, {"fvd": 4000.0, "clipsim": -0.2})
    return uri


def test_real_weight_rows_are_unmarked_and_intervals_shown(hand_store, tmp_path):
    result = build.run(build.BuildJob(output_dir=tmp_path / "out", tracking_uri=hand_store))
    shown = next(section for section in result.sections if section.title.startswith("Table 2")).tables[0]
    ours = shown.frame[shown.frame["source"] == "this run"].set_index("method")
    real = ours.loc[[name for name in ours.index if "real (" in name][0]]
    tiny = ours.loc[[name for name in ours.index if "tiny (" in name][0]]
    assert real["weights"] == "real" and real["FVD interval"] == "[455.00, 490.00]" and real["Δ FVD"] == 14.5
    assert "random" in tiny["weights"] and tiny["FVD interval"] == "not logged"
    assert shown.random_rows[-2:] == [False, True]
    page = result.html.read_text()
    assert page.count('<tr class="random">') == 2  # the tiny run, in Table 2 and in the list of runs
    skipped = [section.title for section in result.sections if section.skipped]
    assert skipped == ["Table 1: parameters, speed and memory", "Table 3: WebVid", "Table 5: video editing"] + [
        "Table 6: ablation",
        "Training",
    ]


def test_runs_and_experiments_choose_what_is_reported(hand_store, tmp_path):
    client = mlflow.MlflowClient(hand_store)
    real = client.search_runs(
        [client.get_experiment_by_name("simda-msrvtt").experiment_id], "tags.mlflow.runName = 'real'"
    )[0]
    result = build.run(build.BuildJob(run_ids=(real.info.run_id,), output_dir=tmp_path, tracking_uri=hand_store))
    assert [run.run_id for run in result.runs] == [real.info.run_id]
    argv = ["--experiment", "simda-msrvtt", "--output-dir", str(tmp_path), "--tracking-uri", hand_store]
    assert build.main(argv) == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--experiment", "simda-nope"], "--experiment simda-nope: not in"),
        (["--runs", "0123456789abcdef0123456789abcdef"], "--runs 0123456789abcdef0123456789abcdef: no such run"),
    ],
)
def test_unknown_names_exit_2_with_one_line(hand_store, tmp_path, capsys, flags, message):
    assert build.main([*flags, "--output-dir", str(tmp_path), "--tracking-uri", hand_store]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("sqlite:///{tmp}/missing.db", "no such database file"),
        ("http://127.0.0.1:9", "does not answer"),
    ],
)
def test_unreachable_store_exits_2(tmp_path, capsys, uri, message):
    assert build.main(["--tracking-uri", uri.format(tmp=tmp_path), "--output-dir", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "missing.db").exists()  # MLflow would have created an empty store


def test_help_answers_without_loading_mlflow():
    code = "import sys, reports.build; print(sorted({'mlflow', 'matplotlib', 'pandas', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    shown = subprocess.run([sys.executable, "-m", "reports.build", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert shown.returncode == 0 and "--experiment" in shown.stdout


def test_nothing_below_reports_imports_it():
    for package in ("simda", "metrics", "benchmarks"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                assert not any(name.split(".")[0] == "reports" for name in names), f"{path} imports reports"
