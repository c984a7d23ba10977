"""``benchmarks.ablation`` on the tiny preset: every variant trained and evaluated, Table 6 in MLflow."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest

from benchmarks import ablation
from benchmarks.paper import TABLE6
from tests.benchmarks.conftest import mlflow_artifact, tracking_uri
from tests.command_helpers import run_argv

# Two training steps and two DDIM steps on 9 frames of 32x32: seconds per variant on a 2-core CPU.
FAST = ["--preset", "tiny", "--max-train-steps", "2", "--num-frames", "9", "--num-inference-steps", "2"]


def run_ablation(tmp_path, *flags: str) -> tuple[pd.DataFrame, mlflow.entities.Run]:
    uri = tracking_uri(tmp_path)
    argv = [*FAST, "--num-videos", "3", *flags, "--output-dir", str(tmp_path / "out"), "--tracking-uri", uri]
    table = run_argv(ablation, argv).table
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("simda-ablation").experiment_id
    (parent,) = client.search_runs([experiment], "tags.mlflow.runName = 'table6'")
    logged = pd.read_parquet(mlflow_artifact(uri, parent, "tables/table6.parquet"))
    pd.testing.assert_frame_equal(logged, table)
    children = client.search_runs([experiment], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(child.data.tags["mlflow.runName"] for child in children) == sorted(table["variant"])
    return table, parent


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_disable_lsa_trains_and_evaluates_both_variants(no_network, tmp_path):
    table, parent = run_ablation(tmp_path, "--disable", "lsa")
    assert list(table["variant"]) == ["w/o LSA", "Ours"]
    assert list(table["LSA"]) == [False, True] and table[["TA", "AA", "FA"]].all().all()
    # Latent-shift attention has no parameters: removing it leaves the tuned count unchanged.
    assert table["tuned_params"].nunique() == 1
    assert list(table["paper_fvd"]) == [618.2, 530.2]
    assert table["fvd"].gt(0).all() and table["note"].str.contains("random weights").all()
    assert parent.data.tags["random_weights"] == "true"
    for slug in ("without-lsa", "full"):
        assert (tmp_path / "out" / slug / "train" / "simda-adapters" / "config.json").is_file()
    # Both variants were measured against one cached set of real statistics.
    assert len(list((tmp_path / "out" / "real-cache").iterdir())) == 1
    # Each variant's training and evaluation runs nest beneath it: 1 + 2 variants x (itself, train, eval).
    client = mlflow.MlflowClient(tracking_uri(tmp_path))
    assert len(client.search_runs([parent.info.experiment_id])) == 7


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_full_sweep_is_table6_in_the_papers_order(tmp_path):
    table, _ = run_ablation(tmp_path)
    assert list(table["variant"]) == [variant.label for variant in TABLE6]
    tuned = table.set_index("variant")["tuned_params"]
    full = tuned["Ours"]
    assert tuned["w/o LSA"] == full
    assert tuned["w/o TA"] < full and tuned["w/o AA"] < full and tuned["w/o FA"] < full
    assert tuned["w/o SA"] == tuned["w/o AA"] + tuned["w/o FA"] - full
    assert not table.set_index("variant").loc["w/o SA", ["AA", "FA"]].any()
