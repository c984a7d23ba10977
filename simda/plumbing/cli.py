"""How every command starts and ends: parse, validate, run, report; errors as one line, not a traceback.

A command module has a typed ``run(job) -> Result`` that code calls, and a ``main(argv) -> int``
that only parses the flags into a job and hands both to :func:`run_command`. The rules it applies:

* argument errors, invalid values and unusable inputs (:class:`UsageError`) print ``error: ...``
  on stderr and return 2, before any model loads; any other failure returns 1; ``--debug`` (or
  ``SIMDA_DEBUG=1``) re-raises so the traceback shows;
* the final result table goes to stdout (logs stay on stderr), and ``result.json`` beside the
  command's other outputs holds the same numbers for scripts; the last line says where files went;
* under torchrun only rank 0 prints and writes (``run`` returns ``None`` on the other ranks).

Heavy libraries are imported inside ``run``, never at module import, so ``--help`` and argument
errors answer at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from simda.plumbing.errors import UsageError
from simda.plumbing.logs import setup_logging

DEBUG_ENV = "SIMDA_DEBUG"
log = logging.getLogger("simda")
J = TypeVar("J")


class CommandResult(Protocol):
    """What a command's ``run`` returns: a table for people, a dict for scripts, and where files went."""

    @property
    def output_dir(self) -> Path: ...

    def summary(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class CommandParser(argparse.ArgumentParser):
    """Every command's parser: it also reads diffusers' underscore spelling of each of its flags.

    diffusers' scripts write ``--num_inference_steps`` where our flags say ``--num-inference-steps``;
    an underscore spelling that is not a flag itself is read as the hyphenated flag, if there is one
    (``--flag_name=value`` too). The epilog says so, since ``--help`` lists one spelling.
    """

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        return super().parse_known_args(self.hyphenated(sys.argv[1:] if args is None else args), namespace)

    def hyphenated(self, args: Sequence[str]) -> list[str]:
        """``args`` with each underscore spelling of one of this parser's flags replaced by the flag."""
        flags = self._option_string_actions
        typed = []
        for arg in args:
            name, equals, value = arg.partition("=")
            hyphenated = name.replace("_", "-")
            known = name.startswith("--") and name not in flags and hyphenated in flags
            typed.append(hyphenated + equals + value if known else arg)
        return typed


def new_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser with the module docstring as its description, no abbreviated flags, and ``--debug``.

    Abbreviations are off because ``--out`` silently meaning ``--output-dir`` (or one flag
    meaning another after a new one is added) is a trap; every accepted alias is declared.
    """
    parser = CommandParser(
        prog=prog,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        epilog="Every flag also answers to diffusers' underscore spelling (--num_inference_steps).",
    )
    parser.add_argument("--debug", action="store_true", help=f"show tracebacks (or set {DEBUG_ENV}=1)")
    return parser


def write_result_json(result: CommandResult) -> Path:
    """``result.json`` in the command's output folder, written atomically."""
    from simda.plumbing.atomic import atomic_path

    path = result.output_dir / "result.json"
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(result.to_dict(), indent=2, sort_keys=True, default=str))
    return path


def run_command(
    parser: argparse.ArgumentParser,
    make_job: Callable[[argparse.Namespace], J],
    run: Callable[[J], CommandResult | None],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``argv``, build the job, run it and report; returns the exit status (see module docstring)."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse's own --help (0) and usage errors (2, message already printed)
        return int(stop.code or 0)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    setup_logging(verbose=os.environ.get("RANK", "0") == "0")
    try:
        result = run(make_job(args))
    except UsageError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place that turns a failure into a message and a status
        if debug:
            raise
        print(f"error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    if result is not None:
        path = write_result_json(result)
        print(result.summary())
        print(f"files: {result.output_dir} (numbers also in {path.name})")
    return 0
