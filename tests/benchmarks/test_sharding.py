"""torchrun with two gloo processes on the CPU gives the numbers of a single process, in one MLflow run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.datasets import write_msrvtt_set
from tests.benchmarks.conftest import FAST_ARGS, free_port, only_run, tracking_uri

REPO = Path(__file__).resolve().parents[2]


def run_command(folder: Path, launcher: list[str], data: tuple[Path, Path], generator: list[str]) -> None:
    """Run the msrvtt benchmark in a fresh interpreter; one thread per process so both runs do the same math."""
    folder.mkdir()
    dataset = ["--annotations", str(data[0]), "--videos", str(data[1])]
    argv = [
        *FAST_ARGS,
        *generator,
        *dataset,
        "--num-videos",
        "4",
        "--out",
        str(folder / "run"),
        "--tracking-uri",
        tracking_uri(folder),
        "--metrics",
        "fvd,clipsim,temporal_flickering,subject_consistency",  # VBench states are cached per rank, summed on rank 0
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "MLFLOW_TRACKING_URI": ""}
    done = subprocess.run(
        [sys.executable, *launcher, "-m", "benchmarks.msrvtt", *argv],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.mark.slow
@pytest.mark.parametrize(
    "generator", [[], ["--generator", "diffusers", "--pipeline", "tiny-animatediff"]], ids=["simda", "animatediff"]
)
def test_two_gloo_processes_match_one_process(tmp_path, generator):
    data = write_msrvtt_set(tmp_path / "data", num_test=5)  # one dataset: real files are fixed bytes in real use too
    run_command(tmp_path / "one", [], data, generator)
    torchrun = ["-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2"]
    run_command(
        tmp_path / "two", [*torchrun, "--master_addr=127.0.0.1", f"--master_port={free_port()}"], data, generator
    )

    one = only_run(tracking_uri(tmp_path / "one"), "simda-msrvtt")  # only_run also proves rank 1 logged nothing
    two = only_run(tracking_uri(tmp_path / "two"), "simda-msrvtt")
    vbench = ("vbench_temporal_flickering", "vbench_subject_consistency")
    for name in ("fvd", "clipsim", "frame_consistency", "num_videos", "num_real", "videos_generated", *vbench):
        assert two.data.metrics[name] == one.data.metrics[name], name
    assert two.data.params["world_size"] == "2" and one.data.params["world_size"] == "1"
    results = [pd.read_csv(tmp_path / name / "run" / "results.csv").drop(columns="path") for name in ("one", "two")]
    pd.testing.assert_frame_equal(results[0], results[1], check_exact=True)

    parts = [
        {json.loads(line)["id"] for line in (tmp_path / "two" / "run" / "index" / f"rank-{r}-of-2.jsonl").open()}
        for r in (0, 1)
    ]
    assert not parts[0] & parts[1] and parts[0] | parts[1] == set(results[0]["id"])
