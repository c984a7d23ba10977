"""The profile's machinery: the interleaved timer, the parameter-only path and the tiny CPU run.

No test here asserts a time: performance is measured by the benchmark, never by tests.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import torch
from mlflow.tracking import MlflowClient

from benchmarks import profile
from benchmarks.profiling.kernels import count_kernels, kernel_table, kernel_time_table, transformer_blocks
from benchmarks.profiling.models import FLOOR, FULL, MODEL_SIZES, floor_contender, simda_contender
from benchmarks.profiling.sections import LoggedTables
from benchmarks.profiling.workloads import Shapes, forward_backward, inference_step, step_inputs
from benchmarks.timing import Workload, interleaved_timings
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from tests.command_helpers import run_argv


def recording_workloads(log: list[str], names: list[str]) -> dict[str, Workload]:
    def workload(name: str) -> Workload:
        return lambda: log.append(name)

    return {name: workload(name) for name in names}


def test_timer_interleaves_rounds_and_takes_each_median() -> None:
    calls: list[str] = []
    fake_seconds = iter([5.0, 1.0, 3.0, 2.0, 4.0, 6.0])  # a1 b1 a2 b2 a3 b3, handed out in call order

    def fake_clock(workload: Workload) -> float:
        workload()
        return next(fake_seconds)

    timings = interleaved_timings(recording_workloads(calls, ["a", "b"]), repeats=3, warmup=2, measure=fake_clock)

    assert calls == ["a", "b"] * 5  # two untimed rounds, then three timed ones, never a-a-a then b-b-b
    assert timings["a"].samples == (5.0, 3.0, 4.0)
    assert timings["b"].samples == (1.0, 2.0, 6.0)
    assert (timings["a"].median, timings["a"].minimum, timings["a"].maximum) == (4.0, 3.0, 5.0)
    assert timings["b"].median == 2.0


def test_timer_refuses_zero_repeats() -> None:
    with pytest.raises(ValueError, match="repeats"):
        interleaved_timings(recording_workloads([], ["a"]), repeats=0, warmup=0)


def test_each_table_is_logged_when_its_section_finishes(caplog: pytest.LogCaptureFixture) -> None:
    tables = LoggedTables()
    with caplog.at_level("INFO", logger="benchmarks.profile"):
        tables["inference"] = pd.DataFrame({"variant": ["simda"], "x_2d_floor": [1.234]})
        assert "== inference ==" in caplog.text and "1.234" in caplog.text  # logged before the next section
        tables["training"], _ = pd.DataFrame({"variant": ["2d_floor"]}), None
    assert list(tables) == ["inference", "training"] and "2d_floor" in caplog.text


@pytest.mark.slow  # SD 1.5 shapes on meta plus a fresh MLflow store: over 5 s on 2 shared cores
def test_params_only_sd15_counts_table1_on_meta_and_logs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact folder is relative to the working directory
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_argv(profile, ["--params-only", "--model-size", "sd15", "--tracking-uri", uri])
    print(result.summary())

    printed = capsys.readouterr().out
    assert "24,855,680" in printed
    assert "RANDOM WEIGHTS" in printed
    assert set(result.tables) == {"parameters", "table1", "super_resolution_parameters"}  # nothing timed
    client = MlflowClient(uri)
    (logged,) = client.search_runs([client.get_experiment_by_name("simda-profile").experiment_id])
    assert logged.info.status == "FINISHED" and logged.data.params["params_only"] == "True"
    assert {item.path for item in client.list_artifacts(logged.info.run_id, "tables")} >= {
        "tables/parameters.parquet",
        "tables/table1.parquet",
    }
    total = next(line for line in printed.splitlines() if line.strip().startswith("total"))
    assert "1,091,090,987" in total  # about 1.09B, the paper's 1.08B
    sr_section = printed.split("== super_resolution_parameters ==")[1]
    sr_adapters = next(line for line in sr_section.splitlines() if line.strip().startswith("adapters"))
    assert "16,576,256" in sr_adapters and "x4 upscaler architecture" in printed


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_tiny_cpu_profile_prints_and_logs_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact folder is relative to the working directory
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_argv(
        profile,
        ["--preset", "tiny", "--device", "cpu", "--frames", "2", "--size", "32", "--repeats", "1"]
        + ["--warmup", "0", "--video-steps", "2", "--out", str(tmp_path / "out"), "--tracking-uri", uri],
    )

    printed = result.summary()
    sections = ("parameters", "temporal_conv", "inference", "video", "training", "kernels", "super_resolution")
    for section in (*sections, "table1"):
        assert f"== {section} ==" in printed
    assert "RANDOM WEIGHTS" in printed and "check the machinery only" in printed
    inference = result.tables["inference"].set_index("variant")
    assert list(inference.index) == [
        "2d_floor",
        "simda",
        "animatediff",
        "modelscope",
        "simda_no_lsa",
        "simda_no_ta",
        "simda_no_aa",
        "simda_no_fa",
        "simda_no_sa",
    ]
    assert inference.loc["2d_floor", "x_2d_floor"] == 1.0
    assert "simda_checkpointing" in set(result.tables["training"]["variant"])
    sr = result.tables["super_resolution"].set_index("variant")
    assert list(sr.index) == ["2d_floor", "simda"] and set(sr["output"]) == {"128x128"}
    assert (tmp_path / "out" / "profile.png").stat().st_size > 0

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(profile.EXPERIMENT)
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags["random_weights"] == "true"
    assert run.data.params["preset"] == "tiny" and run.data.params["frames"] == "2"
    for metric in ("inference_x_floor.simda", "inference_x_floor.modelscope", "training_x_floor.simda_checkpointing"):
        assert metric in run.data.metrics
    assert "video_s.simda" in run.data.metrics
    assert {"kernels_per_step.simda", "kernels_per_step.2d_floor", "training_kernels_per_step.simda"} <= set(
        run.data.metrics
    )
    assert {"sr_x_floor.simda", "sr_step_ms.2d_floor"} <= set(run.data.metrics)
    artifacts = {entry.path for entry in client.list_artifacts(run.info.run_id)}
    assert {"profile.png", "profile.txt", "inference.json", "training.json", "tables"} <= artifacts
    tables = {Path(entry.path).name for entry in client.list_artifacts(run.info.run_id, "tables")}
    assert {"parameters.parquet", "inference.parquet", "training.parquet", "super_resolution.parquet"} <= tables


@pytest.mark.slow  # every section of the tiny profile, in bf16: about a minute on two cores
def test_half_precision_profile_runs_every_section(tmp_path: Path) -> None:
    """The GPU run is fp16: its training section turns the adapters into float32 master weights, so any section
    after it that ran an inference step on them failed ("Input type Half and bias type float", an H200 run).
    bf16 on the CPU takes the same path."""
    result = run_argv(
        profile,
        ["--preset", "tiny", "--device", "cpu", "--dtype", "bf16", "--frames", "2", "--size", "32", "--repeats", "1"]
        + ["--warmup", "0", "--video-steps", "2", "--out", str(tmp_path / "out"), "--no-mlflow"],
    )
    assert list(result.tables) == [
        "parameters",
        "temporal_conv",
        "inference",
        "kernel_time",
        "video",
        "training",
        "kernels",
        "super_resolution",
        "overlap",
        "table1",
    ]
    kernels = result.tables["kernels"].set_index("variant")
    assert kernels.loc["simda", "inference_kernels"] > kernels.loc["2d_floor", "inference_kernels"] > 0
    assert "bfloat16" in result.summary()


def test_a_step_counts_its_kernels_and_views_are_not_kernels() -> None:
    x = torch.randn(4, 6)
    views = count_kernels(lambda: x.t().reshape(6, 4).chunk(2))
    y = torch.randn(8, 6)
    work = count_kernels(lambda: torch.cat([x, x]) * y)
    assert views.kernels == 0 and views.aten_ops > 0
    assert work.kernels == 2


def test_kernel_time_table_puts_the_kernels_a_variant_adds_first_then_the_totals() -> None:
    x = torch.randn(64, 64)
    table = kernel_time_table(lambda: x @ x, lambda: torch.cat([x @ x, x]).sum(), torch.device("cpu"))
    added = table[table["reference_calls"] == 0]
    assert {"aten::cat", "aten::sum"} <= set(added["kernel"])  # only the variant runs them
    assert (added["extra_ms"] > 0).all() and (added["extra_ms"] == added["variant_ms"]).all()
    total = table.iloc[-1]
    assert total["kernel"] == "all kernels" and total["variant_calls"] == table["variant_calls"].iloc[:-1].sum()
    assert list(table["extra_ms"].iloc[:-1]) == sorted(table["extra_ms"].iloc[:-1], reverse=True)


@pytest.mark.slow  # 59 s measured on two heavily shared cores
def test_simda_adds_fewer_than_thirty_kernels_per_transformer_block_to_the_image_model() -> None:
    """The tiny model's inference step: 299 kernels for the 2D UNet, 412 for SimDA (28.25 per block).

    Before the cat-free FFN seam, the one-gather LSA keys/values and the in-place temporal conv,
    SimDA took 440 (35.25 per block), so the bound fails if any of those comes back.
    """
    base = MODEL_SIZES["tiny"].build_base(torch.device("cpu"), torch.float32)
    shapes = Shapes(batch=2, frames=2, latent_size=8, channels=4)
    floor = floor_contender(base.unet)
    full = simda_contender(FULL, SimDAUNet(copy.deepcopy(base.unet), SimDAConfig()).eval())
    inference = {
        contender.name: inference_step(contender.model, step_inputs(contender, shapes, "cpu", torch.float32))
        for contender in (floor, full)
    }
    training = {FULL: forward_backward(full.model, step_inputs(full, shapes, "cpu", torch.float32), torch.float32)}
    counts = [{name: count_kernels(step) for name, step in steps.items()} for steps in (inference, training)]
    table = kernel_table(*counts, transformer_blocks(base.unet), FLOOR).set_index("variant")

    assert table.loc[FLOOR, "added_per_block"] == 0
    assert 0 < table.loc[FULL, "added_per_block"] < 30
    assert table.loc[FULL, "inference_aten_ops"] > table.loc[FULL, "inference_kernels"]
    assert table.loc[FULL, "training_kernels"] > table.loc[FULL, "inference_kernels"]  # the backward has kernels too
