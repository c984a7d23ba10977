"""The learning benchmark: intervals over seeds, the orderings they support, and (slow) the sweep itself."""

from __future__ import annotations

import math

import mlflow
import pytest

from benchmarks import ablation
from benchmarks.learning import SeedInterval, compare_to, orderings, paired_difference
from tests.benchmarks.conftest import tracking_uri
from tests.command_helpers import job_of, run_argv


def test_the_interval_is_students_t_over_seeds():
    interval = SeedInterval((1.0, 2.0, 3.0))
    # mean 2, sample sd 1, t(0.975, 2 degrees of freedom) = 4.3027
    assert interval.mean == 2.0
    assert interval.half_width == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert (interval.low, interval.high) == pytest.approx((2 - 2.484138, 2 + 2.484138), rel=1e-6)


@pytest.mark.parametrize("values", [(1.0,), (1.0, float("nan")), (1.0, float("inf"))])
def test_the_interval_refuses_a_single_seed_and_diverged_runs(values):
    with pytest.raises(ValueError):
        SeedInterval(values)


def test_an_ordering_is_stated_only_where_the_paired_interval_excludes_zero():
    full = SeedInterval((0.50, 0.60, 0.55))
    intervals = {
        "Ours": full,
        # every seed 0.03 worse: the own intervals overlap, the paired difference does not touch zero
        "w/o SA": SeedInterval((0.53, 0.63, 0.58)),
        "w/o LSA": SeedInterval((0.52, 0.58, 0.56)),  # worse on two seeds, better on one
        "w/o AA": SeedInterval((0.40, 0.51, 0.45)),  # better on every seed
    }
    assert not full.below(intervals["w/o SA"])
    assert paired_difference(full, intervals["w/o SA"]).mean == pytest.approx(0.03)
    assert compare_to(full, intervals["w/o SA"]) == "worse (separated)"
    assert compare_to(full, intervals["w/o LSA"]) == "not separated"
    assert compare_to(full, intervals["w/o AA"]) == "better (separated)"
    stated = orderings(intervals, "Ours")
    assert [line.split(" (")[0] for line in stated] == ["Ours < w/o SA", "w/o AA < Ours"]
    assert "paired difference +0.030 [+0.030, +0.030] over 3 seeds" in stated[0]


def test_a_paired_difference_needs_the_same_seeds_on_both_sides():
    with pytest.raises(ValueError, match="as many seeds"):
        paired_difference(SeedInterval((1.0, 2.0)), SeedInterval((1.0, 2.0, 3.0)))


def test_learn_preset_builds_a_held_out_sweep_over_seeds(tmp_path):
    job = job_of(ablation, ["--preset", "learn", "--seed", "5", "--seeds", "2", "--output-dir", str(tmp_path)])
    assert job.learning is not None and job.learning.seeds == 2
    assert job.seeds == [5, 6]
    assert job.model.tiny and job.clips.num_frames == 8
    trained = job.train_job(ablation.FULL, 6, tmp_path, tmp_path)
    assert trained.training.seed == 6 and trained.output_dir == tmp_path / "full" / "seed-6" / "train"
    # the paper's and the tiny preset's ablations keep one seed and their folders
    assert job_of(ablation, ["--preset", "tiny", "--output-dir", str(tmp_path)]).seeds == [0]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--heldout-csv", "x.csv"], "--heldout-videos"),
        (["--heldout-csv", "missing.csv", "--heldout-videos", "."], "missing.csv"),
        (["--preset", "learn", "--seeds", "1"], "--seeds"),
        (["--preset", "learn", "--learning-rate", "-1"], "--learning-rate"),
    ],
)
def test_bad_learning_flags_are_refused_before_any_work(tmp_path, capsys, flags, message):
    argv = ["--preset", "tiny", *flags] if "--preset" not in flags else flags
    assert ablation.main([*argv, "--output-dir", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# The learn preset cut to w/o TA, w/o SA and the full model, 3 seeds each at the preset's 250 steps
# (about 3 minutes on 2 cores; at 150 steps w/o SA does not yet separate reliably).
SHORT = ["--preset", "learn", "--disable", "ta", "--disable", "sa", "--seeds", "3"]


@pytest.mark.slow
def test_learn_preset_separates_the_two_largest_effects_and_a_frozen_run_learns_nothing(no_network, tmp_path):
    uri = tracking_uri(tmp_path)
    result = run_argv(ablation, [*SHORT, "--output-dir", str(tmp_path / "learn"), "--tracking-uri", uri])
    table = result.table.set_index("variant")
    assert list(table.index) == ["w/o TA", "w/o SA", "Ours"]
    full = table.loc["Ours"]
    for removed in ("w/o TA", "w/o SA"):
        assert table.loc[removed, "diff_low"] > 0, result.summary()  # worse than full on every seed, with room
        assert table.loc[removed, "vs_full"] == "worse (separated)"
        assert any(line.startswith(f"Ours < {removed} (paired") for line in result.orderings)
    assert full["ci_high"] < table.loc["w/o TA", "ci_low"]  # the largest effect separates even unpaired
    assert (table["heldout_loss"] < table["initial_loss"]).all()  # every trained variant learned something
    # MLflow: the parent run, a nested run per variant, and one per seed beneath each variant
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("simda-ablation").experiment_id
    (parent,) = client.search_runs([experiment], "tags.mlflow.runName = 'table6-learn'")
    variants = client.search_runs([experiment], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(run.info.run_name for run in variants) == sorted(table.index)
    for variant in variants:
        seeds = client.search_runs([experiment], f"tags.mlflow.parentRunId = '{variant.info.run_id}'")
        assert sorted(run.info.run_name for run in seeds) == [f"{variant.info.run_name} seed {s}" for s in range(3)]
        assert variant.data.metrics["heldout_loss_low"] <= variant.data.metrics["heldout_loss_high"]

    # Learning rate 0: the adapters stay at their initialisation, and so does the held-out loss.
    frozen_flags = ["--preset", "learn", "--disable", "lsa", "--learning-rate", "0", "--max-train-steps", "5"]
    frozen_flags += ["--seeds", "2", "--output-dir", str(tmp_path / "frozen"), "--tracking-uri", uri]
    frozen = run_argv(ablation, frozen_flags).table
    assert (frozen["heldout_loss"] >= frozen["initial_loss"]).all()


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_the_real_ablation_adds_held_out_loss_from_a_webvid_split(no_network, tmp_path):
    from simda.synthetic import write_learning_set

    split = write_learning_set(tmp_path / "split", num_train=1, num_heldout=2, num_frames=10)
    fast = ["--preset", "tiny", "--disable", "lsa", "--max-train-steps", "2", "--num-frames", "9"]
    fast += ["--num-inference-steps", "2", "--num-videos", "2", "--tracking-uri", tracking_uri(tmp_path)]
    held_out = ["--heldout-csv", str(split.heldout_csv), "--heldout-videos", str(split.videos)]
    table = run_argv(ablation, [*fast, *held_out, "--output-dir", str(tmp_path / "out")]).table
    assert list(table["variant"]) == ["w/o LSA", "Ours"]
    assert table["heldout_loss"].gt(0).all() and table["fvd"].gt(0).all()
    assert {f"heldout_loss_t{t}" for t in (100, 300, 500, 700, 900)} <= set(table)
