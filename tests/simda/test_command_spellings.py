"""diffusers' underscore flag spellings in every command, and ``--resume_from_checkpoint`` in simda.train."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from metrics.command_line import CommandParser
from simda import train
from simda.plumbing.errors import InvalidSetting
from simda.resume import check_resume_request

COMMANDS_WITH_PARSERS = [
    "simda.generate",
    "simda.train",
    "simda.edit",
    "benchmarks.ablation",
    "benchmarks.compare",
    "benchmarks.editing",
    "benchmarks.profile",
    "benchmarks.msrvtt",
    "benchmarks.webvid",
    "metrics.fvd_command",
]


@pytest.mark.parametrize("command", COMMANDS_WITH_PARSERS)
def test_every_flag_answers_to_its_underscore_spelling(command):
    parser = importlib.import_module(command).build_parser()
    assert isinstance(parser, CommandParser)
    flags = [flag for flag in parser._option_string_actions if flag.startswith("--") and "-" in flag[2:]]
    assert flags
    for flag in flags:
        underscored = "--" + flag[2:].replace("-", "_")
        rewritten, value, inline = parser.hyphenated([underscored, "x", f"{underscored}=y"])
        assert parser._option_string_actions[rewritten] is parser._option_string_actions[flag], flag
        assert (value, inline) == ("x", f"{rewritten}=y")


def test_commands_parse_diffusers_spellings_end_to_end(tmp_path):
    from metrics import fvd_command as fvd
    from reports import build
    from simda import generate

    typed = ["--preset", "tiny", "--prompt", "a cat", "--num_inference_steps", "5", "--guidance_scale=3"]
    args = generate.build_parser().parse_args([*typed, "--output_dir", "o"])
    assert (args.num_inference_steps, args.guidance_scale, args.output_dir) == (5, 3.0, Path("o"))
    args = fvd.build_parser().parse_args(["--real", "a", "--fake", "b", "--fvd_protocol", "tf"])
    assert args.fvd_protocol == "tf"
    assert build.parse_args(["--output_dir", str(tmp_path / "report")]).output_dir == tmp_path / "report"
    assert generate.build_parser().hyphenated(["--frame_rate", "8"]) == ["--frame_rate", "8"]  # not ours: unknown


def make_checkpoint(output_dir: Path, step: int) -> None:
    folder = output_dir / "checkpoints" / f"step-{step:07d}"
    folder.mkdir(parents=True)
    (folder / "training_state.pt").write_bytes(b"")


def test_resume_from_checkpoint_is_understood_or_refused_with_the_rule(tmp_path):
    make_checkpoint(tmp_path, 20)
    make_checkpoint(tmp_path, 40)
    (tmp_path / "checkpoints" / "step-0000060").mkdir()  # incomplete: no training state yet
    check_resume_request("latest", tmp_path)
    check_resume_request("40", tmp_path)
    rule = r"simda.train always resumes from the newest complete checkpoint in --output-dir .*its newest is step 40"
    with pytest.raises(InvalidSetting, match=rf"^--resume-from-checkpoint 20: {rule}"):
        check_resume_request("20", tmp_path)
    with pytest.raises(InvalidSetting, match="it holds none yet"):
        check_resume_request("60", tmp_path / "fresh")


def test_train_reads_resume_from_checkpoint_before_any_model_loads(tmp_path, capsys):
    argv = ["--preset", "tiny", "--output_dir", str(tmp_path), "--max_train_steps", "1"]
    assert train.main([*argv, "--resume_from_checkpoint", "7"]) == 2
    assert "--resume-from-checkpoint 7: simda.train always resumes from the newest" in capsys.readouterr().err
    assert train.main([*argv, "--resume_from_checkpoint", "checkpoint-7"]) == 2
    assert "--resume-from-checkpoint 'checkpoint-7': give latest or a step number" in capsys.readouterr().err
