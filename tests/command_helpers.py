"""Build a command's typed job from a command line, as its ``main`` would, so tests can call ``run(job)``."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any


def job_of(command: ModuleType, argv: Sequence[str]) -> Any:
    """``command.make_job(command.build_parser().parse_args(argv))``: the job ``main(argv)`` would run."""
    return command.make_job(command.build_parser().parse_args(list(argv)))


def run_argv(command: ModuleType, argv: Sequence[str]) -> Any:
    """The typed result of running ``command`` on ``argv`` (exceptions propagate, unlike ``main``)."""
    return command.run(job_of(command, argv))
