"""The README's commands in its order leave every finished run FINISHED with its tags, and the report lists them.

Once, ``simda.train --preset tiny --sr`` reopened the text-to-video run of ``--preset tiny`` (same
folder, same resume key) and the learn ablation rewrote the tiny sweep: both ended FAILED with the
other command's tags, and the report dropped them.
"""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from benchmarks import ablation
from reports.build import BuildJob, run
from simda import generate, train
from tests.reports.conftest import ABLATION, TRAIN, _in_folder

LEARN = ["--preset", "learn", "--max-train-steps", "1", "--train-clips", "2", "--heldout-clips", "2", "--seeds", "2"]
SHORT = ["--disable", "lsa"]  # two variants (without LSA and full) instead of Table 6's six
GENERATE = ["--preset", "tiny", "--prompt", "a red square", "--steps", "2", "--frames", "4"]


@pytest.mark.slow  # five tiny trainings, two sweeps and two generations: many minutes on 2 shared cores
def test_the_readme_sequence_keeps_every_run_finished_and_reported(tmp_path, no_network) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracking = ["--tracking-uri", uri]
    commands = [
        lambda: train.main([*TRAIN, *tracking]),
        lambda: train.main(["--preset", "tiny", "--sr", "--max-train-steps", "2", *tracking]),
        lambda: ablation.main([*ABLATION, "--num-videos", "2", *SHORT, *tracking]),
        lambda: ablation.main([*LEARN, *SHORT, *tracking]),
        lambda: generate.main(GENERATE),
        lambda: generate.main(GENERATE),
    ]
    _in_folder(tmp_path, commands)

    client = MlflowClient(uri)
    experiments = [experiment.experiment_id for experiment in client.search_experiments()]
    runs = client.search_runs(experiments)
    assert runs and {run.info.status for run in runs} == {"FINISHED"}
    top = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    by_experiment = {experiment.experiment_id: experiment.name for experiment in client.search_experiments()}
    trainings = [run for run in top if by_experiment[run.info.experiment_id] == "simda-train"]
    assert sorted(run.data.tags["stage"] for run in trainings) == ["super_resolution", "text_to_video"]
    sweeps = [run for run in top if by_experiment[run.info.experiment_id] == "simda-ablation"]
    assert sorted((run.info.run_name, run.data.tags.get("benchmark")) for run in sweeps) == [
        ("table6", None),
        ("table6-learn", "learn"),
    ]
    assert len(list((tmp_path / "runs").glob("generate-*"))) == 1  # the same generation twice: one folder

    report = run(BuildJob(output_dir=tmp_path / "report", tracking_uri=uri))
    assert {logged.run_id for logged in report.runs} >= {logged.info.run_id for logged in top}
