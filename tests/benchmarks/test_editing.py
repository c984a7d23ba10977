"""``benchmarks.editing`` on the tiny preset: Table 5's columns beside the paper's rows, in MLflow."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchmarks import editing, editing_engine
from simda.plumbing.errors import BadInputFile, MissingInput, UsageError
from tests.benchmarks.conftest import mlflow_artifact, only_run, tracking_uri
from tests.command_helpers import run_argv


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_tiny_editing_benchmark_logs_table5_and_resumes(no_network, tmp_path, monkeypatch):
    uri = tracking_uri(tmp_path)
    argv = ["--preset", "tiny", "--tune-steps", "2", "--inference-steps", "2", "--frames", "4"]
    table = run_argv(editing, [*argv, "--out", str(tmp_path / "out"), "--tracking-uri", uri]).table

    assert list(table["method"]) == ["SimDA (this run, random weights)", "Tune-A-Video", "SimDA"]
    ours = table.iloc[0]
    assert 0 < ours["frame_consistency"] <= 100 and -100 <= ours["textual_alignment"] <= 100
    assert ours["train_min"] > 0 and ours["inference_min"] > 0
    assert math.isnan(ours["train_gib"]), "GPU memory is not measured on a CPU and must not read as 0"
    run = only_run(uri, "simda-editing")  # before the reruns below add theirs
    assert run.data.tags["random_weights"] == "true"
    logged = pd.read_parquet(mlflow_artifact(uri, run, "tables/table5.parquet"))
    pd.testing.assert_frame_equal(logged, table)
    edits = pd.read_parquet(mlflow_artifact(uri, run, "tables/edits.parquet"))
    assert list(edits["edit"]) == list(editing.TINY_EDITS)
    assert ours["tuned_M"] == pytest.approx(edits["tuned_M"].iloc[0])
    assert len(list((tmp_path / "out").rglob("*.mp4"))) == len(editing.TINY_EDITS)

    # A rerun with the same --out skips the finished case: no tuning, the same numbers.
    def no_edit(*args, **kwargs):
        raise AssertionError("a finished case was edited again")

    monkeypatch.setattr(editing_engine, "edit_video", no_edit)
    again = run_argv(editing, [*argv, "--out", str(tmp_path / "out"), "--tracking-uri", uri]).table
    pd.testing.assert_frame_equal(again, table)
    with pytest.raises(UsageError, match=r"--out\S* .*holds the results of another run \(editing"):  # other settings
        run_argv(editing, [*argv, "--guidance", "3", "--out", str(tmp_path / "out"), "--tracking-uri", uri])


def test_cases_file_errors_name_the_line(tmp_path):
    cases = tmp_path / "edits.jsonl"
    cases.write_text('{"video": "car.mp4", "prompt": "a car"}\n')
    with pytest.raises(BadInputFile, match=r"edits.jsonl:1: lacks \['edits'\]"):
        editing.read_cases(cases)
    cases.write_text('{"video": "car.mp4", "prompt": "a car", "edits": ["a jeep"]}\n')
    with pytest.raises(MissingInput, match="car.mp4 not found"):
        editing.read_cases(cases)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ('{"video": "car.mp4", "prompt": "a car", "edits": "a red ball"}', "edits must be a non-empty list"),
        ('{"video": "car.mp4", "prompt": "a car", "edits": []}', r"edits must be a non-empty list .*not \[\]"),
        ('{"video": "car.mp4", "prompt": "a car", "edits": ["ok", 3]}', "edits must be a non-empty list"),
        ('{"video": "car.mp4", "prompt": 7, "edits": ["a jeep"]}', "prompt must be a non-empty string"),
        ('["car.mp4", "a car", ["a jeep"]]', "a JSON object with video, prompt and edits, not list"),
    ],
)
def test_cases_are_validated_before_any_work(tmp_path, case, message):
    cases = tmp_path / "edits.jsonl"
    cases.write_text(case + "\n")
    with pytest.raises(BadInputFile, match=rf"edits.jsonl:1: {message}"):
        editing.read_cases(cases)


def test_undecodable_input_files_are_refused_naming_file_and_line(tmp_path):
    from benchmarks.datasets import read_msrvtt, read_webvid

    garbage = tmp_path / "garbage"
    garbage.write_bytes(b'{"a": 1}\n\xff\xfe\x00binary')
    (tmp_path / "videos").mkdir()
    for read, flag in (
        (editing.read_cases, "--cases"),
        (lambda path: read_msrvtt(path, tmp_path), "--annotations"),
        (lambda path: read_webvid(path, tmp_path / "videos"), "--csv"),
    ):
        with pytest.raises(BadInputFile, match=rf"garbage line 2: bytes that are not UTF-8 .*pass {flag} as UTF-8"):
            read(garbage)
