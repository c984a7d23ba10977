"""A run's identity decides its default folder, and a folder holding another run's results is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import ablation, editing, profile
from simda import edit, generate, train
from simda.plumbing.atomic import FolderBusyError
from simda.plumbing.errors import UsageError
from simda.plumbing.identity import RECORD_FILE, claim_output_dir, claim_record
from tests.command_helpers import job_of


def folder(module, *argv: str) -> Path:
    job = job_of(module, list(argv))
    return job.output.output_dir if module is profile else job.output_dir


def test_default_folders_of_the_readme_commands_never_collide() -> None:
    folders = [
        folder(train, "--preset", "tiny"),
        folder(train, "--preset", "tiny", "--sr"),
        folder(ablation, "--preset", "tiny"),
        folder(ablation, "--preset", "learn"),
        folder(generate, "--preset", "tiny", "--prompt", "a"),
        folder(generate, "--preset", "tiny", "--prompt", "a", "--sr"),
        folder(generate, "--preset", "tiny", "--prompt", "b"),
        folder(edit, "--preset", "tiny", "--edit", "a"),
        folder(edit, "--preset", "tiny", "--edit", "b"),
        folder(editing, "--preset", "tiny"),
        folder(editing, "--preset", "tiny", "--tune-steps", "3"),
        folder(profile, "--preset", "tiny"),
        folder(profile, "--model-size", "sd15", "--params-only"),
    ]
    assert len(set(folders)) == len(folders)
    assert folder(generate, "--preset", "tiny", "--prompt", "a") == folders[4]  # the same run, the same folder
    # How long to train may change on resume, so it keeps the folder; the seed does not.
    assert folder(train, "--preset", "tiny", "--max-train-steps", "3") == folders[0]
    assert folder(train, "--preset", "tiny", "--seed", "3") != folders[0]


def test_a_folder_holding_another_runs_results_is_refused_naming_the_holder(tmp_path: Path) -> None:
    claim_record(tmp_path, "simda-train", "aaa")
    claim_record(tmp_path, "simda-train", "aaa")  # the same run again: allowed
    assert json.loads((tmp_path / RECORD_FILE).read_text()) == {"command": "simda-train", "identity": "aaa"}
    (tmp_path / "checkpoint-1").mkdir()  # its results
    with pytest.raises(UsageError, match=r"holds the results of another run \(simda-train with settings aaa.*--out "):
        claim_record(tmp_path, "simda-sr", "bbb", flag="--out")
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "result.json").write_text("{}")
    with pytest.raises(UsageError, match="holds the results of an earlier run"):
        claim_record(earlier, "generate", "ccc")


def test_generate_into_another_runs_folder_exits_2_before_loading(tmp_path: Path, capsys) -> None:
    claim_record(tmp_path, "generate", "someone-else")
    (tmp_path / "000-a.mp4").write_text("")  # its video
    status = generate.main(["--preset", "tiny", "--prompt", "a", "--output-dir", str(tmp_path)])
    assert status == 2
    assert "holds the results of another run (generate with settings someone-else" in capsys.readouterr().err


def test_a_record_left_alone_by_a_failed_run_does_not_block_another(tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text("")  # the folder lock stays behind too
    claim_record(tmp_path, "generate", "failed-at-load")
    claim_record(tmp_path, "generate", "next")  # nothing but the record and the lock: nothing to protect
    assert json.loads((tmp_path / RECORD_FILE).read_text())["identity"] == "next"
    (tmp_path / "000-a.mp4").write_text("")
    with pytest.raises(UsageError, match="holds the results of another run"):
        claim_record(tmp_path, "generate", "third")


def test_claim_output_dir_holds_the_folder_for_one_run_and_refuses_a_file(tmp_path: Path) -> None:
    with claim_output_dir(tmp_path / "out", "generate", "aaa"):
        assert json.loads((tmp_path / "out" / RECORD_FILE).read_text())["identity"] == "aaa"
        with pytest.raises(FolderBusyError, match="another run .*pass another --output-dir"):
            with claim_output_dir(tmp_path / "out", "generate", "aaa"):
                pass
    with claim_output_dir(tmp_path / "out", "generate", "aaa"):  # let go: the same run again
        (tmp_path / "out" / "000-a.mp4").write_text("")
    with pytest.raises(UsageError, match="holds the results of another run"):
        with claim_output_dir(tmp_path / "out", "generate", "bbb"):
            pass
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        with claim_output_dir(tmp_path / "file", "generate", "aaa"):
            pass


@pytest.mark.slow  # the first failure comes after torch and diffusers import: about 15 s
def test_generate_whose_model_failed_to_load_leaves_its_folder_to_the_next_run(tmp_path: Path, capsys) -> None:
    out, first, second = tmp_path / "out", tmp_path / "base-1", tmp_path / "base-2"
    for base in (first, second):
        base.mkdir()
        status = generate.main(["--base", str(base), "--prompt", "a", "--output-dir", str(out)])
        assert status == 2
        assert f"--base {base}: " in capsys.readouterr().err  # the model's problem, not another run's folder


@pytest.mark.parametrize("command", [editing, profile], ids=["editing", "profile"])
def test_a_benchmark_into_another_runs_folder_exits_2_before_mlflow(command, tmp_path: Path, capsys) -> None:
    out, store = tmp_path / "out", tmp_path / "mlflow.db"
    claim_record(out, "profile", "someone-else")
    (out / "profile.txt").write_text("their numbers")
    argv = ["--preset", "tiny", "--output-dir", str(out), "--tracking-uri", f"sqlite:///{store}"]
    assert command.main(argv) == 2
    assert "--output-dir" in capsys.readouterr().err.split("holds the results of another run (profile")[0]
    assert (out / "profile.txt").read_text() == "their numbers" and not store.exists(), "nothing written, no MLflow"
