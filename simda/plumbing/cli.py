"""How every command starts and ends: parse, validate, run, report; errors as one line, not a traceback.

A command module has a typed ``run(job) -> Result`` that code calls, and a ``main(argv) -> int``
that only parses the flags into a job and hands both to :func:`run_command`. The rules it applies:

* argument errors, invalid values and unusable inputs (:class:`UsageError`) print ``error: ...``
  on stderr and return 2, before any model loads; any other failure returns 1; ``--debug`` (or
  ``SIMDA_DEBUG=1``) re-raises so the traceback shows;
* the final result table goes to stdout (logs stay on stderr), and ``result.json`` beside the
  command's other outputs holds the same numbers for scripts; the last line says where files went;
* under torchrun only rank 0 prints and writes (``run`` returns ``None`` on the other ranks);
* SIGTERM is raised as an interrupt, like Ctrl-C: MLflow runs end KILLED, folder locks are let go,
  and the status is 143 (130 for Ctrl-C).

Heavy libraries are imported inside ``run``, never at module import, so ``--help`` and argument
errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from metrics.command_line import CommandParser
from simda.plumbing.errors import Terminated, UsageError
from simda.plumbing.options import add_options
from simda.settings import DEBUG_ENV, DebugSettings

J = TypeVar("J")
#: This project's loggers, shown at INFO; other libraries' stay at WARNING.
PROJECT_LOGGERS = ("simda", "benchmarks", "metrics", "reports")


class CommandResult(Protocol):
    """What a command's ``run`` returns: a table for people, a dict for scripts, and where files went."""

    @property
    def output_dir(self) -> Path: ...

    def summary(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


def new_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser with the module docstring as its description and ``--debug``; abbreviations are off (``--out``
    silently meaning ``--output-dir``, or another flag once one is added, is a trap): every alias is declared."""
    parser = CommandParser(
        prog=prog,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        epilog="Every flag also answers to diffusers' underscore spelling (--num_inference_steps).",
    )
    add_options(parser, DebugSettings, {})
    return parser


def setup_logging(verbose: bool = True) -> None:
    """Each line with its time (a long run's log says when each step happened); ``verbose=False`` (ranks other
    than 0) keeps warnings alone. Only this project's loggers show INFO: open_clip's and diffusers' would bury
    the few lines a user needs (where results went, which weights ran)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


def write_result_json(result: CommandResult) -> Path:
    """``result.json`` in the command's output folder, written atomically."""
    from metrics.strict_json import strict_dumps
    from simda.plumbing.atomic import atomic_path

    path = result.output_dir / "result.json"
    with atomic_path(path) as tmp:
        Path(tmp).write_text(strict_dumps(result.to_dict(), indent=2, sort_keys=True))
    return path


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Raise :class:`Terminated` on SIGTERM (a scheduler's stop, ``kill``) during the block, then put the previous
    handler back (signals can only be handled in the main thread: elsewhere the block runs unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    with terminate_as_interrupt():
        try:
            result = run(make_job(args))
        except KeyboardInterrupt as stop:
            print("interrupted: rerun the same command to resume", file=sys.stderr)
            return 143 if isinstance(stop, Terminated) else 130
        except Exception as exc:  # the one place that turns a failure into a message and a status
            if debug:
                raise
            if isinstance(exc, UsageError):
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print(f"error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
            return 1
        if result is not None:
            path = write_result_json(result)
            print(result.summary())
            print(f"files: {result.output_dir} (numbers also in {path.name})")
        return 0
