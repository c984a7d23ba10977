"""Every command line written in README.md and docs/*.md runs: each module answers ``--help``, and each
line written with ``--preset tiny`` runs for real, offline, exactly as written (slow)."""

from __future__ import annotations

import os
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: ``python -m module args`` or ``torchrun ... -m module args``, up to a closing backtick, a comment or the line's end.
COMMAND = re.compile(r"(?:\bpython|\btorchrun\b[^`\n]*?)\s-m\s+([A-Za-z_][\w.]*)([^`\n#]*)")


def documented_commands() -> list[tuple[str, str, str]]:
    """(page, module, arguments) of every command line the pages write."""
    found = []
    for page in PAGES:
        for match in COMMAND.finditer(page.read_text(encoding="utf-8")):
            found.append((page.relative_to(REPO).as_posix(), match.group(1), match.group(2).strip()))
    return found


COMMANDS = documented_commands()
MODULES = sorted({module for _, module, _ in COMMANDS if module != "pip"})
TINY = sorted({(module, args) for _, module, args in COMMANDS if "--preset tiny" in args})


def test_the_pages_document_every_benchmark_and_the_main_job():
    from benchmarks.registry import BENCHMARKS

    assert {f"benchmarks.{name}" for name in BENCHMARKS} <= set(MODULES)
    assert ("benchmarks.msrvtt", "--preset tiny") in TINY, "the README's main job"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.count("\n") < 60, "the README's first screen is the whole README"
    for link in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", readme):
        assert (REPO / link).is_file(), f"README links {link}, which does not exist"


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")  # runpy, for a module imported before
@pytest.mark.parametrize("module", MODULES)
def test_every_documented_module_answers_help(module, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [module, "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    assert exited.value.code in (0, None)
    assert "usage:" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")
@pytest.mark.parametrize(("module", "args"), TINY, ids=[f"{m} {a}" for m, a in TINY])
def test_every_documented_tiny_command_parses(module, args, monkeypatch, capsys):
    """The fast half of the check below: each written flag takes the values written after it (a command
    wrapped across two lines of prose loses its last value, which argparse refuses before ``--help``)."""
    monkeypatch.setattr(sys, "argv", [module, *shlex.split(args), "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    assert exited.value.code in (0, None), capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("module", "args"), TINY, ids=[f"{m} {a}" for m, a in TINY])
def test_every_documented_tiny_command_runs_as_written(module, args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    ran = subprocess.run(
        [sys.executable, "-m", module, *shlex.split(args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert ran.returncode == 0, f"python -m {module} {args}\n{ran.stderr[-3000:]}"
