"""The exceptions that mean "the user's input is wrong", as opposed to a bug or a crash.

Library code raises them with a message that names the flag or file and the fix; only a command's
``main`` turns them into that message and exit status 2, argparse's for bad usage (:mod:`simda.plumbing.cli`).
"""

from __future__ import annotations


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt so that every ``with`` block (MLflow runs, folder locks) ends properly."""


class UsageError(ValueError):
    """Bad input from the user: a value, a path or a file that cannot be used as given."""


class InvalidSetting(UsageError):
    """A setting outside its valid range (named by its flag)."""


class MissingInput(UsageError, FileNotFoundError):
    """A file or folder the user named (or must name) does not exist."""


class BadInputFile(UsageError):
    """A file exists but is not what the flag expects (wrong format, wrong model, duplicate ids...)."""
